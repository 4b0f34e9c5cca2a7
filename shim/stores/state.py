"""The state the shim keeps between calls, as the lifespan opens it (`open_state`): embedded
(memory and the SQLite file) or, with SHIM_REDIS_URL, in Redis (`shim.stores.redis`).

Instances behind one load balancer must agree on it: a nonce used at one instance is a replay at
another, a lookup cached by one saves the others theirs, the all-v1 switch flipped at one holds
for all, and comparisons from every instance make one report.
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
from shim.stores.memory import TTLCache
from shim.stores.protocols import Cache, Comparisons, Nonces, RouteStore, Switch, Tokens
from shim.stores.redis import (
    Layered,
    RedisCache,
    RedisComparisons,
    RedisNonces,
    RedisRoutes,
    RedisSwitch,
    async_client,
    bounded,
    dump_reply,
    load_reply,
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
    closers: Sequence[Callable[[], Awaitable[None]]] = ()
    clock: Callable[[], float] = time.time
    """What judges oauth_timestamp, on the clock the nonces expire by: Redis's, with Redis."""
    checks: Sequence[Check] = ()
    """What must hold for this instance to serve (`problems`); a store adds its own."""

    async def problems(self) -> list[str]:
        """Why this instance cannot serve now, if it cannot: each check's reason, and a clock
        too far from the store's. What `GET /_shim/ready` answers (`shim.serving.health`)."""
        found = [reason for check in self.checks if (reason := await check()) is not None]
        skew = self.skew()
        if skew is not None and abs(skew) > READY_SKEW:
            found.append(disagreement(skew))
        return found

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
            (close,),
            clock,
            (writable(db),),
        )
    require_durable(settings.redis_url)
    client = async_client(settings.redis_url)
    kept_by = store_clock(settings.redis_url, clock)
    return State(
        open_tokens(settings, client),  # closed with the client
        RedisNonces(client, kept_by),
        Layered(RedisCache(client, "callers", ttl, lambda c: c.user_id, Caller), size, ttl),
        Layered(RedisCache(client, "users", ttl, dump_reply, load_reply), size, ttl),
        RedisCache(client, "cursors", CURSOR_TTL, str, str),
        RedisCache(client, "request_tokens", REQUEST_TOKEN_TTL, str, str),
        RedisSwitch(client),
        RedisComparisons(client, ENDPOINTS),
        RedisRoutes(client),
        (client.aclose,),
        kept_by,
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
