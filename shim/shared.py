"""The state the shim keeps between calls: embedded (memory and the SQLite file) or, with
SHIM_REDIS_URL, in Redis.

Instances behind one load balancer must agree on it: a nonce used at one instance is a replay at
another, a lookup cached by one saves the others theirs, the all-v1 switch flipped at one holds
for all, and comparisons from every instance make one report. On the request path Redis is
reached through the asyncio client, each call bounded by `REDIS_TIMEOUT` with no retries: a
Redis that is down or paused costs a request at most that long and answers 503, code 130
(fail closed: no nonce, no request), and the pool reconnects by itself when Redis is back.
"""

import asyncio
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import redis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from mappings import ENDPOINTS as TRANSLATED
from mappings.compare import Difference
from mappings.types import Caller, V2Reply
from shim.caches import SQLiteCache, TTLCache
from shim.comparisons import (
    EXAMPLES,
    SKIPPED,
    Comparisons,
    ComparisonStore,
    example,
    report,
    tally,
)
from shim.config import ConfigError, Settings
from shim.credentials import Sealer, StoredToken, TokenStore, connect, mask, now
from shim.errors import StoreUnavailable
from shim.nonces import Nonces, SQLiteNonces
from shim.routing import AUDIT_KEPT, RouteStore, SQLiteRoutes, SQLiteSwitch, Switch
from shim.storeclock import StoreClock, store_clock

log = logging.getLogger("shim.shared")

V = TypeVar("V")
R = TypeVar("R")
PREFIX = "shim:"
REDIS_TIMEOUT = 0.5  # seconds one Redis call may take on the request path
REDIS_CONNECTIONS = 64  # per instance; a request waits for one at most REDIS_TIMEOUT
COMPARISON_TTL = 7 * 86_400  # comparison counters are dropped a week after their last change


class Cache(Protocol[V]):
    async def get(self, key: str) -> V | None: ...
    async def put(self, key: str, value: V) -> None: ...
    def stats(self) -> dict[str, int]: ...


class Secrets(Protocol):
    """Token secrets as the request path needs them: looked up, and stored on sign-in."""

    async def secret(self, token: str) -> str | None: ...
    async def add(self, token: str, secret: str) -> None: ...


@dataclass
class State:
    tokens: Secrets
    nonces: Nonces
    callers: Cache[Caller]
    users: Cache[V2Reply]
    cursors: Cache[str]
    request_tokens: Cache[str]
    all_v1: Switch
    comparisons: Comparisons
    routes: RouteStore
    closers: Sequence[Callable[[], Awaitable[None]]] = ()
    clock: Callable[[], float] = time.time
    """What judges oauth_timestamp, on the clock the nonces expire by: Redis's, with Redis."""

    def skew(self) -> float | None:
        """Seconds this machine's clock is ahead of the store's; None with no store clock."""
        return self.clock.skew() if isinstance(self.clock, StoreClock) else None

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


ENDPOINTS = tuple(sorted(endpoint.name for endpoint in TRANSLATED))
CURSOR_TTL = 86_400.0  # a v1.1 cursor stays valid for a day
REQUEST_TOKEN_TTL = 900.0  # Twitter's request tokens expired within minutes


def state(settings: Settings, clock: Callable[[], float] = time.time) -> State:
    """Embedded state, or Redis's when SHIM_REDIS_URL is set. `clock` is this machine's wall
    clock: the embedded state keeps time by it, Redis's by Redis's own (`shim.storeclock`)."""
    ttl, size = settings.cache_ttl, settings.cache_size
    if not settings.redis_url:
        store = TokenStore(settings.db_path, settings.secret_key)
        db = connect(settings.db_path)
        comparisons = ComparisonStore(connect(settings.db_path))

        async def close() -> None:
            store.close()
            comparisons.close()
            db.close()

        return State(
            LocalSecrets(store),
            SQLiteNonces(db, clock),
            TTLCache(size, ttl),
            TTLCache(size, ttl),
            SQLiteCache(db, "cursors", 100_000, CURSOR_TTL, clock),
            # In the file, not in memory: with --workers the access_token step may reach
            # another process than the request_token step did.
            SQLiteCache(db, "request_tokens", 10_000, REQUEST_TOKEN_TTL, clock),
            SQLiteSwitch(db),
            comparisons,
            SQLiteRoutes(db),
            (close,),
            clock,
        )
    require_durable(settings.redis_url)
    client = async_client(settings.redis_url)
    kept_by = store_clock(settings.redis_url, clock)
    return State(
        RedisSecrets(client, settings.secret_key),
        RedisNonces(client, kept_by),
        Layered(RedisCache(client, "callers", ttl, lambda c: c.user_id, Caller), size, ttl),
        Layered(RedisCache(client, "users", ttl, _dump_reply, _load_reply), size, ttl),
        RedisCache(client, "cursors", CURSOR_TTL, str, str),
        RedisCache(client, "request_tokens", REQUEST_TOKEN_TTL, str, str),
        RedisSwitch(client),
        RedisComparisons(client, ENDPOINTS),
        RedisRoutes(client),
        (client.aclose,),
        kept_by,
    )


