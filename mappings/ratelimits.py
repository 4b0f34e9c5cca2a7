"""`GET application/rate_limit_status`, which v2 has no replacement for, answered by the shim:
v1.1's shape, from the `x-rate-limit-*` headers the shell has seen for the caller, and X's
published limits where it has seen none.

The shape is the real recording's (tweepy `testratelimitstatus.json`, 2019):
`{"rate_limit_context":{"access_token":"…"},"resources":{"mutes":{"/mutes/users/ids":{"limit":15,
"remaining":15,"reset":1562985768}}}}`, one family per first path segment, GET endpoints only,
and `resources=mutes,users` keeping only those families. The time is handed in as data: a
window with nothing seen, or one whose reset has passed, starts now.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mappings.params import number


@dataclass(frozen=True, slots=True)
class Seen:
    """A rate-limit window as the upstream's headers told it: `reset` in epoch seconds."""

    limit: int
    remaining: int
    reset: int


@dataclass(frozen=True, slots=True)
class Published:
    """X's published per-user limit of the v2 call a v1.1 endpoint makes (reference
    `x-docs/rate-limits.mdx`, the Basic access level), over its window in seconds."""

    v2: str
    limit: int
    window: int


DAY, QUARTER = 86_400, 900
# Keyed by the v1.1 endpoint's name; tests/mappings/test_ratelimits.py checks each against the
# reference. Basic, the lowest paid access level: an app on a higher one learns its own limits
# from the headers of its first call, which replace these.
PUBLISHED: Mapping[str, Published] = {
    "mutes/users/ids": Published("GET /2/users/:id/muting", 100, DAY),
    "mutes/users/list": Published("GET /2/users/:id/muting", 100, DAY),
    "blocks/ids": Published("GET /2/users/:id/blocking", 5, QUARTER),
    "account/verify_credentials": Published("GET /2/users/me", 250, DAY),
    "users/show": Published("GET /2/users/by/username/:username", 100, DAY),
    "users/lookup": Published("GET /2/users", 100, DAY),
    "friendships/lookup": Published("GET /2/users", 100, DAY),
    "blocks/list": Published("GET /2/users/:id/blocking", 5, QUARTER),
    # friendships/show reads the target by id or name, and the caller once (/2/users/me).
    "friendships/show": Published("GET /2/users/:id", 100, DAY),
    "statuses/show": Published("GET /2/tweets/:id", 15, QUARTER),
    "statuses/show/:id": Published("GET /2/tweets/:id", 15, QUARTER),
    "statuses/lookup": Published("GET /2/tweets", 15, QUARTER),
    "search/tweets": Published("GET /2/tweets/search/recent", 60, QUARTER),
    "statuses/user_timeline": Published("GET /2/users/:id/tweets", 5, QUARTER),
    "statuses/home_timeline": Published(
        "GET /2/users/:id/timelines/reverse_chronological", 5, QUARTER
    ),
    "statuses/mentions_timeline": Published("GET /2/users/:id/mentions", 10, QUARTER),
    "favorites/list": Published("GET /2/users/:id/liked_tweets", 5, QUARTER),
}
# friends/ids, followers/ids, friends/list and followers/list read v2's following and
# followers lists, which X's rate-limit table leaves out: they are reported once seen.
# The shim answers rate_limit_status itself, at no upstream cost: it reports v1.1's own limit
# for it (180, the recording's), always whole.
OWN = ("application/rate_limit_status", 180)
# v1.1's name for a path where it differs from the path (the recording's `/users/show/:id`).
KEYS: Mapping[str, str] = {"users/show": "/users/show/:id", "statuses/show": "/statuses/show/:id"}
RATE_LIMIT_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
MOST_RESOURCES = 64  # families a `resources` parameter may name; v1.1 had about 40
LONGEST = 80  # characters of a v1.1 path kept as a key; its longest endpoint has about 50


def key(name: str) -> str:
    """The rate_limit_status key of a v1.1 endpoint name: `mutes/users/ids` → `/mutes/users/ids`."""
    return KEYS.get(name, "/" + name)


def path_name(path: str) -> str | None:
    """The endpoint name of a v1.1 path (`/1.1/statuses/home_timeline.json` →
    `statuses/home_timeline`), an id in it written `:id` as v1.1's keys write it
    (`statuses/show/:id`); None for a path outside v1.1 or longer than any endpoint's."""
    if not path.startswith("/1.1/") or not path.endswith(".json") or len(path) > LONGEST:
        return None
    segments = path.removeprefix("/1.1/").removesuffix(".json").split("/")
    return "/".join(":id" if part.isdigit() else part for part in segments) or None


def seen(headers: Mapping[str, str]) -> Seen | None:
    """The window an answer's `x-rate-limit-*` headers state, if it states one whole."""
    limit, remaining, reset = (number(headers.get(name)) for name in RATE_LIMIT_HEADERS)
    if limit is None or remaining is None or reset is None:
        return None
    return Seen(limit, min(remaining, limit), reset)


def families(resources: str | None) -> frozenset[str] | None:
    """The families a `resources` parameter asks for; None for all."""
    if resources is None:
        return None
    return frozenset(list(filter(None, (f.strip() for f in resources.split(","))))[:MOST_RESOURCES])


def status(
    context: Mapping[str, str],
    windows: Iterable[tuple[str, Seen]],
    resources: str | None,
    now: float,
) -> dict[str, Any]:
    """The v1.1 answer: `windows` are the caller's seen windows by key (`/mutes/users/ids`);
    each key seen has its window while it lasts, a key only published its full limit from now."""
    start = int(now)
    table: dict[str, dict[str, int]] = {
        key(name): {"limit": p.limit, "remaining": p.limit, "reset": start + p.window}
        for name, p in PUBLISHED.items()
    }
    own, limit = OWN
    table[key(own)] = {"limit": limit, "remaining": limit, "reset": start + QUARTER}
    windows_by_key = dict(windows)
    for name, window in windows_by_key.items():
        if window.reset > now:
            table[name] = {
                "limit": window.limit,
                "remaining": window.remaining,
                "reset": window.reset,
            }
        else:  # the window is over: whole again, for the window the upstream's limit has
            length = next((p.window for n, p in PUBLISHED.items() if key(n) == name), QUARTER)
            table[name] = {
                "limit": window.limit,
                "remaining": window.limit,
                "reset": start + length,
            }
    wanted = families(resources)
    grouped: dict[str, dict[str, dict[str, int]]] = {}
    for name in sorted(table):
        family = name.split("/")[1]
        if wanted is None or family in wanted:
            grouped.setdefault(family, {})[name] = table[name]
    return {"rate_limit_context": dict(context), "resources": grouped}
