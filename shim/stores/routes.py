"""The routing table: the TOML file named by --config or SHIM_CONFIG, reloaded when it
changes, under the routes `shim routing set|ramp` keep in the store (SQLite, or Redis so every
instance agrees), plus the admin switch that sends everything back to v1.1 at once."""

import json
import logging
import os
import time
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from mappings.routing import Routing, parse_routing
from shim.config import ConfigError
from shim.stores.protocols import RouteStore, Switch

log = logging.getLogger("shim.routing")

RECHECK = 1.0  # seconds between looks at the file's modification time


AUDIT_KEPT = 1000  # lines of the routing audit the store keeps


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
        except OSError as error:  # the file's name is the setting's, not the error's, to show
            raise ConfigError(f"{self._path} (SHIM_CONFIG or --config): {error.strerror}") from None
        except (tomllib.TOMLDecodeError, ValueError) as error:
            raise ConfigError(f"{self._path}: {error}") from None
