"""The migration report as data: what live traffic asked of v1.1, how each call was served, what
was answered, and what to route next.

Each call served adds one to a counter named by its v1.1 endpoint (`replacements.endpoint_of`,
or the route's name), how it was served and its answer (`counter`); `report` turns the counters,
summed over every instance, into one row per endpoint. The counters' number is bounded by the
table, not by the traffic: a path no v1.1 endpoint has is `OTHER`, an answer is its HTTP status
and, when v1.1 knows it, its error code.
"""

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mappings.errors import ACCESS_CODES, CODES
from mappings.replacements import REPLACEMENTS, TRANSLATED, advice

V2, V1, COMPARED, SHIM, PASSED = "v2", "v1.1", "compared", "shim", "passed through"
"""How a call was served: translated to v2; by v1.1 on a routed endpoint (the routing's `v1`, a
rollout's outside, a dry run); compared (both called, the primary's answer given); answered by
the shim itself (a call v2 cannot serve); or passed through, as every other call is."""
UPSTREAM_V1 = frozenset({V1, PASSED})
"""Where the answer is v1.1's own: where the app still depends on v1.1."""

WHY = {
    453: "the app's access level does not include this v1.1 endpoint",
    251: "retired: v2 offers no replacement on self-serve access",
}
KNOWN_CODES = frozenset(CODES) | ACCESS_CODES


def answer(status: int, code: int | None) -> str:
    """`403/453`, or the status alone for a success or a code v1.1 never gave (kept bounded)."""
    return f"{status}/{code}" if code in KNOWN_CODES else str(status)


def counter(call: str, served: str, status: int, code: int | None) -> str:
    """The name of the counter one call adds to, as a JSON list."""
    return json.dumps([call, served, answer(status, code)])


def why(answered: str) -> str | None:
    """What an error answer means, in a few words."""
    code = answered.partition("/")[2]
    if not code:
        return None
    if int(code) in WHY:
        return WHY[int(code)]
    known = CODES.get(int(code))
    return known[1] if known else None


def report(counts: Iterable[tuple[str, int]]) -> dict[str, Any]:
    """Per v1.1 endpoint, most called first: calls, how they were served, the answers (each
    error with what it means), and for an endpoint v1.1 served its v2 replacement and advice."""
    rows: dict[str, dict[str, Any]] = {}
    refused: Counter[str] = Counter()
    for name, count in counts:
        call, served, answered = json.loads(name)
        row = rows.setdefault(call, {"calls": 0, "served": Counter(), "answers": Counter()})
        row["calls"] += count
        row["served"][served] += count
        row["answers"][answered] += count
        if served in UPSTREAM_V1 and int(answered.partition("/")[0]) >= 400:
            refused[call] += count
    return {
        call: {
            "calls": row["calls"],
            "served": dict(row["served"].most_common()),
            "answers": dict(row["answers"].most_common()),
            "why": {a: reason for a in row["answers"] if (reason := why(a))},
            "refused_by_v1": refused[call],
            "replacement": REPLACEMENTS.get(call),
            "translated": call in TRANSLATED,
            "next": advice(call) if UPSTREAM_V1 & set(row["served"]) else None,
        }
        for call, row in sorted(rows.items(), key=lambda item: (-item[1]["calls"], item[0]))
    }


def counted(counts: Mapping[str, int], why: Mapping[str, str] | None = None) -> str:
    """`3x 403/453 (what 453 means), 1x 200`, as the report's text and the dashboard show it."""
    why = why or {}
    return ", ".join(
        f"{count}x {name}" + (f" ({why[name]})" if name in why else "")
        for name, count in counts.items()
    )
