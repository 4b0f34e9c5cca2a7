"""Settings from SHIM_* environment variables: the only place that reads the environment."""

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and what to do."""


DEFAULT_DB = "./shim.db"
DEFAULT_UPSTREAM = "https://api.x.com"
DEFAULT_TIMEOUT = 10.0
LOG_FORMATS = ("text", "json")
GRACE = 30  # seconds SIGTERM waits for requests in flight (and comparisons) to finish


@dataclass(frozen=True, slots=True)
class Settings:
    """How the shim runs. Secrets are left out of `repr` so they never reach a log."""

    consumer_key: str = ""
    consumer_secret: str = field(default="", repr=False)
    db_path: str = DEFAULT_DB
    access_token: str | None = None
    access_token_secret: str | None = field(default=None, repr=False)
    public_urls: tuple[str, ...] = ()
    upstream_url: str = DEFAULT_UPSTREAM
    upstream_timeout: float = DEFAULT_TIMEOUT
    passthrough: bool = True
    cache_ttl: float = 300.0
    cache_size: int = 10_000
    admin_token: str | None = field(default=None, repr=False)
    token_secret: str | None = field(default=None, repr=False)  # for `shim tokens add` only
    config_path: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    max_body: int = 1 << 20
    caller_concurrency: int = 20
    unverified_concurrency: int = 20
    unverified_per_address: int = 5
    max_connections: int = 1000
    client_connections: int = 100
    trusted_proxies: tuple[str, ...] = ()
    read_timeout: float = 10.0
    # Past a load balancer's idle time-out (60 s at AWS's ALB), so the balancer closes an idle
    # connection first and never sends on one the shim is closing (docs/operations.md).
    keepalive_timeout: float = 75.0
    drain_seconds: float = 5.0  # answering not-ready after SIGTERM, before stopping
    # The upstream circuit breaker (shim.upstream.breaker; docs/operations.md gives the reasons
    # for these defaults): a failure rate over a window, a minimum of calls, a wait, probes.
    breaker_window: float = 10.0
    breaker_min_calls: int = 20
    breaker_failure_rate: float = 50.0  # percent
    breaker_cooldown: float = 5.0
    breaker_probes: int = 3
    redis_url: str | None = field(default=None, repr=False)
    log_format: str = "text"
    # The hand-written signer and signature check, and aiohttp under httpx2
    # (docs/performance.md); off, oauthlib and httpx2's own transport do that work, as a way
    # back should a speed-up ever part from the library it stands in for.
    speedups: bool = True
    # In front of the simulated X (`shim serve --sandbox`): every answer marked, the dashboard
    # says so. Set by the command, never from the environment.
    sandbox: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Read SHIM_* variables; unset ones keep their defaults."""
        token, token_secret = env.get("SHIM_ACCESS_TOKEN"), env.get("SHIM_ACCESS_TOKEN_SECRET")
        if bool(token) != bool(token_secret):
            raise ConfigError("set both SHIM_ACCESS_TOKEN and SHIM_ACCESS_TOKEN_SECRET, or neither")
        unverified, per_address = _unverified(env)
        connections, per_client = _connections(env)
        return cls(
            consumer_key=env.get("SHIM_CONSUMER_KEY", ""),
            consumer_secret=env.get("SHIM_CONSUMER_SECRET", ""),
            db_path=_db(env.get("SHIM_DB", DEFAULT_DB)),
            access_token=token or None,
            access_token_secret=token_secret or None,
            public_urls=_origins(env.get("SHIM_PUBLIC_URL", "")),
            upstream_url=_upstream(env.get("SHIM_UPSTREAM_URL", DEFAULT_UPSTREAM)),
            upstream_timeout=_seconds(env.get("SHIM_UPSTREAM_TIMEOUT"), DEFAULT_TIMEOUT),
            passthrough=_switch(env.get("SHIM_PASSTHROUGH", "on"), "SHIM_PASSTHROUGH"),
            cache_ttl=_number(env.get("SHIM_CACHE_TTL"), 300.0, "SHIM_CACHE_TTL", 0, 86_400),
            cache_size=int(
                _number(env.get("SHIM_CACHE_SIZE"), 10_000, "SHIM_CACHE_SIZE", 0, 10**7)
            ),
            admin_token=_admin_token(env.get("SHIM_ADMIN_TOKEN") or None),
            config_path=env.get("SHIM_CONFIG") or None,
            secret_key=env.get("SHIM_SECRET_KEY") or None,
            token_secret=env.get("SHIM_TOKEN_SECRET") or None,
            max_body=int(_number(env.get("SHIM_MAX_BODY"), 1 << 20, "SHIM_MAX_BODY", 1, 1 << 30)),
            caller_concurrency=int(
                _number(env.get("SHIM_CALLER_CONCURRENCY"), 20, "SHIM_CALLER_CONCURRENCY", 1, 1000)
            ),
            unverified_concurrency=unverified,
            unverified_per_address=per_address,
            max_connections=connections,
            client_connections=per_client,
            trusted_proxies=_proxies(env.get("SHIM_TRUSTED_PROXIES", "")),
            read_timeout=_number(env.get("SHIM_READ_TIMEOUT"), 10.0, "SHIM_READ_TIMEOUT", 0.1, 300),
            keepalive_timeout=_number(
                env.get("SHIM_KEEPALIVE_TIMEOUT"), 75.0, "SHIM_KEEPALIVE_TIMEOUT", 1, 3600
            ),
            drain_seconds=_number(env.get("SHIM_DRAIN_SECONDS"), 5.0, "SHIM_DRAIN_SECONDS", 0, 600),
            breaker_window=_number(
                env.get("SHIM_BREAKER_WINDOW"), 10, "SHIM_BREAKER_WINDOW", 1, 600
            ),
            breaker_min_calls=_whole(env, "SHIM_BREAKER_MIN_CALLS", 20, 1, 100_000),
            breaker_failure_rate=_number(
                env.get("SHIM_BREAKER_FAILURE_RATE"), 50, "SHIM_BREAKER_FAILURE_RATE", 1, 100
            ),
            breaker_cooldown=_number(
                env.get("SHIM_BREAKER_COOLDOWN"), 5, "SHIM_BREAKER_COOLDOWN", 0.1, 600
            ),
            breaker_probes=_whole(env, "SHIM_BREAKER_PROBES", 3, 1, 100),
            redis_url=env.get("SHIM_REDIS_URL") or None,
            log_format=_choice(env.get("SHIM_LOG_FORMAT", "text"), "SHIM_LOG_FORMAT", LOG_FORMATS),
            speedups=_switch(env.get("SHIM_SPEEDUPS", "on"), "SHIM_SPEEDUPS"),
        )

    def require_app(self) -> None:
        """Fail unless the app's consumer key and secret are set: nothing verifies without them."""
        if not self.consumer_key or not self.consumer_secret:
            raise ConfigError(
                "set SHIM_CONSUMER_KEY and SHIM_CONSUMER_SECRET to your X app's API key and secret"
            )