def require_durable(url: str) -> None:
    """Refuse a Redis that could drop what the shim keeps there: an eviction policy other than
    noeviction can evict live nonces (a replay is then accepted) and, as allkeys-*, the token
    store; without persistence a Redis restart forgets both."""
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        config = client.config_get("maxmemory-policy") | client.config_get("appendonly")
        config |= client.config_get("save")
    except redis.ResponseError:  # a managed Redis may not allow CONFIG: say what to check
        log.warning(
            "cannot read Redis's configuration: make sure it has maxmemory-policy noeviction "
            "and persistence (appendonly yes, or save)"
        )
        return
    except redis.RedisError as error:
        raise ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})") from None
    finally:
        client.close()
    if config.get("maxmemory-policy") != "noeviction":
        raise ConfigError(
            f"Redis's maxmemory-policy is {config.get('maxmemory-policy')}: set it to noeviction, "
            "or it may evict live nonces and tokens (docs/operations.md)"
        )
    if config.get("appendonly") != "yes" and not config.get("save"):
        raise ConfigError(
            "Redis has no persistence: set appendonly yes (or save), or a Redis restart "
            "forgets every token and nonce"
        )


async def bounded(call: Awaitable[R]) -> R:
    """One Redis call on the request path: REDIS_TIMEOUT at most, `StoreUnavailable` on failure."""
    try:
        async with asyncio.timeout(REDIS_TIMEOUT):
            return await call
    except (redis.RedisError, TimeoutError, OSError) as error:
        log.warning("Redis did not answer: %s", type(error).__name__)
        raise StoreUnavailable from None


class LocalSecrets:
    """The SQLite token store as the request path uses it (a local file: no network wait)."""

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    async def secret(self, token: str) -> str | None:
        return self._store.secret(token)

    async def add(self, token: str, secret: str) -> None:
        self._store.add(token, secret)


class Tokens(Protocol):
    """A token store as `shim tokens` manages it: SQLite's or Redis's."""

    def add(self, token: str, secret: str) -> None: ...
    def secret(self, token: str) -> str | None: ...
    def remove(self, token: str) -> bool: ...
    def list(self) -> list[StoredToken]: ...
    def tokens(self) -> tuple[str, ...]: ...
    def encrypt_all(self) -> int: ...
    def plaintext(self) -> int: ...
    def close(self) -> None: ...


def token_store(settings: Settings) -> Tokens:
    """Where token secrets live: SHIM_DB, or Redis for several instances with SHIM_REDIS_URL."""
    if settings.redis_url:
        return RedisTokenStore(redis.Redis.from_url(settings.redis_url), settings.secret_key)
    return TokenStore(settings.db_path, settings.secret_key)


TOKENS = PREFIX + "tokens"


def _pack(sealer: Sealer, secret: str, added: str) -> str:
    return json.dumps([*sealer.seal(secret), added])


def _unpack(sealer: Sealer, raw: bytes | str) -> str:
    sealed, encrypted, _ = json.loads(raw)
    return sealer.open(sealed, encrypted)


