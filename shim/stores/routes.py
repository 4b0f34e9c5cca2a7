"""The routing table: the TOML file named by --config or SHIM_CONFIG, reloaded when it
changes, under the routes `shim routing set|ramp` keep in the store (SQLite, or Redis so every
instance agrees), plus the admin switch that sends everything back to v1.1 at once."""

import json
import logging
import os
import sqlite3
import time
import tomllib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from mappings.routing import Routing, parse_routing
from shim.config import ConfigError

log = logging.getLogger("shim.routing")

RECHECK = 1.0  # seconds between looks at the file's modification time


class Switch(Protocol):
    """The all-v1 switch: in the SQLite file, or in Redis for every instance; either way it
    outlives a restart, so an emergency switch-back never quietly undoes itself."""

    async def get(self) -> bool: ...
    async def set(self, on: bool) -> None: ...


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


AUDIT_KEPT = 1000  # lines of the routing audit the store keeps


class RouteStore(Protocol):
    """Routes set with `shim routing`, each replacing the file's route for its endpoint, and
    the audit of every change."""

    async def get(self) -> dict[str, Any]: ...
    async def put(self, routes: Mapping[str, Any], line: str) -> None: ...
    async def audit(self, count: int) -> list[str]: ...


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


class RoutingFile:
    """The current routing; a file that turns unreadable keeps the last good table."""

    def __init__(
        self,
        path: str | None,
        endpoints: tuple[str, ...],
        switch: Switch,
        clock: Callable[[], float] = time.monotonic,
        store: RouteStore | None = None,
    ) -> None:
        self._path = path
        self._endpoints = endpoints
        self._clock = clock
        self._checked = float("-inf")
        self._mtime: float | None = None
        self._file: dict[str, Any] = {}
        self._stored: dict[str, Any] = {}
        self._routing = Routing()
        self.switch = switch  # the admin switch, on top of the file
        self.store = store
        if path is not None:
            self._file = self._load()  # a bad file at start is a start-up error
            self._routing = self.merged(self._stored)

    async def current(self) -> Routing:
        """The routing in force now: file and store looked at no more than once a second."""
        if self._clock() - self._checked >= RECHECK:
            self._checked = self._clock()
            await self._recheck()
        if await self.switch.get():
            return Routing(self._routing.routes, all_v1=True)
        return self._routing

    async def _recheck(self) -> None:
        changed = False
        if self._path is not None:
            try:
                if os.stat(self._path).st_mtime != self._mtime:
                    self._file, changed = self._load(), True
                    log.info("routing reloaded from %s", self._path)
            except (OSError, ConfigError) as error:
                log.warning("routing file not reloaded, keeping the last good one: %s", error)
        if self.store is not None:
            stored = await self.store.get()
            if stored != self._stored:
                self._stored, changed = stored, True
                log.warning("routing changed with shim routing: %s", json.dumps(stored))
        if changed:
            try:
                self._routing = self.merged(self._stored)
            except ValueError as error:
                log.warning("routing not changed, keeping the last good one: %s", error)

    def merged(self, stored: Mapping[str, Any]) -> Routing:
        """The file's routes with the stored ones in their place; ValueError if invalid."""
        return parse_routing(self.table(stored), self._endpoints)

    def table(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        return {**self._file, "routes": {**self._file.get("routes", {}), **stored}}

    def _load(self) -> dict[str, Any]:
        assert self._path is not None
        try:
            self._mtime = os.stat(self._path).st_mtime
            with open(self._path, "rb") as file:
                data = tomllib.load(file)
            parse_routing(data, self._endpoints)
            return data
        except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
            raise ConfigError(f"{self._path}: {error}") from None
