"""What comparing v1.1 with v2 found, kept as counters plus a few examples per field: its size
depends on the endpoints and fields there are, never on how many calls were compared, so a
dashboard load reads a few hundred rows at most and the records can crowd out nothing else.

`tally` turns one comparison into the counters it adds to; the SQLite store (SHIM_DB) and the
Redis one (`shim.stores.state.RedisComparisons`) keep those counters, and `report` reads them back.
"""

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from mappings.compare import KNOWN, Difference

EXAMPLES = 3  # kept per field
EXAMPLE_CHARS = 200  # of each value's JSON text
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS comparison_counts (
        endpoint TEXT NOT NULL, counter TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (endpoint, counter))""",
    """CREATE TABLE IF NOT EXISTS comparison_examples (
        endpoint TEXT NOT NULL, field TEXT NOT NULL, examples TEXT NOT NULL,
        PRIMARY KEY (endpoint, field))""",
)


SKIPPED = '["skipped"]'


class Comparisons(Protocol):
    async def record(self, endpoint: str, found: Sequence[Difference]) -> None: ...
    async def skipped(self, endpoint: str) -> None: ...
    async def report(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


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


class ComparisonStore:
    """The counters in two tables of the SQLite file."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        for statement in SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    async def skipped(self, endpoint: str) -> None:
        self._add(endpoint, {SKIPPED: 1})

    def _add(self, endpoint: str, counters: Mapping[str, int]) -> None:
        self._db.executemany(
            "INSERT INTO comparison_counts (endpoint, counter, count) VALUES (?, ?, ?) "
            "ON CONFLICT (endpoint, counter) DO UPDATE SET count = count + excluded.count",
            [(endpoint, counter, n) for counter, n in counters.items()],
        )

    async def record(self, endpoint: str, found: Sequence[Difference]) -> None:
        self._db.execute("BEGIN")
        try:
            self._add(endpoint, tally(found))
            for d in found:
                if not d.noise:
                    self._add_example(endpoint, d)
        finally:
            self._db.execute("COMMIT")

    def _add_example(self, endpoint: str, d: Difference) -> None:
        row = self._db.execute(
            "SELECT examples FROM comparison_examples WHERE endpoint = ? AND field = ?",
            (endpoint, d.field),
        ).fetchone()
        kept = json.loads(row[0]) if row else []
        if len(kept) < EXAMPLES:
            self._db.execute(
                "INSERT OR REPLACE INTO comparison_examples VALUES (?, ?, ?)",
                (endpoint, d.field, json.dumps([*kept, example(d)])),
            )

    async def report(self) -> dict[str, Any]:
        counts = self._db.execute("SELECT endpoint, counter, count FROM comparison_counts")
        examples = {
            (endpoint, field): json.loads(kept)
            for endpoint, field, kept in self._db.execute("SELECT * FROM comparison_examples")
        }
        return report(counts.fetchall(), examples)
