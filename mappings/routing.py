"""Which backend serves a translated endpoint's request, per endpoint and per user.

Each endpoint has a mode:
    v2       translate (the default); with `rollout` under 100, only that share of users
    v1       pass the call through to v1.1 as it came
    compare  serve `primary`; for the users in `rollout`, also call the other version and
             compare the two answers
A user's share comes from a hash of their id, so a user never flips between requests, and the
same users are in a 25% rollout on every endpoint. `all_v1` sends everything back to v1.1.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Backend = Literal["v1", "v2"]
MODES = ("v2", "v1", "compare")


@dataclass(frozen=True, slots=True)
class Route:
    mode: str = "v2"
    primary: Backend = "v1"
    rollout: int = 100


@dataclass(frozen=True, slots=True)
class Routing:
    routes: Mapping[str, Route] = field(default_factory=dict)
    all_v1: bool = False

    def route(self, endpoint: str) -> Route:
        return self.routes.get(endpoint, Route())


@dataclass(frozen=True, slots=True)
class Plan:
    """The backend whose answer the client gets, and the one called only to compare."""

    serve: Backend
    shadow: Backend | None = None


def bucket(user_id: str) -> int:
    """The user's fixed place from 0 to 99 in every rollout."""
    return int(hashlib.sha256(user_id.encode()).hexdigest(), 16) % 100


def plan(routing: Routing, endpoint: str, user_id: str) -> Plan:
    """Where this user's call to this endpoint goes."""
    if routing.all_v1:
        return Plan("v1")
    route = routing.route(endpoint)
    inside = bucket(user_id) < route.rollout
    if route.mode == "v1":
        return Plan("v1")
    if route.mode == "v2":
        return Plan("v2" if inside else "v1")
    other: Backend = "v2" if route.primary == "v1" else "v1"
    return Plan(route.primary, other if inside else None)


def needs_user(routing: Routing, endpoint: str) -> bool:
    """Whether the plan depends on who calls: only a partial rollout of v2 or compare does."""
    route = routing.route(endpoint)
    return not routing.all_v1 and route.mode != "v1" and route.rollout < 100


def parse_routing(data: Mapping[str, Any], endpoints: tuple[str, ...]) -> Routing:
    """A routing table from the TOML file's contents; ValueError says what is wrong."""
    routes: dict[str, Route] = {}
    for endpoint, table in data.get("routes", {}).items():
        if endpoint not in endpoints:
            raise ValueError(
                f"routes.{endpoint}: not a translated endpoint ({', '.join(endpoints)})"
            )
        routes[endpoint] = _route(endpoint, table)
    all_v1 = data.get("all_v1", False)
    if not isinstance(all_v1, bool):
        raise ValueError("all_v1 must be true or false")
    return Routing(routes, all_v1)


def _route(endpoint: str, table: Mapping[str, Any]) -> Route:
    unknown = set(table) - {"mode", "primary", "rollout"}
    if unknown:
        raise ValueError(f"routes.{endpoint}: unknown keys {sorted(unknown)}")
    route = Route(table.get("mode", "v2"), table.get("primary", "v1"), table.get("rollout", 100))
    if route.mode not in MODES:
        raise ValueError(f"routes.{endpoint}.mode must be one of {', '.join(MODES)}")
    if route.primary not in ("v1", "v2"):
        raise ValueError(f"routes.{endpoint}.primary must be v1 or v2")
    if not isinstance(route.rollout, int) or not 0 <= route.rollout <= 100:
        raise ValueError(f"routes.{endpoint}.rollout must be a whole number from 0 to 100")
    return route
