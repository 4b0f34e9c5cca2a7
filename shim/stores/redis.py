"""The state in Redis (SHIM_REDIS_URL), for several instances behind one load balancer.

On the request path Redis is reached through the asyncio client, each call bounded by
`REDIS_TIMEOUT` with no retries: a Redis that is down or paused costs a request at most that long
and answers 503, code 130 (fail closed: no nonce, no request), and the pool reconnects by itself
when Redis is back. The token hash is read through the same client (`shim.stores.tokens`);
`shim tokens` opens its own, with a longer bound on each call.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import redis
import redis.asyncio

from mappings.compare import Difference
from mappings.types import V2Reply
from shim.errors import StoreUnavailable
from shim.stores import connections
from shim.stores.comparisons import EXAMPLES, SKIPPED, example, report, tally
from shim.stores.memory import TTLCache
from shim.stores.routes import AUDIT_KEPT

log = logging.getLogger("shim.shared")

V = TypeVar("V")
R = TypeVar("R")
PREFIX = "shim:"
REDIS_TIMEOUT = 0.5  # seconds one Redis call may take on the request path
COMPARISON_TTL = 7 * 86_400  # comparison counters are dropped a week after their last change


async def bounded(call: Awaitable[R], timeout: float = REDIS_TIMEOUT) -> R:
    """One Redis call: REDIS_TIMEOUT at most on the request path, `StoreUnavailable` on failure."""
    try:
        async with asyncio.timeout(timeout):
            return await call
    except (*connections.FAILURES, TimeoutError, OSError) as error:
        log.warning("Redis did not answer: %s", type(error).__name__)
        raise StoreUnavailable from None


class Layered(Generic[V]):
    """A Redis cache with this process's own copy in front, so a repeated lookup costs no
    round trip; an entry is kept here no longer than there."""

    def __init__(self, shared: "RedisCache[V]", size: int, ttl: float) -> None:
        self._shared = shared
        self._local: TTLCache[str, V] = TTLCache(size, ttl)

    async def get(self, key: str) -> V | None:
        value = await self._local.get(key)
        if value is None:
            value = await self._shared.get(key)
            if value is not None:
                await self._local.put(key, value)
        return value

    async def put(self, key: str, value: V) -> None:
        await self._local.put(key, value)
        await self._shared.put(key, value)

    def stats(self) -> dict[str, int]:
        shared = self._shared.stats()
        return {"hits": self._local.hits + shared["hits"], "misses": shared["misses"]}


class RedisCache(Generic[V]):
    """A cache in Redis with a time to live. Hits and misses are counted per instance; how many
    entries there are is not counted at all (that would take a scan of the keyspace)."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        name: str,
        ttl: float,
        dump: Callable[[V], str],
        load: Callable[[str], V],
    ) -> None:
        self._redis, self._prefix, self._ttl = client, f"{PREFIX}{name}:", ttl
        self._dump, self._load = dump, load
        self.hits = self.misses = 0

    async def get(self, key: str) -> V | None:
        raw = await bounded(self._redis.get(self._prefix + key))
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return self._load(as_text(raw))

    async def put(self, key: str, value: V) -> None:
        if self._ttl > 0:
            ms = int(self._ttl * 1000)
            await bounded(self._redis.set(self._prefix + key, self._dump(value), px=ms))

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}


class RedisSwitch:
    """The all-v1 switch, one for every instance; read at most once a second per instance."""

    KEY = PREFIX + "all_v1"
    RECHECK = 1.0

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._redis = client
        self._on, self._read_at = False, float("-inf")

    async def get(self) -> bool:
        if time.monotonic() - self._read_at >= self.RECHECK:
            self._on = await bounded(self._redis.get(self.KEY)) == b"1"
            self._read_at = time.monotonic()
        return self._on

    async def set(self, on: bool) -> None:
        await bounded(self._redis.set(self.KEY, b"1" if on else b"0"))
        self._on, self._read_at = on, time.monotonic()


