"""The embedded state, in the SQLite file (SHIM_DB): what must outlive a restart or be shared by
`shim serve --workers` processes on one machine: the cursors and request tokens issued, the
nonces, the all-v1 switch, the routes set with `shim routing`, and the comparison records. The
token secrets are in the same file (`shim.stores.tokens`), and the migration report's counts
(`shim.stores.traffic`). Every class here is used from the
event loop's thread or a CLI command only, so the calls are plain blocking ones: a local file,
no network wait."""

import json
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from mappings.compare import Difference
from shim.config import ConfigError
from shim.errors import StoreUnavailable
from shim.stores.comparisons import EXAMPLES, SKIPPED, example, report, tally
from shim.stores.routes import AUDIT_KEPT, RECHECK


def connect(path: str) -> sqlite3.Connection:
    """The shim's SQLite file, created readable by its owner only, in autocommit mode. A file
    that cannot be opened or is no database is `ConfigError`, one line naming SHIM_DB."""
    try:
        if path != ":memory:" and not os.path.exists(path):
            # Create the file owner-only before SQLite writes any secret into it.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # Used from the event loop's thread or a CLI command only.
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # Zero what is deleted or overwritten, so a removed or re-encrypted secret leaves no copy.
        db.execute("PRAGMA secure_delete = ON")
        db.execute("SELECT count(*) FROM sqlite_master")  # reads the file: is it a database?
    except (OSError, sqlite3.DatabaseError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(
            f"SHIM_DB: cannot use {path} ({reason}): check that it is the shim's SQLite file "
            "and that this user may read and write it and its folder"
        ) from None
    return db


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


LIMIT = 2_000_000
"""Live nonces at most: some 3,000 requests a second over the 10-minute window, about 100 MB of
SQLite pages. Beyond it requests are refused (503, code 130) until entries expire."""


PURGE_EVERY = 1.0  # seconds between deletions of expired entries


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

    def whole_since(self) -> float:
        return float("-inf")  # the file forgets nothing it committed

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
    """The first 64 bits of a hex digest key (`shim.credentials.replay.nonce_key`), as SQLite's
    signed integer: a collision among a million live entries has odds of about 1 in 30 million."""
    return int(key[:16], 16) - (1 << 63)


class SQLiteSwitch:
    """The switch in the SQLite file, read at most once a second (RECHECK)."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.monotonic) -> None:
        self._db, self._clock = db, clock
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS switches (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )
        self._on, self._read_at = False, float("-inf")

    async def get(self) -> bool:
        if self._clock() - self._read_at >= RECHECK:
            row = self._db.execute("SELECT value FROM switches WHERE name = 'all_v1'").fetchone()
            self._on, self._read_at = bool(row and row[0]), self._clock()
        return self._on

    async def set(self, on: bool) -> None:
        self._db.execute("INSERT OR REPLACE INTO switches VALUES ('all_v1', ?)", (int(on),))
        self._on, self._read_at = on, self._clock()


class SQLiteRoutes:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS routes (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS routing_audit "
            "(id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL)"
        )

    async def get(self) -> dict[str, Any]:
        row = self._db.execute("SELECT value FROM routes WHERE name = 'routes'").fetchone()
        return json.loads(row[0]) if row else {}

    async def put(self, routes: Mapping[str, Any], line: str) -> None:
        self._db.execute("BEGIN")
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO routes VALUES ('routes', ?)", (json.dumps(routes),)
            )
            self._db.execute("INSERT INTO routing_audit (line) VALUES (?)", (line,))
            self._db.execute(
                "DELETE FROM routing_audit WHERE id <= (SELECT max(id) FROM routing_audit) - ?",
                (AUDIT_KEPT,),
            )
        finally:
            self._db.execute("COMMIT")

    async def audit(self, count: int) -> list[str]:
        rows = self._db.execute(
            "SELECT line FROM routing_audit ORDER BY id DESC LIMIT ?", (count,)
        ).fetchall()
        return [line for (line,) in reversed(rows)]


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS comparison_counts (
        endpoint TEXT NOT NULL, counter TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (endpoint, counter))""",
    """CREATE TABLE IF NOT EXISTS comparison_examples (
        endpoint TEXT NOT NULL, field TEXT NOT NULL, examples TEXT NOT NULL,
        PRIMARY KEY (endpoint, field))""",
)


class ComparisonStore:
    """The counters in two tables of the SQLite file."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        for statement in SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    async def skipped(self, endpoint: str) -> None:
        self._add(endpoint, {SKIPPED: 1})

    def _add(self, endpoint: str, counters: Mapping[str, int]) -> None:
        self._db.executemany(
            "INSERT INTO comparison_counts (endpoint, counter, count) VALUES (?, ?, ?) "
            "ON CONFLICT (endpoint, counter) DO UPDATE SET count = count + excluded.count",
            [(endpoint, counter, n) for counter, n in counters.items()],
        )

    async def record(self, endpoint: str, found: Sequence[Difference]) -> None:
        self._db.execute("BEGIN")
        try:
            self._add(endpoint, tally(found))
            for d in found:
                if not d.noise:
                    self._add_example(endpoint, d)
        finally:
            self._db.execute("COMMIT")

    def _add_example(self, endpoint: str, d: Difference) -> None:
        row = self._db.execute(
            "SELECT examples FROM comparison_examples WHERE endpoint = ? AND field = ?",
            (endpoint, d.field),
        ).fetchone()
        kept = json.loads(row[0]) if row else []
        if len(kept) < EXAMPLES:
            self._db.execute(
                "INSERT OR REPLACE INTO comparison_examples VALUES (?, ?, ?)",
                (endpoint, d.field, json.dumps([*kept, example(d)])),
            )

    async def report(self) -> dict[str, Any]:
        counts = self._db.execute("SELECT endpoint, counter, count FROM comparison_counts")
        examples = {
            (endpoint, field): json.loads(kept)
            for endpoint, field, kept in self._db.execute("SELECT * FROM comparison_examples")
        }
        return report(counts.fetchall(), examples)


def writable(db: sqlite3.Connection) -> Callable[[], Awaitable[str | None]]:
    """A readiness check: the file takes a write (a full disk, a read-only file or a failing one
    does not), with one row rewritten each time."""
    db.execute("CREATE TABLE IF NOT EXISTS ready (id INTEGER PRIMARY KEY, checked REAL NOT NULL)")

    async def check() -> str | None:
        try:
            db.execute("INSERT OR REPLACE INTO ready VALUES (1, ?)", (time.time(),))
        except sqlite3.Error as error:
            return f"the SQLite file cannot take a write: {error}"
        return None

    return check
