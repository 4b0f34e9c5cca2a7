"""The routing table from the TOML file named by --config or SHIM_CONFIG, reloaded when it
changes, plus the admin switch that sends everything back to v1.1 at once."""

import logging
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mappings.routing import Routing, endpoint_name, parse_routing
from shim.config import ConfigError

log = logging.getLogger("shim.routing")

RECHECK = 1.0  # seconds between looks at the file's modification time


class Switch(Protocol):
    """The all-v1 switch: in process, or shared by every instance."""

    on: bool


@dataclass
class MemorySwitch:
    on: bool = False


class RoutingFile:
    """The current routing; a file that turns unreadable keeps the last good table."""

    def __init__(
        self,
        path: str | None,
        endpoints: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
        switch: Switch | None = None,
    ) -> None:
        self._path = path
        self._endpoints = tuple(endpoint_name(e) for e in endpoints)
        self._clock = clock
        self._checked = float("-inf")
        self._mtime: float | None = None
        self._routing = Routing()
        self.switch = switch or MemorySwitch()  # the admin switch, on top of the file
        if path is not None:
            self._routing = self._load()  # a bad file at start is a start-up error

    def current(self) -> Routing:
        """The routing in force now."""
        if self._path is not None and self._clock() - self._checked >= RECHECK:
            self._checked = self._clock()
            try:
                if os.stat(self._path).st_mtime != self._mtime:
                    self._routing = self._load()
                    log.info("routing reloaded from %s", self._path)
            except (OSError, ConfigError) as error:
                log.warning("routing file not reloaded, keeping the last good one: %s", error)
        if self.switch.on:
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
