"""Comparison records: both outcomes of each compared call, kept in the SQLite file (SHIM_DB),
and the report `shim compare report` and the dashboard make of them."""

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from mappings.compare import KNOWN, Difference, Outcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS comparisons (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    served TEXT NOT NULL,
    v1_status INTEGER NOT NULL,
    v1_code INTEGER,
    v2_status INTEGER NOT NULL,
    v2_code INTEGER,
    differences TEXT NOT NULL
)
"""
EXAMPLES = 3


class ComparisonStore:
    """Records of compared calls, oldest first."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record(
        self, endpoint: str, served: str, v1: Outcome, v2: Outcome, found: Sequence[Difference]
    ) -> None:
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._db.execute(
            "INSERT INTO comparisons (at, endpoint, served, v1_status, v1_code, v2_status, "
            "v2_code, differences) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                endpoint,
                served,
                v1.status,
                v1.code,
                v2.status,
                v2.code,
                encode(found),
            ),
        )

    def report(self) -> dict[str, Any]:
        """Per endpoint: requests, matches, and differences by field and by kind, with examples."""
        return summarize(
            self._db.execute("SELECT endpoint, differences FROM comparisons ORDER BY id")
        )


def summarize(records: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The report of (endpoint, differences as JSON) records, oldest first."""
    endpoints: dict[str, dict[str, Any]] = defaultdict(_empty)
    for endpoint, found in records:
        _add(endpoints[endpoint], [Difference(**d) for d in json.loads(found)])
    return {name: _finish(entry) for name, entry in sorted(endpoints.items())}


def encode(found: Sequence[Difference]) -> str:
    return json.dumps([asdict(d) for d in found], default=repr)


def outcome(found: Sequence[Difference]) -> str:
    """match, known (every difference is one the README explains) or unexplained."""
    real = [d for d in found if not d.noise]
    if not real:
        return "match"
    return "known" if all(d.known for d in real) else "unexplained"


def _empty() -> dict[str, Any]:
    return {
        "requests": 0,
        "matches": 0,
        "known_only": 0,
        "fields": {},
        "kinds": Counter(),
        "noise": Counter(),
    }


def _add(entry: dict[str, Any], found: list[Difference]) -> None:
    entry["requests"] += 1
    entry["matches"] += outcome(found) == "match"
    entry["known_only"] += outcome(found) == "known"
    for d in found:
        if d.noise:
            entry["noise"][d.field] += 1
            continue
        field = entry["fields"].setdefault(
            d.field, {"count": 0, "kinds": Counter(), "known": d.known, "examples": []}
        )
        field["count"] += 1
        field["kinds"][d.kind] += 1
        entry["kinds"][d.kind] += 1
        if len(field["examples"]) < EXAMPLES:
            field["examples"].append({"v1": d.v1, "v2": d.v2})


def _finish(entry: dict[str, Any]) -> dict[str, Any]:
    fields = {
        name: {
            **field,
            "kinds": dict(field["kinds"]),
            "explained": KNOWN[field["known"]][0] if field["known"] else None,
        }
        for name, field in sorted(entry["fields"].items(), key=lambda item: -item[1]["count"])
    }
    return {
        "requests": entry["requests"],
        "matches": entry["matches"],
        "known_only": entry["known_only"],
        "fields": fields,
        "kinds": dict(entry["kinds"]),
        "noise": dict(entry["noise"]),
    }
