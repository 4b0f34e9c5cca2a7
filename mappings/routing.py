"""Which backend serves a translated endpoint's request, per endpoint and per user.

Each endpoint has a mode:
    v2       translate (the default); with `rollout` under 100, only that share of users
    v1       pass the call through to v1.1 as it came
    compare  serve `primary`; for the users in `rollout`, also call the other version and
             compare the two answers
    dry-run  serve v1.1; for the users in `rollout`, also plan the v2 translation, sending its
             reads but none of its writes, and report what it would have sent
`allow` lists users always inside the rollout (internal accounts first), `deny` users always
served by v1.1. A `ramp` moves the rollout from one share to another over a time. A user's
place comes from Unleash's gradual-rollout hash (murmur3 of `group:user_id`, 1 to 100), so the
same users are inside as in a flag system that uses the same group. `all_v1` sends everything
back to v1.1. The time is handed in as data: nothing here reads a clock.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import mmh3

Backend = Literal["v1", "v2"]
MODES = ("v2", "v1", "compare", "dry-run")
GROUP = "twitter-mute-shim"  # one group for every route: the same users inside everywhere
USER_ID = re.compile(r"[0-9]{1,19}")
DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([smhd]?)")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Ramp:
    """The rollout moving from `begin`% to `end`% over `seconds` from `start` (epoch seconds)."""

    start: float
    seconds: float
    begin: int
    end: int

    def at(self, now: float) -> int:
        done = min(max((now - self.start) / self.seconds, 0.0), 1.0)
        return int(self.begin + (self.end - self.begin) * done)


@dataclass(frozen=True, slots=True)
class Route:
    mode: str = "v2"
    primary: Backend = "v1"
    rollout: int = 100
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    ramp: Ramp | None = None
    group: str = GROUP

    @property
    def served(self) -> str:
        """The mode in words: only compare mode serves one version and asks the other, so only
        it names a primary ("v2, primary v1" misled)."""
        return f"compare, serving {self.primary}" if self.mode == "compare" else self.mode

    def share(self, now: float) -> int:
        """The percent of users inside now."""
        return self.ramp.at(now) if self.ramp else self.rollout

    def inside(self, user_id: str, now: float) -> bool:
        if user_id in self.allow:
            return True
        return bucket(user_id, self.group) <= self.share(now)


@dataclass(frozen=True, slots=True)
class Routing:
    routes: Mapping[str, Route] = field(default_factory=dict)
    all_v1: bool = False

    def route(self, endpoint: str) -> Route:
        return self.routes.get(endpoint, Route())


@dataclass(frozen=True, slots=True)
class Plan:
    """The backend whose answer the client gets, the one called only to compare, and whether
    the translation is planned without its writes (dry run)."""

    serve: Backend
    shadow: Backend | None = None
    dry_run: bool = False


def bucket(user_id: str, group: str = GROUP) -> int:
    """The user's fixed place from 1 to 100, as Unleash's `normalizedValue` computes it."""
    return int(mmh3.hash(f"{group}:{user_id}", 0, signed=False)) % 100 + 1


def plan(
    routing: Routing, endpoint: str, user_id: str, now: float, override: Backend | None = None
) -> Plan:
    """Where this user's call to this endpoint goes; `override` is the operator's per-request
    choice (already checked to come with the admin token)."""
    if override is not None:
        return Plan(override)
    route = routing.route(endpoint)
    if routing.all_v1 or route.mode == "v1" or user_id in route.deny:
        return Plan("v1")
    inside = route.inside(user_id, now)
    if route.mode == "v2":
        return Plan("v2" if inside else "v1")
    if route.mode == "dry-run":
        return Plan("v1", dry_run=inside)
    other: Backend = "v2" if route.primary == "v1" else "v1"
    return Plan(route.primary, other if inside else None)


def needs_user(routing: Routing, endpoint: str, now: float) -> bool:
    """Whether the plan depends on who calls: a partial rollout, or a list of users."""
    route = routing.route(endpoint)
    if routing.all_v1 or route.mode == "v1":
        return False
    return route.share(now) < 100 or bool(route.deny) or route.mode == "dry-run"


def parse_routing(data: Mapping[str, Any], endpoints: tuple[str, ...]) -> Routing:
    """A routing table from the TOML file's (or the store's) contents; ValueError says what
    is wrong."""
    routes: dict[str, Route] = {}
    for endpoint, table in data.get("routes", {}).items():
        if endpoint not in endpoints:
            raise ValueError(
                f"routes.{endpoint}: not an endpoint the shim routes ({', '.join(endpoints)})"
            )
        if not isinstance(table, Mapping):
            raise ValueError(f"routes.{endpoint} must be a table")
        routes[endpoint] = _route(endpoint, table)
    all_v1 = data.get("all_v1", False)
    if not isinstance(all_v1, bool):
        raise ValueError("all_v1 must be true or false")
    return Routing(routes, all_v1)


KEYS = {"mode", "primary", "rollout", "allow", "deny", "ramp", "group"}


def _route(endpoint: str, table: Mapping[str, Any]) -> Route:
    name = f"routes.{endpoint}"
    unknown = set(table) - KEYS
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
    mode, primary = table.get("mode", "v2"), table.get("primary", "v1")
    if mode not in MODES:
        raise ValueError(f"{name}.mode must be one of {', '.join(MODES)}")
    if primary not in ("v1", "v2"):
        raise ValueError(f"{name}.primary must be v1 or v2")
    group = table.get("group", GROUP)
    if not isinstance(group, str) or not group:
        raise ValueError(f"{name}.group must be a name, e.g. the flag's name in Unleash")
    return Route(
        mode,
        primary,
        _percent(table.get("rollout", 100), f"{name}.rollout"),
        _users(table.get("allow", []), f"{name}.allow"),
        _users(table.get("deny", []), f"{name}.deny"),
        _ramp(table["ramp"], f"{name}.ramp") if "ramp" in table else None,
        group,
    )


def _percent(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise ValueError(f"{name} must be a whole number from 0 to 100")
    return value


def _users(value: object, name: str) -> frozenset[str]:
    if not isinstance(value, list) or len(value) > 10_000:
        raise ValueError(f"{name} must be a list of at most 10000 user ids")
    users = frozenset(str(user) for user in value)
    if not all(USER_ID.fullmatch(user) for user in users):
        raise ValueError(f'{name} must hold numeric user ids, e.g. "783214"')
    return users


def _ramp(table: object, name: str) -> Ramp:
    if not isinstance(table, Mapping) or set(table) != {"from", "to", "start", "over"}:
        raise ValueError(
            f"{name} needs from, to, start and over, e.g. {{from = 10, to = 100, "
            'start = 2026-12-01T09:00:00Z, over = "7d"}'
        )
    start = table["start"]
    if isinstance(start, datetime) and start.tzinfo is not None:
        start = start.timestamp()
    if not isinstance(start, int | float) or isinstance(start, bool):
        raise ValueError(f"{name}.start must be a date and time with its offset, or epoch seconds")
    seconds = _duration(table["over"], f"{name}.over")
    return Ramp(
        float(start),
        seconds,
        _percent(table["from"], f"{name}.from"),
        _percent(table["to"], f"{name}.to"),
    )


def _duration(value: object, name: str) -> float:
    found = DURATION.fullmatch(str(value)) if isinstance(value, str | int | float) else None
    seconds = float(found[1]) * UNITS[found[2]] if found else 0.0
    if not 0 < seconds <= 365 * 86400:
        raise ValueError(f'{name} must be a duration up to a year, e.g. "90m", "2h", "7d"')
    return seconds
