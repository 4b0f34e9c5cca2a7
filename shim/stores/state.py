"""The state the shim keeps between calls, as the lifespan opens it (`open_state`): embedded
(memory and the SQLite file) or, with SHIM_REDIS_URL, in Redis (`shim.stores.redis`).

Instances behind one load balancer must agree on it: a nonce used at one instance is a replay at
another, a lookup cached by one saves the others theirs, the all-v1 switch flipped at one holds
for all, and comparisons from every instance make one report, as their traffic counts make one
migration report.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import redis
import redis.asyncio

from mappings import ENDPOINTS as TRANSLATED
from mappings.types import Caller, V2Reply
from shim.config import ConfigError, Settings
from shim.errors import StoreUnavailable
from shim.stores.clock import READY_SKEW, StoreClock, disagreement, store_clock
from shim.stores.connections import FAILURES, primaries, sync_client
from shim.stores.memory import TTLCache
from shim.stores.protocols import (
    Cache,
    Comparisons,
    Nonces,
    RouteStore,
    Switch,
    Tokens,
    Traffic,
)
from shim.stores.redis import (
    Layered,
    RedisCache,
    RedisComparisons,
    RedisRoutes,
    RedisSwitch,
    async_client,
    bounded,
    dump_reply,
    load_reply,
    renamed,
)
from shim.stores.sqlite import (
    ComparisonStore,
    SQLiteCache,
    SQLiteNonces,
    SQLiteRoutes,
    SQLiteSwitch,
    connect,
    writable,
)
from shim.stores.tokens import open_tokens
from shim.stores.traffic import RedisTraffic, SQLiteTraffic
from shim.stores.watch import (
    MARKER,
    Marker,
    RedisNonces,
    StoreWatch,
    load_marker,
    mark,
    unsafe,
)

log = logging.getLogger("shim.shared")


Check = Callable[[], Awaitable[str | None]]
"""One readiness check: None when it holds, else the reason, fit for a public answer (no
secret, no address)."""


@dataclass
class State:
    tokens: Tokens
    nonces: Nonces
    callers: Cache[Caller]
    users: Cache[V2Reply]
    cursors: Cache[str]
    request_tokens: Cache[str]
    all_v1: Switch
    comparisons: Comparisons
    routes: RouteStore
    traffic: Traffic
    closers: Sequence[Callable[[], Awaitable[None]]] = ()
    clock: Callable[[], float] = time.time
    """What judges oauth_timestamp, on the clock the nonces expire by: Redis's, with Redis."""
    watch: StoreWatch | None = None
    """Whether Redis still holds and keeps what the shim wrote (None: the embedded store)."""
    checks: Sequence[Check] = ()
    """What else must hold for this instance to serve (`problems`), asked live: the SQLite file
    takes a write; Redis answers a PING."""

    async def problems(self) -> list[str]:
        """Why this instance cannot serve now, if it cannot: each check's reason, Redis not
        answering or no longer durable (its watch, every few seconds), and a clock too far from
        the store's. What `GET /_shim/ready` answers (`shim.serving.health`)."""
        found = [reason for check in self.checks if (reason := await check()) is not None]
        if self.watch and self.watch.problems() and not found:
            # Redis answers the checks again: look now, not at the watch's next look (5 s
            # apart), which behind a balancer kept every instance out after Redis was back.
            await self.watch.check()
        found += self.watch.problems() if self.watch else []
        skew = self.skew()
        if skew is not None and abs(skew) > READY_SKEW:
            found.append(disagreement(skew))
        return list(dict.fromkeys(found))  # a PING and the watch both see Redis gone

    def reasons(self) -> dict[str, bool]:
        """The store's problems by reason, a loss of data included (`shim_store_problem`)."""
        return self.watch.reasons() if self.watch else {}

    async def keep_watch(self) -> None:
        """Look at Redis every few seconds while the app runs (nothing to do without it)."""
        if self.watch:
            await self.watch.keep_watch()

    def skew(self) -> float | None:
        """Seconds this machine's clock is ahead of the store's; None with no store clock."""
        return self.clock.skew() if isinstance(self.clock, StoreClock) else None

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


