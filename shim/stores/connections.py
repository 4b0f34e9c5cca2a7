"""Redis clients for SHIM_REDIS_URL, whichever way the operator runs Redis (docs/operations.md):

- one server: `redis://[user:password@]host:port/db`, `rediss://…` for TLS, `unix:///path`;
- Sentinel: `redis+sentinel://[user:password@]host:port[,host:port…]/service[/db]` (or
  `rediss+sentinel://`), the master of `service` asked of those sentinels, again after a
  failover;
- Redis Cluster: `redis+cluster://[user:password@]host:port[,host:port…]` (or
  `rediss+cluster://`), the other nodes found from these.

TLS and the rest are redis-py's URL query parameters (`ssl_ca_certs`, `ssl_certfile`,
`ssl_keyfile`, `ssl_cert_reqs`, …), for every form; a Sentinel's own credentials, when it has
any, are `sentinel_username` and `sentinel_password`. User and password are the server's ACL
user (or `requirepass`); nothing here logs the URL.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.sentinel
import redis.cluster
import redis.sentinel
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException
from redis.retry import Retry

from shim.config import ConfigError

SYNC_TIMEOUT = 2.0  # seconds one call of the start-up checks may take
REDIS_CONNECTIONS = 64  # per instance (per node in a cluster)
SENTINEL_ONLY = ("sentinel_username", "sentinel_password")
FAILURES = (redis.RedisError, RedisClusterException)
"""What a call to Redis may raise: a cluster's own errors are not `RedisError`s."""


@dataclass(frozen=True)
class Where:
    """SHIM_REDIS_URL taken apart: the kind of deployment, its nodes, and the options each
    connection takes (from redis-py's own URL parsing)."""

    kind: str  # "single", "sentinel" or "cluster"
    url: str  # one server's URL, as redis-py reads it (for "single"; a template otherwise)
    nodes: tuple[tuple[str, int], ...] = ()
    service: str = ""
    sentinel: dict[str, Any] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for each connection: user, password, TLS, database."""
        found: dict[str, Any] = redis.connection.parse_url(self.url)  # type: ignore[no-untyped-call]
        for name in ("host", "port", "path"):
            found.pop(name, None)
        if found.pop("connection_class", None) is redis.SSLConnection:
            found["ssl"] = True
        return found


def where(url: str) -> Where:
    """SHIM_REDIS_URL taken apart; `ConfigError` (one line, no secret in it) when malformed."""
    scheme, _, rest = url.partition("://")
    base, plus, kind = scheme.lower().partition("+")
    if not rest or base not in ("redis", "rediss", "unix") or (plus and kind not in KINDS):
        raise ConfigError(
            "SHIM_REDIS_URL: not a redis://, rediss://, unix://, redis+sentinel:// or "
            "redis+cluster:// URL"
        )
    if not plus:
        return Where("single", _connectable(url))
    parts = urlsplit(f"{base}://{rest}")
    credentials, _, hosts = parts.netloc.rpartition("@")
    query = dict(parse_qsl(parts.query))
    sentinel = {
        name.removeprefix("sentinel_"): query.pop(name) for name in SENTINEL_ONLY if name in query
    }
    try:
        nodes = tuple(
            (host, int(port)) for host, _, port in (n.rpartition(":") for n in hosts.split(","))
        )
    except ValueError:
        raise ConfigError("SHIM_REDIS_URL: each node is host:port") from None
    if not all(0 < port < 65536 for _, port in nodes):
        raise ConfigError(BAD_PORT)
    path = [step for step in parts.path.split("/") if step]
    service = path[0] if kind == "sentinel" and path else ""
    if kind == "sentinel" and not service:
        raise ConfigError("SHIM_REDIS_URL: redis+sentinel:// names the service: …/mymaster")
    db = path[1] if kind == "sentinel" and len(path) > 1 else ""
    at = f"{credentials}@" if credentials else ""
    template = f"{base}://{at}{nodes[0][0]}:{nodes[0][1]}/{db}" + (
        f"?{urlencode(query)}" if query else ""
    )
    return Where(kind, _connectable(template), nodes, service, sentinel)


KINDS = ("sentinel", "cluster")
BAD_PORT = "SHIM_REDIS_URL: a port is not a number from 1 to 65535"


def _connectable(url: str) -> str:
    """`url` when redis-py can make a connection of it (making one does not connect), else
    `ConfigError`: a bad port or option would otherwise stop a command with a traceback. The
    message names the option, never the URL's text (a password parsed as a port is quoted)."""
    try:
        redis.ConnectionPool.from_url(url).make_connection()
    except ValueError as error:
        raise ConfigError(
            BAD_PORT if "Port" in str(error) else f"SHIM_REDIS_URL: {error}"
        ) from None
    except TypeError as error:  # an option this kind of connection does not take
        option = str(error).rpartition(" ")[2]
        raise ConfigError(
            f"SHIM_REDIS_URL: a {url.partition(':')[0]}:// connection takes no {option} option "
            "(TLS options need rediss://)"
        ) from None
    except redis.RedisError as error:
        raise ConfigError(f"SHIM_REDIS_URL: {error}") from None
    return url