class RedisTokenStore:
    """Token secrets in a Redis hash, sealed as in the SQLite store, so every instance knows
    every user, including those who signed in through another instance. This is the CLI's
    view (`shim tokens`); the request path reads the same hash through `RedisSecrets`."""

    def __init__(self, client: redis.Redis, key: str | None) -> None:
        self._redis = client
        self._sealer = Sealer(key)
        stored = self._redis.get(TOKENS + ":check")
        check = self._sealer.check(_text(stored) if stored is not None else None)
        if check is not None:
            self._redis.set(TOKENS + ":check", check, nx=True)

    def add(self, token: str, secret: str) -> None:
        self._redis.hset(TOKENS, token, _pack(self._sealer, secret, now()))

    def secret(self, token: str) -> str | None:
        raw = self._redis.hget(TOKENS, token)
        return None if raw is None else _unpack(self._sealer, raw)

    def remove(self, token: str) -> bool:
        return bool(self._redis.hdel(TOKENS, token))

    def list(self) -> list[StoredToken]:
        entries = [(_text(t), json.loads(raw)) for t, raw in self._redis.hgetall(TOKENS).items()]
        entries.sort(key=lambda entry: (entry[1][2], entry[0]))
        return [
            StoredToken(mask(token), added, encrypted) for token, (_, encrypted, added) in entries
        ]

    def tokens(self) -> tuple[str, ...]:
        return tuple(_text(token) for token in self._redis.hkeys(TOKENS))

    def encrypt_all(self) -> int:
        self._sealer.require_key()
        plain = {_text(t): json.loads(raw) for t, raw in self._redis.hgetall(TOKENS).items()}
        plain = {t: entry for t, entry in plain.items() if not entry[1]}
        if plain:
            self._redis.hset(
                TOKENS,
                mapping={
                    t: json.dumps([self._sealer.seal(secret)[0], True, added])
                    for t, (secret, _, added) in plain.items()
                },
            )  # one command: the hash is never left half migrated
        return len(plain)

    def plaintext(self) -> int:
        return sum(not json.loads(raw)[1] for raw in self._redis.hvals(TOKENS))

    def close(self) -> None:
        self._redis.close()


class Layered(Generic[V]):
    """A Redis cache with this process's own copy in front, so a repeated lookup costs no
    round trip; an entry is kept here no longer than there."""

    def __init__(self, shared: Cache[V], size: int, ttl: float) -> None:
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


SECRET_MEMO = 5.0  # seconds a token secret read from Redis is reused here (`tokens remove` lag)


class RedisSecrets:
    """The Redis token store as the request path reads and writes it; a secret found is
    remembered a few seconds, so a caller's requests cost one Redis call (the nonce), not two.
    A token not found is asked for again each time: it may have just signed in elsewhere."""

    def __init__(self, client: redis.asyncio.Redis, key: str | None) -> None:
        self._redis = client
        self._sealer = Sealer(key)
        self._memo: TTLCache[str, str] = TTLCache(10_000, SECRET_MEMO)

    async def secret(self, token: str) -> str | None:
        known = await self._memo.get(token)
        if known is not None:
            return known
        raw = await bounded(self._redis.hget(TOKENS, token))
        if raw is None:
            return None
        secret = _unpack(self._sealer, raw)
        await self._memo.put(token, secret)
        return secret

    async def add(self, token: str, secret: str) -> None:
        await bounded(self._redis.hset(TOKENS, token, _pack(self._sealer, secret, now())))


class RedisNonces:
    """Nonces in Redis: SET NX makes "first one wins" hold across instances, and PXAT has
    Redis drop one at `expires_at` on its own clock, the one every instance judges by. Redis
    must never evict them while they live (docs/operations.md)."""

    def __init__(self, client: redis.asyncio.Redis, clock: StoreClock) -> None:
        self._redis = client
        self._clock = clock

    async def add(self, key: str, expires_at: float) -> bool:
        name, at = PREFIX + "nonce:" + key, math.ceil(expires_at * 1000)
        if not self._clock.due():
            return bool(await bounded(self._redis.set(name, b"1", nx=True, pxat=at)))
        async with self._redis.pipeline(transaction=False) as pipe:  # one round trip still
            pipe.time()
            pipe.set(name, b"1", nx=True, pxat=at)
            sent = time.monotonic()
            answer, added = await bounded(pipe.execute())
        self._clock.learn(answer, sent, time.monotonic())
        self._clock.watch()
        return bool(added)


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
        return self._load(_text(raw))

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

    KEY, AUDIT = PREFIX + "routes", PREFIX + "routing_audit"

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
        return [_text(line) for line in await bounded(self._redis.lrange(self.AUDIT, -count, -1))]


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
            counts += [(endpoint, _text(counter), int(n)) for counter, n in found.items()]
            kept = await bounded(self._redis.hgetall(f"{PREFIX}cmp-examples:{endpoint}"))
            examples |= {(endpoint, _text(f)): json.loads(raw) for f, raw in kept.items()}
        return report(counts, examples)

    def close(self) -> None:
        pass  # the client is closed with the rest of the state


def async_client(url: str) -> redis.asyncio.Redis:
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_CONNECTIONS,
        timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        retry=Retry(NoBackoff(), 0),  # one try: `bounded` is the whole time budget
    )
    return redis.asyncio.Redis.from_pool(pool)  # closing the client closes the pool


def _text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode()


def _dump_reply(reply: V2Reply) -> str:
    return json.dumps({"status": reply.status, "headers": dict(reply.headers), "body": reply.body})


def _load_reply(raw: str) -> V2Reply:
    data = json.loads(raw)
    return V2Reply(data["status"], data["headers"], data["body"])
