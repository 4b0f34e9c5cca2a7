"""The routing table from the TOML file named by --config or SHIM_CONFIG, reloaded when it
changes, plus the admin switch that sends everything back to v1.1 at once."""

import logging
import os
import sqlite3
import time
import tomllib
from collections.abc import Callable
from typing import Protocol

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


class RoutingFile:
    """The current routing; a file that turns unreadable keeps the last good table."""

    def __init__(
        self,
        path: str | None,
        endpoints: tuple[str, ...],
        switch: Switch,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._endpoints = endpoints
        self._clock = clock
        self._checked = float("-inf")
        self._mtime: float | None = None
        self._routing = Routing()
        self.switch = switch  # the admin switch, on top of the file
        if path is not None:
            self._routing = self._load()  # a bad file at start is a start-up error

    async def current(self) -> Routing:
        """The routing in force now."""
        if self._path is not None and self._clock() - self._checked >= RECHECK:
            self._checked = self._clock()
            try:
                if os.stat(self._path).st_mtime != self._mtime:
                    self._routing = self._load()
                    log.info("routing reloaded from %s", self._path)
            except (OSError, ConfigError) as error:
                log.warning("routing file not reloaded, keeping the last good one: %s", error)
        if await self.switch.get():
            return Routing(self._routing.routes, all_v1=True)
        return self._routing

    def _load(self) -> Routing:
        assert self._path is not None
        try:
            self._mtime = os.stat(self._path).st_mtime
            with open(self._path, "rb") as file:
                return parse_routing(tomllib.load(file), self._endpoints)
        except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
            raise ConfigError(f"{self._path}: {error}") from None
