"""What comparing v1.1 with v2 found, kept as counters plus a few examples per field: its size
depends on the endpoints and fields there are, never on how many calls were compared, so a
dashboard load reads a few hundred rows at most and the records can crowd out nothing else.

`tally` turns one comparison into the counters it adds to; the SQLite store (SHIM_DB) and the
Redis one (`shim.stores.redis.RedisComparisons`) keep those counters, and `report` reads them back.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mappings.compare import KNOWN, Difference

EXAMPLES = 3  # kept per field
EXAMPLE_CHARS = 200  # of each value's JSON text


SKIPPED = '["skipped"]'


def outcome(found: Sequence[Difference]) -> str:
    """match, known (every difference is one docs/differences.md explains) or unexplained."""
    real = [d for d in found if not d.noise]
    if not real:
        return "match"
    return "known" if all(d.known for d in real) else "unexplained"


def tally(found: Sequence[Difference]) -> Counter[str]:
    """The counters one compared call adds to, each named as a JSON list."""
    counters: Counter[str] = Counter({'["requests"]': 1})
    counters[json.dumps([outcome(found)])] += 1
    for d in found:
        if d.noise:
            counters[json.dumps(["noise", d.field])] += 1
        else:
            counters[json.dumps(["field", d.field, d.kind, d.known])] += 1
    return counters


def example(d: Difference) -> dict[str, object]:
    """Both values as JSON, or, when long, the start of their JSON text."""
    return {"v1": _short(d.v1), "v2": _short(d.v2)}


def _short(value: object) -> object:
    text = json.dumps(value, default=repr)
    return json.loads(text) if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS] + "…"


def report(
    counts: Iterable[tuple[str, str, int]], examples: Mapping[tuple[str, str], list[Any]]
) -> dict[str, Any]:
    """Per endpoint: requests, matches, and differences by field and by kind, with examples."""
    endpoints: dict[str, dict[str, Any]] = defaultdict(_empty)
    for endpoint, counter, count in counts:
        entry, name = endpoints[endpoint], json.loads(counter)
        match name:
            case ["requests"] | ["match"] | ["known"] | ["unexplained"] | ["skipped"]:
                entry[name[0]] += count
            case ["noise", field]:
                entry["noise"][field] += count
            case ["field", field, kind, known]:
                row = entry["fields"].setdefault(
                    field, {"count": 0, "kinds": Counter(), "known": known}
                )
                row["count"] += count
                row["kinds"][kind] += count
                entry["kinds"][kind] += count
    return {name: _finish(name, entry, examples) for name, entry in sorted(endpoints.items())}


def _empty() -> dict[str, Any]:
    return {
        "requests": 0,
        "skipped": 0,
        "match": 0,
        "known": 0,
        "unexplained": 0,
        "fields": {},
        "kinds": Counter(),
        "noise": Counter(),
    }


def _finish(
    endpoint: str, entry: dict[str, Any], examples: Mapping[tuple[str, str], list[Any]]
) -> dict[str, Any]:
    fields = {
        name: {
            **field,
            "kinds": dict(field["kinds"]),
            "explained": KNOWN[field["known"]][0] if field["known"] in KNOWN else None,
            "examples": examples.get((endpoint, name), []),
        }
        for name, field in sorted(entry["fields"].items(), key=lambda item: -item[1]["count"])
    }
    return {
        "requests": entry["requests"],
        "skipped": entry["skipped"],
        "matches": entry["match"],
        "known_only": entry["known"],
        "fields": fields,
        "kinds": dict(entry["kinds"]),
        "noise": dict(entry["noise"]),
    }
