"""v1.1 cursors over v2 pagination tokens.

v1.1 pages with integer cursors: -1 starts, 0 ends, `previous_cursor` is negative. v2 pages with
opaque `next_token` / `previous_token` strings, too long to fit an integer that 64-bit clients
can parse. So each token gets a cursor derived from it, and the reply tells the shell which
cursor stands for which token; the shell hands that memory back in `Known.cursors`.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mappings.errors import V11Error
from mappings.params import number
from mappings.types import V11Request


@dataclass(frozen=True, slots=True)
class Page:
    """Which v2 page a v1.1 request asks for, and how many entries: v1.1's `count`, which may
    be more than one v2 page holds (`V2_MOST`)."""

    count: int
    token: str | None = None


V2_MOST = 1000
"""The most entries one v2 list page holds (`max_results` 1 to 1000)."""


@dataclass(frozen=True, slots=True)
class Cursors:
    """The v1.1 cursor fields of a page, and the cursors to remember."""

    fields: dict[str, Any]
    remember: dict[str, str] = field(default_factory=dict)


def cursor_for(token: str) -> int:
    """A positive cursor under 2**60 for a v2 token: the same token always gets the same one."""
    return int(hashlib.sha256(token.encode()).hexdigest()[:15], 16)


def parse_page(
    request: V11Request, known: Mapping[str, str], *, default_count: int, most: int
) -> Page:
    """The page a request's `count` and `cursor` ask for: v1.1 ignored a count it could not
    read and clamped one out of range to 1..`most`."""
    count = number(request.param("count"))
    count = default_count if count is None else min(max(count, 1), most)
    cursor = request.param("cursor") or "-1"
    if cursor == "-1":
        return Page(count)
    issued = number(cursor.removeprefix("-"))
    token = known.get(str(issued)) if issued is not None else None
    if token is None:
        # Not a cursor this shim issued, or one it forgot (it keeps them for a day).
        raise V11Error(195)
    return Page(count, token)


def page_cursors(meta: Mapping[str, Any]) -> Cursors:
    """v1.1's next and previous cursors (0 at either end) for the `next_token` and
    `previous_token` of a v2 page's `meta` (of the last and first pages, when one v1.1 page
    took several)."""
    remember: dict[str, str] = {}
    cursors: dict[str, int] = {"next_cursor": 0, "previous_cursor": 0}
    for name, key, sign in (
        ("next_cursor", "next_token", 1),
        ("previous_cursor", "previous_token", -1),
    ):
        token = meta.get(key)
        if isinstance(token, str) and token:
            cursors[name] = sign * cursor_for(token)
            remember[str(cursor_for(token))] = token
    fields = {
        "next_cursor": cursors["next_cursor"],
        "next_cursor_str": str(cursors["next_cursor"]),
        "previous_cursor": cursors["previous_cursor"],
        "previous_cursor_str": str(cursors["previous_cursor"]),
    }
    return Cursors(fields, remember)