ENDPOINTS = tuple(sorted(endpoint.name for endpoint in TRANSLATED))
CURSOR_TTL = 86_400.0  # a v1.1 cursor stays valid for a day
REQUEST_TOKEN_TTL = 900.0  # Twitter's request tokens expired within minutes


def open_state(settings: Settings, clock: Callable[[], float] = time.time) -> State:
    """Embedded state, or Redis's when SHIM_REDIS_URL is set. `clock` is this machine's wall
    clock: the embedded state keeps time by it, Redis's by Redis's own (`shim.stores.clock`)."""
    ttl, size = settings.cache_ttl, settings.cache_size
    if not settings.redis_url:
        tokens = open_tokens(settings)  # a wrong SHIM_SECRET_KEY is refused here
        db = connect(settings.db_path)
        comparisons = ComparisonStore(connect(settings.db_path))

        async def close() -> None:
            await tokens.aclose()
            comparisons.close()
            db.close()

        return State(
            tokens,
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
            SQLiteTraffic(db),
            (close,),
            clock,
            checks=(writable(db),),
        )
    require_durable(settings.redis_url)
    client = async_client(settings.redis_url)
    kept_by = store_clock(settings.redis_url, clock)
    watch = StoreWatch(client, kept_by, marked(settings.redis_url, kept_by))
    return State(
        open_tokens(settings, client),  # closed with the client
        RedisNonces(client, kept_by, watch),
        Layered(RedisCache(client, "callers", ttl, lambda c: c.user_id, Caller), size, ttl),
        Layered(RedisCache(client, "users", ttl, dump_reply, load_reply), size, ttl),
        RedisCache(client, "cursors", CURSOR_TTL, str, str),
        RedisCache(client, "request_tokens", REQUEST_TOKEN_TTL, str, str),
        RedisSwitch(client),
        RedisComparisons(client, ENDPOINTS),
        RedisRoutes(client),
        RedisTraffic(client),
        (client.aclose,),
        kept_by,
        watch,
        (answering(client),),
    )


def answering(client: redis.asyncio.Redis) -> Check:
    """A readiness check: Redis answers (a PING, within the request path's bound)."""

    async def check() -> str | None:
        try:
            await bounded(client.ping())
        except StoreUnavailable:
            return "Redis does not answer"
        return None

    return check


def require_durable(url: str) -> None:
    """Refuse a Redis that could drop what the shim keeps there: an eviction policy other than
    noeviction can evict live nonces (a replay is then accepted) and, as allkeys-*, the token
    store; without persistence a Redis restart forgets both."""
    client = sync_client(url)
    try:
        configs = [
            node.config_get("maxmemory-policy")
            | node.config_get("appendonly")
            | node.config_get("save")
            for node in primaries(client)  # each master of a cluster
        ]
    except redis.ResponseError:  # a managed Redis may not allow CONFIG: say what to check
        log.warning(
            "cannot read Redis's configuration: make sure it has maxmemory-policy noeviction "
            "and persistence (appendonly yes, or save)"
        )
        return
    except FAILURES as error:
        raise ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})") from None
    finally:
        client.close()
    for config in configs:
        for problem in unsafe(config).values():
            raise ConfigError(problem)


def read_marker(url: str) -> tuple[float | None, bool]:
    """The marker's moment and whether it was written on a loss, for `shim check`; (None,
    False) when there is none."""
    client = sync_client(url)
    try:
        found = load_marker(client.get(MARKER))
    except FAILURES as error:
        raise ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})") from None
    finally:
        client.close()
    return (found.since, found.lost) if found else (None, False)


def marked(url: str, clock: StoreClock) -> Marker:
    """The marker in Redis, written now on a first start (`shim.stores.watch.mark`)."""
    client = sync_client(url)
    try:
        renamed(client)
        return mark(client, clock)
    except FAILURES as error:
        raise ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})") from None
    finally:
        client.close()
