"""The users' access tokens and secrets: one interface (`shim.stores.protocols.Tokens`, as
`shim tokens` manages them), kept in the embedded SQLite file (SHIM_DB, `TokenStore`) or, with
SHIM_REDIS_URL, in a Redis hash (`RedisTokenStore`); the request path reads them through
`LocalSecrets` or `RedisSecrets`. They stay in one module because both backends seal secrets
alike.

The file holds secrets, so it is created readable by its owner only, and nothing here ever
prints or logs a secret. With SHIM_SECRET_KEY set, secrets are stored encrypted with it
(Fernet: AES-128-CBC and HMAC-SHA256); the store then also holds a check value, so a wrong key
is refused at start instead of failing one user at a time. `shim tokens encrypt` encrypts the
secrets of a store written before the key was set.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime

import redis
import redis.asyncio
from cryptography.fernet import Fernet, InvalidToken

from shim.config import ConfigError, Settings
from shim.stores.memory import TTLCache
from shim.stores.protocols import StoredToken, Tokens
from shim.stores.redis import PREFIX, as_text, bounded
from shim.stores.sqlite import connect

log = logging.getLogger("shim.credentials")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tokens (
        token TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        added_at TEXT NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
CHECK = b"twitter-mute-shim key check"


def digest(token: str) -> str:
    """A cache key for a token, so no cache ever holds a token in clear."""
    return hashlib.sha256(token.encode()).hexdigest()


def mask(token: str) -> str:
    """Enough of a token to tell it apart, not enough to use it."""
    user, dash, rest = token.partition("-")
    if dash and user.isdigit():
        return f"{user}-{rest[:3]}…{rest[-3:]}" if len(rest) > 8 else f"{user}-…"
    return f"{token[:3]}…{token[-3:]}" if len(token) > 8 else "…"


class Sealer:
    """Encrypts secrets with SHIM_SECRET_KEY, or keeps them in clear without one; shared by the
    SQLite store and the Redis one (`RedisTokenStore`)."""

    def __init__(self, key: str | None) -> None:
        self._fernet = _fernet(key)

    def check(self, stored: str | None) -> str | None:
        """Refuse a store its key does not open; the check value to store in a new one."""
        if stored is None:
            return None if self._fernet is None else self._fernet.encrypt(CHECK).decode()
        if self._fernet is None:
            raise ConfigError("this token store is encrypted: set SHIM_SECRET_KEY to its key")
        try:
            self._fernet.decrypt(stored.encode())
        except InvalidToken:
            raise ConfigError(
                "SHIM_SECRET_KEY is not the key this token store was encrypted with"
            ) from None
        return None

    def seal(self, secret: str) -> tuple[str, bool]:
        """The secret as stored, and whether it is encrypted."""
        if self._fernet is None:
            return secret, False
        return self._fernet.encrypt(secret.encode()).decode(), True

    def open(self, stored: str, encrypted: bool) -> str:
        if not encrypted:
            return stored
        if self._fernet is None:  # a check value in the store made this fail earlier
            raise ConfigError("this token store is encrypted: set SHIM_SECRET_KEY to its key")
        return self._fernet.decrypt(stored.encode()).decode()

    def require_key(self) -> None:
        if self._fernet is None:
            raise ConfigError("set SHIM_SECRET_KEY to the key to encrypt with")


class TokenStore:
    """Access-token secrets by token, in one SQLite file, encrypted when a key is given."""

    def __init__(self, path: str, key: str | None = None) -> None:
        self._db = connect(path)
        for statement in SCHEMA:
            self._db.execute(statement)
        if "encrypted" not in {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}:
            # Stores from before encryption: every secret in them is in clear.
            self._db.execute("ALTER TABLE tokens ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0")
        self._sealer = Sealer(key)
        row = self._db.execute("SELECT value FROM meta WHERE name = 'check'").fetchone()
        check = self._sealer.check(row[0] if row else None)
        if check is not None:
            self._db.execute("INSERT INTO meta (name, value) VALUES ('check', ?)", (check,))

    def close(self) -> None:
        self._db.close()

    def add(self, token: str, secret: str) -> None:
        """Store a token's secret, replacing any earlier one."""
        stored, encrypted = self._sealer.seal(secret)
        self._db.execute(
            "INSERT OR REPLACE INTO tokens (token, secret, added_at, encrypted) "
            "VALUES (?, ?, ?, ?)",
            (token, stored, now(), encrypted),
        )

    def secret(self, token: str) -> str | None:
        """The secret of a stored token, or None."""
        row = self._db.execute(
            "SELECT secret, encrypted FROM tokens WHERE token = ?", (token,)
        ).fetchone()
        return None if row is None else self._sealer.open(row[0], bool(row[1]))

    def remove(self, token: str) -> bool:
        """Forget a token; False when it was not stored."""
        return self._db.execute("DELETE FROM tokens WHERE token = ?", (token,)).rowcount > 0

    def list(self) -> list[StoredToken]:
        """Every stored token, masked, oldest first."""
        rows = self._db.execute(
            "SELECT token, added_at, encrypted FROM tokens ORDER BY added_at, token"
        )
        return [StoredToken(mask(token), added_at, bool(enc)) for token, added_at, enc in rows]

    def tokens(self) -> tuple[str, ...]:
        """Every stored token itself, oldest first: for `shim check` to try each, never to print."""
        rows = self._db.execute("SELECT token FROM tokens ORDER BY added_at, token")
        return tuple(token for (token,) in rows)

    def encrypt_all(self) -> int:
        """Encrypt every secret still in clear; how many were."""
        self._sealer.require_key()
        plain = self._db.execute("SELECT token, secret FROM tokens WHERE encrypted = 0").fetchall()
        self._db.execute("BEGIN")  # one transaction: a store is never left half migrated
        try:
            for token, secret in plain:
                sealed, _ = self._sealer.seal(secret)
                self._db.execute(
                    "UPDATE tokens SET secret = ?, encrypted = 1 WHERE token = ?", (sealed, token)
                )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return len(plain)

    def plaintext(self) -> int:
        """How many secrets are stored in clear."""
        return int(
            self._db.execute("SELECT count(*) FROM tokens WHERE encrypted = 0").fetchone()[0]
        )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fernet(key: str | None) -> Fernet | None:
    if not key:
        return None
    try:
        return Fernet(key.encode())
    except ValueError:
        raise ConfigError(
            "SHIM_SECRET_KEY must be a Fernet key (32 bytes, url-safe base64): "
            "make one with `shim tokens new-key`"
        ) from None


