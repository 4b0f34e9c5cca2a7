"""Caches with a size bound and a time to live, counting their hits and misses: in process, or
in the SQLite file for what must outlive a restart."""

import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Forgets entries after `ttl` seconds, and the least recently used beyond `size` entries."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def _live(self, key: K) -> V:
        expires, value = self._entries[key]
        if expires <= self._clock():
            del self._entries[key]
            raise KeyError(key)
        self._entries.move_to_end(key)
        return value

    # Asynchronous only to share the interface of the Redis caches (`shim.stores.state.Cache`).
    async def get(self, key: K) -> V | None:
        """The live value for `key`, counted as a hit, or None, counted as a miss."""
        try:
            value = self._live(key)
        except KeyError:
            self.misses += 1
            return None
        self.hits += 1
        return value

    async def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "entries": len(self)}


class SQLiteCache:
    """Text values in a table of the SQLite file, for what must outlive a restart (the cursors
    the shim has issued), with a time to live and a size bound like `TTLCache`'s."""

    PURGE_EVERY = 60.0  # seconds between deletions of expired entries

    def __init__(
        self,
        db: sqlite3.Connection,
        name: str,
        size: int,
        ttl: float,
        clock: Callable[[], float] = time.time,  # the wall clock: expiries outlive the process
    ) -> None:
        self._db, self._name, self._size, self._ttl, self._clock = db, name, size, ttl, clock
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS cache (name TEXT NOT NULL, key TEXT NOT NULL, "
            "value TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (name, key))"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS cache_expiry ON cache (name, expires)")
        self._purged = float("-inf")
        self._entries = self._count()
        self.hits = self.misses = 0

    async def get(self, key: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM cache WHERE name = ? AND key = ? AND expires > ?",
            (self._name, key, self._clock()),
        ).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return str(row[0])

    async def put(self, key: str, value: str) -> None:
        now = self._clock()
        self._db.execute(
            "INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)",
            (self._name, key, value, now + self._ttl),
        )
        self._entries += 1
        if now - self._purged >= self.PURGE_EVERY or self._entries > self._size:
            self._purged = now
            self._db.execute("DELETE FROM cache WHERE name = ? AND expires <= ?", (self._name, now))
            excess = self._count() - self._size
            if excess > 0:  # the entries closest to expiry are the oldest: they go first
                self._db.execute(
                    "DELETE FROM cache WHERE rowid IN (SELECT rowid FROM cache WHERE name = ? "
                    "ORDER BY expires LIMIT ?)",
                    (self._name, excess),
                )
            self._entries = self._count()

    def _count(self) -> int:
        row = self._db.execute("SELECT count(*) FROM cache WHERE name = ?", (self._name,))
        return int(row.fetchone()[0])

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "entries": self._entries}