def async_client(url: str, timeout: float) -> redis.asyncio.Redis:
    """The request path's client: each call bounded by `timeout`, no retries (the caller's
    `bounded` is the whole time budget), at most REDIS_CONNECTIONS connections, waited for
    `timeout` at most. A cluster client is typed as a plain one: the shim uses only what both
    offer."""
    at = where(url)
    no_retry = AsyncRetry(NoBackoff(), 0)
    bounds: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if at.kind == "cluster":
        nodes = [redis.asyncio.cluster.ClusterNode(host, port) for host, port in at.nodes]
        options = {k: v for k, v in at.options().items() if k != "db"}
        cluster = redis.asyncio.cluster.RedisCluster(
            startup_nodes=nodes, max_connections=REDIS_CONNECTIONS, **bounds, **options
        )
        return cluster  # type: ignore[return-value]
    if at.kind == "sentinel":
        sentinels = redis.asyncio.sentinel.Sentinel(
            at.nodes, sentinel_kwargs=sentinel_options(at) | bounds, **bounds, **at.options()
        )
        master: redis.asyncio.Redis = sentinels.master_for(
            at.service,
            redis_class=SentinelMaster,
            retry=no_retry,
            max_connections=REDIS_CONNECTIONS,
        )
        return master
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_CONNECTIONS, timeout=timeout, retry=no_retry, **bounds
    )
    return redis.asyncio.Redis.from_pool(pool)  # closing the client closes the pool


def sync_client(url: str, timeout: float = SYNC_TIMEOUT) -> redis.Redis:
    """A blocking client, for the checks at start and the operator's commands."""
    at = where(url)
    bounds: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if at.kind == "cluster":
        nodes = [redis.cluster.ClusterNode(h, p) for h, p in at.nodes]  # type: ignore[no-untyped-call]
        options = {k: v for k, v in at.options().items() if k != "db"}
        try:  # a cluster client asks for the slots at once
            return redis.cluster.RedisCluster(startup_nodes=nodes, **bounds, **options)  # type: ignore[return-value]
        except FAILURES as error:
            raise unreachable(error) from None
    if at.kind == "sentinel":
        sentinels = redis.sentinel.Sentinel(
            at.nodes, sentinel_kwargs=sentinel_options(at) | bounds, **bounds, **at.options()
        )
        master: redis.Redis = sentinels.master_for(
            at.service, redis_class=SyncSentinelMaster, retry=Retry(NoBackoff(), 0)
        )
        return master
    return redis.Redis.from_url(url, **bounds)


class SentinelMaster(redis.asyncio.Redis):
    """The master a sentinel names; closing it closes its connections and the sentinels'."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool=True)
        for asked in self.connection_pool.sentinel_manager.sentinels:  # type: ignore[attr-defined]
            await asked.aclose()


class SyncSentinelMaster(redis.Redis):
    """The same, blocking."""

    def close(self) -> None:
        super().close()
        self.connection_pool.disconnect()
        for asked in self.connection_pool.sentinel_manager.sentinels:  # type: ignore[attr-defined]
            asked.close()


def unreachable(error: Exception) -> ConfigError:
    return ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})")


def sentinel_options(at: Where) -> dict[str, Any]:
    """How to reach the sentinels themselves: TLS as the servers, their own credentials."""
    found = {k: v for k, v in at.options().items() if k.startswith("ssl")}
    return found | at.sentinel


def primaries(client: redis.Redis) -> Iterator[redis.Redis | Any]:
    """What to read settings from: every master of a cluster, else the client itself."""
    if isinstance(client, redis.cluster.RedisCluster):
        for node in client.get_primaries():
            yield node.redis_connection
    else:
        yield client
