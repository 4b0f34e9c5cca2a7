"""The state the shim keeps between calls, in process or, with SHIM_REDIS_URL, in Redis.

Instances behind one load balancer must agree on it: a nonce used at one instance is a replay at
another, a lookup cached by one saves the others theirs, the all-v1 switch flipped at one holds
for all, and comparisons from every instance make one report. Redis calls are synchronous: on
loopback or a LAN they take a fraction of a millisecond, and oauthlib's validator, which checks
nonces, is synchronous itself.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import redis

from mappings.compare import Difference, Outcome
from mappings.types import Caller, V2Reply
from shim.caches import TTLCache
from shim.comparisons import ComparisonStore, encode, summarize
from shim.config import Settings
from shim.credentials import Sealer, StoredToken, TokenStore, connect, mask, now
from shim.nonces import MemoryNonces, Nonces
from shim.routing import MemorySwitch, Switch

V = TypeVar("V")
PREFIX = "shim:"


class Cache(Protocol[V]):
    def get(self, key: str, default: V | None = None) -> V | None: ...
    def put(self, key: str, value: V) -> None: ...
    def stats(self) -> dict[str, int]: ...


class Comparisons(Protocol):
    def record(
        self, endpoint: str, served: str, v1: Outcome, v2: Outcome, found: Sequence[Difference]
    ) -> None: ...
    def report(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


@dataclass
class State:
    nonces: Nonces
    callers: Cache[Caller]
    users: Cache[V2Reply]
    cursors: Cache[str]
    request_tokens: Cache[str]
    all_v1: Switch
    comparisons: Comparisons


CURSOR_TTL = 86_400.0  # a v1.1 cursor stays valid for a day
REQUEST_TOKEN_TTL = 900.0  # Twitter's request tokens expired within minutes


def state(settings: Settings) -> State:
    """In-process state, or Redis's when SHIM_REDIS_URL is set."""
    ttl, size = settings.cache_ttl, settings.cache_size
    if not settings.redis_url:
        return State(
            MemoryNonces(),
            TTLCache(size, ttl),
            TTLCache(size, ttl),
            TTLCache(100_000, CURSOR_TTL),
            TTLCache(10_000, REQUEST_TOKEN_TTL),
            MemorySwitch(),
            ComparisonStore(connect(settings.db_path)),
        )
    client = _client(settings.redis_url)
    return State(
        RedisNonces(client),
        RedisCache(client, "callers", ttl, lambda c: c.user_id, Caller),
        RedisCache(client, "users", ttl, _dump_reply, _load_reply),
        RedisCache(client, "cursors", CURSOR_TTL, str, str),
        RedisCache(client, "request_tokens", REQUEST_TOKEN_TTL, str, str),
        RedisSwitch(client),
        RedisComparisons(client),
    )


class Tokens(Protocol):
    """A token store: SQLite's (`shim.credentials.TokenStore`) or Redis's."""

    def add(self, token: str, secret: str) -> None: ...
    def secret(self, token: str) -> str | None: ...
    def remove(self, token: str) -> bool: ...
    def list(self) -> list[StoredToken]: ...
    def encrypt_all(self) -> int: ...
    def plaintext(self) -> int: ...
    def close(self) -> None: ...


def token_store(settings: Settings) -> Tokens:
    """Where token secrets live: SHIM_DB, or Redis for several instances with SHIM_REDIS_URL."""
    if settings.redis_url:
        return RedisTokenStore(_client(settings.redis_url), settings.secret_key)
    return TokenStore(settings.db_path, settings.secret_key)