def _unverified(env: Mapping[str, str]) -> tuple[int, int]:
    """The share of the upstream for work no user credential vouches for, and each client
    address's part of it: at most half the pool (shim.upstream.client.MAX_CONNECTIONS, 100), so
    verified users always keep the rest."""
    name = "SHIM_UNVERIFIED_CONCURRENCY"
    total = int(_number(env.get(name), 20, name, 1, 50))
    name = "SHIM_UNVERIFIED_PER_ADDRESS"  # a part of the whole, so never more than it
    return total, int(_number(env.get(name), min(5, total), name, 1, total))


def _connections(env: Mapping[str, str]) -> tuple[int, int]:
    """The cap on open connections, and each client address's share of it (a tenth by
    default), so one address cannot hold them all."""
    name = "SHIM_MAX_CONNECTIONS"
    total = int(_number(env.get(name), 1000, name, 1, 100_000))
    name = "SHIM_CLIENT_CONNECTIONS"
    return total, int(_number(env.get(name), max(1, total // 10), name, 1, total))


def _proxies(value: str) -> tuple[str, ...]:
    """Addresses and networks whose X-Forwarded-For and X-Forwarded-Proto are believed."""
    proxies = []
    for proxy in (proxy.strip() for proxy in value.split(",") if proxy.strip()):
        try:  # as a network, which uvicorn reads as one (10.0.0.1/8 would be a name to it)
            proxies.append(str(ipaddress.ip_network(proxy, strict=False)))
        except ValueError:
            raise ConfigError(
                f"SHIM_TRUSTED_PROXIES: {proxy!r} is not an address or a network such as 10.0.0.0/8"
            ) from None
    return tuple(proxies)


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"SHIM_PUBLIC_URL: {origin!r} is not an origin such as https://shim.example.com"
            )
    return origins


def _upstream(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"SHIM_UPSTREAM_URL must be a URL such as https://api.x.com, not {value!r}"
        )
    try:
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        raise ConfigError(f"SHIM_UPSTREAM_URL: {value!r} has no valid port") from None
    if parts.path.strip("/") or parts.query or parts.fragment:
        # The shim adds /1.1/… and /2/… itself: a path here would send calls to /2/2/… (issue 25).
        origin = f"{parts.scheme}://{parts.netloc}"
        raise ConfigError(
            f"SHIM_UPSTREAM_URL: {value!r} has a path; give the origin only, e.g. {origin}: "
            "the shim adds /1.1/ and /2/ itself"
        )
    return value.rstrip("/")


ADMIN_TOKEN_LENGTH = 32


def _admin_token(token: str | None) -> str | None:
    """Refuse a token short enough to guess: the pages it opens flip every user's routing.
    (Its length is named, never the token.)"""
    if token is not None and len(token) < ADMIN_TOKEN_LENGTH:
        raise ConfigError(
            f"SHIM_ADMIN_TOKEN has {len(token)} characters: use at least {ADMIN_TOKEN_LENGTH} "
            "random ones, e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return token


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite file


def _db(path: str) -> str:
    """The SQLite file: its folder must exist, and what is there already must be a database
    (sqlite3 would stop every command with a traceback otherwise)."""
    if path == ":memory:":
        return path
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise ConfigError(
            f"SHIM_DB: the folder {folder} does not exist: create it, or point SHIM_DB elsewhere"
        )
    if os.path.isdir(path):
        raise ConfigError(
            f"SHIM_DB: {path} is a folder: name a file in it, e.g. SHIM_DB={path.rstrip('/')}/"
            "shim.db"
        )
    if os.path.isfile(path) and _header(path) not in (b"", SQLITE_HEADER):
        raise ConfigError(
            f"SHIM_DB: {path} is not a SQLite database: point SHIM_DB at the shim's file, or at "
            "a path where none is yet (it is made there)"
        )
    return path


def _header(path: str) -> bytes:
    """The first bytes of a file; the SQLite header when it cannot be read (the store's own
    opening then says why, in one line)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(SQLITE_HEADER))
    except OSError:
        return SQLITE_HEADER


def _seconds(value: str | None, default: float) -> float:
    seconds = _number(value, default, "SHIM_UPSTREAM_TIMEOUT", 0, 300)
    if seconds == 0:
        raise ConfigError("SHIM_UPSTREAM_TIMEOUT must be more than 0 seconds")
    return seconds


def _number(value: str | None, default: float, name: str, low: float, high: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}")
    return number


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A count: a whole number (2.5 calls is a mistake, not 2)."""
    number = _number(env.get(name), default, name, low, high)
    if number != int(number):
        raise ConfigError(f"{name} must be a whole number, not {env[name]!r}")
    return int(number)


def _choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _switch(value: str, name: str) -> bool:
    if value.lower() in ("on", "true", "1", "yes"):
        return True
    if value.lower() in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name} must be on or off, not {value!r}")