class RedisRoutes:
    """Routes set with `shim routing` in one Redis key, the audit in a list trimmed to its
    bound: every instance reads them once a second."""

    # One hash tag, so the transaction that writes both touches one slot of a Redis Cluster.
    KEY, AUDIT = PREFIX + "{routes}", PREFIX + "{routes}:audit"
    FORMER = ((PREFIX + "routes", KEY), (PREFIX + "routing_audit", AUDIT))
    """Their names before Redis Cluster was supported, renamed at start (`renamed`)."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._redis = client

    async def get(self) -> dict[str, Any]:
        raw = await bounded(self._redis.get(self.KEY))
        return json.loads(raw) if raw else {}

    async def put(self, routes: Mapping[str, Any], line: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self.KEY, json.dumps(routes))
            pipe.rpush(self.AUDIT, line)
            pipe.ltrim(self.AUDIT, -AUDIT_KEPT, -1)
            await bounded(pipe.execute())

    async def audit(self, count: int) -> list[str]:
        return [as_text(line) for line in await bounded(self._redis.lrange(self.AUDIT, -count, -1))]


class RedisComparisons:
    """Comparison counters of every instance, in one hash per endpoint, with a time to live so
    that even an abandoned deployment's counters leave."""

    def __init__(self, client: redis.asyncio.Redis, endpoints: Sequence[str]) -> None:
        self._redis = client
        self._endpoints = endpoints  # the few translated ones: named keys, never a scan

    async def skipped(self, endpoint: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(f"{PREFIX}cmp:{endpoint}", SKIPPED, 1)
            pipe.expire(f"{PREFIX}cmp:{endpoint}", COMPARISON_TTL)
            await bounded(pipe.execute())

    async def record(self, endpoint: str, found: Sequence[Difference]) -> None:
        counts, examples = f"{PREFIX}cmp:{endpoint}", f"{PREFIX}cmp-examples:{endpoint}"
        first = {d.field: d for d in reversed(found) if not d.noise}
        fields = sorted(first)
        async with self._redis.pipeline(transaction=False) as pipe:
            for counter, n in tally(found).items():
                pipe.hincrby(counts, counter, n)
            pipe.expire(counts, COMPARISON_TTL)
            for field in fields:
                pipe.hget(examples, field)
            replies = await bounded(pipe.execute())
        fewer = [
            (field, json.loads(raw) if raw else [])
            for field, raw in zip(fields, replies[len(replies) - len(fields) :], strict=True)
        ]
        fewer = [(field, kept) for field, kept in fewer if len(kept) < EXAMPLES]
        if fewer:
            async with self._redis.pipeline(transaction=False) as pipe:
                for field, kept in fewer:
                    pipe.hset(examples, field, json.dumps([*kept, example(first[field])]))
                pipe.expire(examples, COMPARISON_TTL)
                await bounded(pipe.execute())

    async def report(self) -> dict[str, Any]:
        counts: list[tuple[str, str, int]] = []
        examples: dict[tuple[str, str], list[Any]] = {}
        for endpoint in self._endpoints:
            found = await bounded(self._redis.hgetall(f"{PREFIX}cmp:{endpoint}"))
            counts += [(endpoint, as_text(counter), int(n)) for counter, n in found.items()]
            kept = await bounded(self._redis.hgetall(f"{PREFIX}cmp-examples:{endpoint}"))
            examples |= {(endpoint, as_text(f)): json.loads(raw) for f, raw in kept.items()}
        return report(counts, examples)

    def close(self) -> None:
        pass  # the client is closed with the rest of the state


def async_client(url: str, timeout: float = REDIS_TIMEOUT) -> redis.asyncio.Redis:
    """The request path's client, whichever way Redis is run (`shim.stores.connections`)."""
    return connections.async_client(url, timeout)


def renamed(client: redis.Redis) -> None:
    """Keys an earlier version wrote under other names, renamed once (only a single server
    can hold them: a cluster was not supported then)."""
    for old, new in RedisRoutes.FORMER:
        if client.exists(old):
            client.renamenx(old, new)


def dump_reply(reply: V2Reply) -> str:
    return json.dumps({"status": reply.status, "headers": dict(reply.headers), "body": reply.body})


def load_reply(raw: str) -> V2Reply:
    data = json.loads(raw)
    return V2Reply(data["status"], data["headers"], data["body"])


def as_text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode()