class RedisTokenStore:
    """Token secrets in a Redis hash, sealed as in the SQLite store, so every instance knows
    every user, including those who signed in through another instance."""

    KEY = PREFIX + "tokens"

    def __init__(self, client: redis.Redis, key: str | None) -> None:
        self._redis = client
        self._sealer = Sealer(key)
        stored = self._redis.get(self.KEY + ":check")
        check = self._sealer.check(_text(stored) if stored is not None else None)
        if check is not None:
            self._redis.set(self.KEY + ":check", check, nx=True)

    def add(self, token: str, secret: str) -> None:
        sealed, encrypted = self._sealer.seal(secret)
        self._redis.hset(self.KEY, token, json.dumps([sealed, encrypted, now()]))

    def secret(self, token: str) -> str | None:
        raw = self._redis.hget(self.KEY, token)
        if raw is None:
            return None
        sealed, encrypted, _ = json.loads(raw)
        return self._sealer.open(sealed, encrypted)

    def remove(self, token: str) -> bool:
        return bool(self._redis.hdel(self.KEY, token))

    def list(self) -> list[StoredToken]:
        entries = [(_text(t), json.loads(raw)) for t, raw in self._redis.hgetall(self.KEY).items()]
        entries.sort(key=lambda entry: (entry[1][2], entry[0]))
        return [
            StoredToken(mask(token), added, encrypted) for token, (_, encrypted, added) in entries
        ]

    def encrypt_all(self) -> int:
        self._sealer.require_key()
        plain = {_text(t): json.loads(raw) for t, raw in self._redis.hgetall(self.KEY).items()}
        plain = {t: entry for t, entry in plain.items() if not entry[1]}
        if plain:
            self._redis.hset(
                self.KEY,
                mapping={
                    t: json.dumps([self._sealer.seal(secret)[0], True, added])
                    for t, (secret, _, added) in plain.items()
                },
            )  # one command: the hash is never left half migrated
        return len(plain)

    def plaintext(self) -> int:
        return sum(not json.loads(raw)[1] for raw in self._redis.hvals(self.KEY))

    def close(self) -> None:
        self._redis.close()


class RedisNonces:
    """Nonces in Redis: SET NX makes "first one wins" hold across instances."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def seen(self, key: str) -> bool:
        return bool(self._redis.exists(PREFIX + "nonce:" + key))

    def add(self, key: str, ttl: float) -> bool:
        return bool(self._redis.set(PREFIX + "nonce:" + key, b"1", nx=True, ex=max(1, int(ttl))))


class RedisCache(Generic[V]):
    """A cache in Redis with a time to live; its size bound is Redis's `maxmemory`, with an
    eviction policy such as allkeys-lru. Hits and misses are counted per instance."""

    def __init__(
        self,
        client: redis.Redis,
        name: str,
        ttl: float,
        dump: Callable[[V], str],
        load: Callable[[str], V],
    ) -> None:
        self._redis, self._prefix, self._ttl = client, f"{PREFIX}{name}:", ttl
        self._dump, self._load = dump, load
        self.hits = self.misses = 0

    def get(self, key: str, default: V | None = None) -> V | None:
        raw = self._redis.get(self._prefix + key)
        if raw is None:
            self.misses += 1
            return default
        self.hits += 1
        return self._load(_text(raw))

    def put(self, key: str, value: V) -> None:
        if self._ttl > 0:
            self._redis.set(self._prefix + key, self._dump(value), px=int(self._ttl * 1000))

    def __len__(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(match=self._prefix + "*"))

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "entries": len(self)}


class RedisSwitch:
    """The all-v1 switch, one for every instance."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @property
    def on(self) -> bool:
        return self._redis.get(PREFIX + "all_v1") == b"1"

    @on.setter
    def on(self, value: bool) -> None:
        self._redis.set(PREFIX + "all_v1", b"1" if value else b"0")


class RedisComparisons:
    """Comparison records of every instance, in one Redis list."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def record(
        self, endpoint: str, served: str, v1: Outcome, v2: Outcome, found: Sequence[Difference]
    ) -> None:
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = {
            "at": at,
            "endpoint": endpoint,
            "served": served,
            "v1": [v1.status, v1.code],
            "v2": [v2.status, v2.code],
            "differences": encode(found),
        }
        self._redis.rpush(PREFIX + "comparisons", json.dumps(entry))

    def report(self) -> dict[str, Any]:
        entries = (json.loads(raw) for raw in self._redis.lrange(PREFIX + "comparisons", 0, -1))
        return summarize((e["endpoint"], e["differences"]) for e in entries)

    def close(self) -> None:
        self._redis.close()


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)


def _text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode()


def _dump_reply(reply: V2Reply) -> str:
    return json.dumps({"status": reply.status, "headers": dict(reply.headers), "body": reply.body})


def _load_reply(raw: str) -> V2Reply:
    data = json.loads(raw)
    return V2Reply(data["status"], data["headers"], data["body"])
