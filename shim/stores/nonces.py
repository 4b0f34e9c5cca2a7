"""Replay protection: each (consumer key, token, timestamp, nonce) is accepted once.

A request is acceptable only while its own `oauth_timestamp` is within the window of the shim's
clock, so a nonce is kept until that timestamp has left the window: its expiry is the timestamp
plus the window, on the same clock that judges timestamps. A clock stepped back keeps nonces
longer; one stepped forward drops only those whose requests it would refuse anyway.

The embedded store is the SQLite file (SHIM_DB), so a restart forgets nothing, on the machine's
wall clock; several instances share nonces through Redis (`shim.stores.state.RedisNonces`), and then
every instance keeps time by Redis's clock (`shim.stores.clock`), so that one instance's stepped
clock cannot shorten a nonce the others would still accept. A nonce that cannot be stored is a
request refused: the store never forgets a live nonce to make room.
"""

import sqlite3
import time
from collections.abc import Callable
from typing import Protocol

from shim.errors import StoreUnavailable

LIMIT = 2_000_000
"""Live nonces at most: some 3,000 requests a second over the 10-minute window, about 100 MB of
SQLite pages. Beyond it requests are refused (503, code 130) until entries expire."""
PURGE_EVERY = 1.0  # seconds between deletions of expired entries


class Nonces(Protocol):
    async def add(self, key: str, expires_at: float) -> bool:
        """Record the key until `expires_at` (seconds on the store's clock); False when it was
        already there (a replay). Raises `StoreUnavailable` when the key cannot be stored."""
        ...


class SQLiteNonces:
    """Nonces in a table of the SQLite file, as 64-bit integers of their hex digest keys."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        # One small commit a request: with WAL and NORMAL sync a commit survives the process
        # (a restart, a crash) without waiting on the disk; only the OS failing could lose the
        # last ones. WAL also lets several processes share the file.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS nonces (key INTEGER PRIMARY KEY, expires REAL NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires)")
        self._purged = float("-inf")
        self._live = int(self._db.execute("SELECT count(*) FROM nonces").fetchone()[0])

    async def add(self, key: str, expires_at: float) -> bool:
        now = self._clock()
        if now - self._purged >= PURGE_EVERY or self._live >= LIMIT:
            self._purged = now
            self._live -= self._db.execute("DELETE FROM nonces WHERE expires <= ?", (now,)).rowcount
        if self._live >= LIMIT:
            raise StoreUnavailable
        added = self._db.execute(
            "INSERT OR IGNORE INTO nonces (key, expires) VALUES (?, ?)", (compact(key), expires_at)
        ).rowcount
        self._live += added
        return added == 1


def compact(key: str) -> int:
    """The first 64 bits of a hex digest key (`shim.credentials.verifier.nonce_key`), as SQLite's
    signed integer: a collision among a million live entries has odds of about 1 in 30 million."""
    return int(key[:16], 16) - (1 << 63)
