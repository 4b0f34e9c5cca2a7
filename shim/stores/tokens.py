"""The users' access tokens and secrets, behind one interface (`shim.stores.protocols.Tokens`):
the request path looks secrets up and stores them on sign-in, `shim tokens` manages them and
`shim check` counts them, all through `open_tokens(settings)`. They are kept in the embedded
SQLite file (SHIM_DB, `SQLiteTokens`) or, with SHIM_REDIS_URL, in a Redis hash every instance
reads (`RedisTokens`); both seal secrets alike (`shim.stores.sealing`), and both refuse a wrong
SHIM_SECRET_KEY when they are opened.

The file holds secrets, so it is created readable by its owner only, and nothing here ever
prints or logs a secret. `shim tokens encrypt` encrypts the secrets of a store written before
the key was set, all of them or none.
"""

import hashlib
import json
from datetime import UTC, datetime

import redis
import redis.asyncio
from redis.typing import EncodableT, FieldT

from shim.config import ConfigError, Settings
from shim.stores.connections import FAILURES, sync_client
from shim.stores.memory import TTLCache
from shim.stores.protocols import StoredToken, Tokens
from shim.stores.redis import PREFIX, REDIS_TIMEOUT, as_text, async_client, bounded
from shim.stores.sealing import Sealer
from shim.stores.sqlite import connect

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tokens (
        token TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        added_at TEXT NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def digest(token: str) -> str:
    """A cache key for a token, so no cache ever holds a token in clear."""
    return hashlib.sha256(token.encode()).hexdigest()


def mask(token: str) -> str:
    """Enough of a token to tell it apart, not enough to use it."""
    user, dash, rest = token.partition("-")
    if dash and user.isdigit():
        return f"{user}-{rest[:3]}…{rest[-3:]}" if len(rest) > 8 else f"{user}-…"
    return f"{token[:3]}…{token[-3:]}" if len(token) > 8 else "…"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SQLiteTokens:
    """Access-token secrets by token, in one SQLite file, encrypted when a key is given. The
    calls are plain blocking ones, as in `shim.stores.sqlite`: a local file, no network wait."""

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

    async def aclose(self) -> None:
        self._db.close()

    async def add(self, token: str, secret: str) -> None:
        """Store a token's secret, replacing any earlier one."""
        stored, encrypted = self._sealer.seal(secret)
        self._db.execute(
            "INSERT OR REPLACE INTO tokens (token, secret, added_at, encrypted) "
            "VALUES (?, ?, ?, ?)",
            (token, stored, now(), encrypted),
        )

    async def secret(self, token: str) -> str | None:
        """The secret of a stored token, or None."""
        row = self._db.execute(
            "SELECT secret, encrypted FROM tokens WHERE token = ?", (token,)
        ).fetchone()
        return None if row is None else self._sealer.open(row[0], bool(row[1]))

    async def remove(self, token: str) -> bool:
        """Forget a token; False when it was not stored."""
        return self._db.execute("DELETE FROM tokens WHERE token = ?", (token,)).rowcount > 0

    async def list(self) -> list[StoredToken]:
        """Every stored token, masked, oldest first."""
        rows = self._db.execute(
            "SELECT token, added_at, encrypted FROM tokens ORDER BY added_at, token"
        )
        return [StoredToken(mask(token), added_at, bool(enc)) for token, added_at, enc in rows]

    async def tokens(self) -> tuple[str, ...]:
        """Every stored token itself, oldest first: for `shim check` to try each, never to print."""
        rows = self._db.execute("SELECT token FROM tokens ORDER BY added_at, token")
        return tuple(token for (token,) in rows)

    async def encrypt_all(self) -> int:
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

    async def plaintext(self) -> int:
        """How many secrets are stored in clear."""
        return int(
            self._db.execute("SELECT count(*) FROM tokens WHERE encrypted = 0").fetchone()[0]
        )


TOKENS = PREFIX + "tokens"
SECRET_MEMO = 5.0  # seconds a token secret read from Redis is reused here (`tokens remove` lag)
OPERATOR_TIMEOUT = 10.0  # seconds one Redis call of `shim tokens` or `shim check` may take


class RedisTokens:
    """Token secrets in a Redis hash, sealed as in the SQLite file, so every instance knows
    every user, including those who signed in through another instance. Each call is bounded
    (`shim.stores.redis.bounded`: `StoreUnavailable` when Redis does not answer in time). A
    secret found is remembered a few seconds, so a caller's requests cost one Redis call (the
    nonce), not two; a token not found is asked for again each time: it may have just signed
    in elsewhere."""

    def __init__(
        self, client: redis.asyncio.Redis, sealer: Sealer, timeout: float = REDIS_TIMEOUT
    ) -> None:
        self._redis, self._sealer, self._timeout = client, sealer, timeout
        self._memo: TTLCache[str, str] = TTLCache(10_000, SECRET_MEMO)

    async def add(self, token: str, secret: str) -> None:
        packed = json.dumps([*self._sealer.seal(secret), now()])
        await bounded(self._redis.hset(TOKENS, token, packed), self._timeout)

    async def secret(self, token: str) -> str | None:
        known = await self._memo.get(token)
        if known is not None:
            return known
        raw = await bounded(self._redis.hget(TOKENS, token), self._timeout)
        if raw is None:
            return None
        sealed, encrypted, _ = json.loads(raw)
        secret = self._sealer.open(sealed, encrypted)
        await self._memo.put(token, secret)
        return secret

    async def remove(self, token: str) -> bool:
        self._memo.forget(token)
        return bool(await bounded(self._redis.hdel(TOKENS, token), self._timeout))

    async def _entries(self) -> dict[str, list[object]]:
        stored = await bounded(self._redis.hgetall(TOKENS), self._timeout)
        return {as_text(token): json.loads(raw) for token, raw in stored.items()}

    async def list(self) -> list[StoredToken]:
        entries = sorted((e[2], token, e[1]) for token, e in (await self._entries()).items())
        return [StoredToken(mask(token), str(added), bool(enc)) for added, token, enc in entries]

    async def tokens(self) -> tuple[str, ...]:
        return tuple(
            as_text(token) for token in await bounded(self._redis.hkeys(TOKENS), self._timeout)
        )

    async def encrypt_all(self) -> int:
        self._sealer.require_key()
        plain = {t: entry for t, entry in (await self._entries()).items() if not entry[1]}
        if plain:
            sealed: dict[FieldT, EncodableT] = {
                t: json.dumps([self._sealer.seal(str(secret))[0], True, added])
                for t, (secret, _, added) in plain.items()
            }  # one command: the hash is never left half migrated
            await bounded(self._redis.hset(TOKENS, mapping=sealed), self._timeout)
        return len(plain)

    async def plaintext(self) -> int:
        return sum(
            not json.loads(raw)[1]
            for raw in await bounded(self._redis.hvals(TOKENS), self._timeout)
        )

    async def aclose(self) -> None:
        await self._redis.aclose()


def check_redis(url: str, sealer: Sealer) -> None:
    """Refuse a Redis token hash SHIM_SECRET_KEY does not open, before anything reads it; seal
    the check value into a new one."""
    client = sync_client(url)
    try:
        stored = client.get(TOKENS + ":check")
        check = sealer.check(as_text(stored) if stored is not None else None)
        if check is not None:
            client.set(TOKENS + ":check", check, nx=True)
    except FAILURES as error:
        raise ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})") from None
    finally:
        client.close()


def open_tokens(settings: Settings, client: redis.asyncio.Redis | None = None) -> Tokens:
    """The token store: SHIM_DB, or Redis for several instances with SHIM_REDIS_URL (through
    `client`, the request path's, or a client of its own with a longer bound on each call for
    the operator's commands, closed with the store). A wrong key is refused here."""
    if not settings.redis_url:
        return SQLiteTokens(settings.db_path, settings.secret_key)
    sealer = Sealer(settings.secret_key)
    check_redis(settings.redis_url, sealer)
    if client is not None:
        return RedisTokens(client, sealer)
    return RedisTokens(async_client(settings.redis_url, OPERATOR_TIMEOUT), sealer, OPERATOR_TIMEOUT)