class LocalSecrets:
    """The SQLite token store as the request path uses it (a local file: no network wait)."""

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    async def secret(self, token: str) -> str | None:
        return self._store.secret(token)

    async def add(self, token: str, secret: str) -> None:
        self._store.add(token, secret)


TOKENS = PREFIX + "tokens"


def pack(sealer: Sealer, secret: str, added: str) -> str:
    return json.dumps([*sealer.seal(secret), added])


def unpack(sealer: Sealer, raw: bytes | str) -> str:
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
        check = self._sealer.check(as_text(stored) if stored is not None else None)
        if check is not None:
            self._redis.set(TOKENS + ":check", check, nx=True)

    def add(self, token: str, secret: str) -> None:
        self._redis.hset(TOKENS, token, pack(self._sealer, secret, now()))

    def secret(self, token: str) -> str | None:
        raw = self._redis.hget(TOKENS, token)
        return None if raw is None else unpack(self._sealer, raw)

    def remove(self, token: str) -> bool:
        return bool(self._redis.hdel(TOKENS, token))

    def list(self) -> list[StoredToken]:
        entries = [(as_text(t), json.loads(raw)) for t, raw in self._redis.hgetall(TOKENS).items()]
        entries.sort(key=lambda entry: (entry[1][2], entry[0]))
        return [
            StoredToken(mask(token), added, encrypted) for token, (_, encrypted, added) in entries
        ]

    def tokens(self) -> tuple[str, ...]:
        return tuple(as_text(token) for token in self._redis.hkeys(TOKENS))

    def encrypt_all(self) -> int:
        self._sealer.require_key()
        plain = {as_text(t): json.loads(raw) for t, raw in self._redis.hgetall(TOKENS).items()}
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
        secret = unpack(self._sealer, raw)
        await self._memo.put(token, secret)
        return secret

    async def add(self, token: str, secret: str) -> None:
        await bounded(self._redis.hset(TOKENS, token, pack(self._sealer, secret, now())))


def token_store(settings: Settings) -> Tokens:
    """Where token secrets live: SHIM_DB, or Redis for several instances with SHIM_REDIS_URL."""
    if settings.redis_url:
        return RedisTokenStore(redis.Redis.from_url(settings.redis_url), settings.secret_key)
    return TokenStore(settings.db_path, settings.secret_key)
