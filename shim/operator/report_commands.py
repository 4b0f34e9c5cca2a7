"""The reports read from the store every instance adds to (Redis with SHIM_REDIS_URL, else the
SQLite file): `shim report`, the migration report from live traffic (per v1.1 endpoint the apps
call, how it was served, what was answered, and what to route next: `mappings.migration`), and
`shim compare report`, what comparing v1.1 with v2 found."""

import argparse
import asyncio
import json
from typing import Any

from mappings.migration import UPSTREAM_V1, V2, counted
from shim.config import Settings
from shim.serving.traffic import FLUSH_SECONDS
from shim.stores.state import open_state


def add_commands(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="the migration report: per v1.1 endpoint called, how it was served"
    )
    report.add_argument("--json", action="store_true", help="print JSON, for machines")
    report.set_defaults(run=show)

    compare_cmd = commands.add_parser("compare", help="what comparing v1.1 with v2 found")
    compared = compare_cmd.add_subparsers(required=True, metavar="ACTION").add_parser(
        "report", help="per endpoint: requests, matches, differences by field and kind"
    )
    compared.add_argument("--json", action="store_true", help="print JSON, for machines")
    compared.set_defaults(run=compare_report)


def show(settings: Settings, args: argparse.Namespace) -> int:
    rows = asyncio.run(_report(settings))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(summary(rows))
    for call, row in rows.items():
        print(
            f"{call}: {row['calls']} call{'s' if row['calls'] != 1 else ''}; "
            f"served {counted(row['served'])}; "
            f"answered {counted(row['answers'], row['why'])}"
        )
        if row["next"]:
            print(f"  v2 replacement: {row['next']}")
    return 0


def summary(rows: dict[str, Any]) -> str:
    """The report's first line: how much still depends on v1.1."""
    if not rows:
        return (
            f"no calls counted yet: each instance adds its counts every {FLUSH_SECONDS:g} s "
            "and when it stops"
        )
    calls = sum(row["calls"] for row in rows.values())
    on_v2 = sum(row["served"].get(V2, 0) for row in rows.values())
    on_v1 = sum(
        n for row in rows.values() for how, n in row["served"].items() if how in UPSTREAM_V1
    )
    refused = sum(row["refused_by_v1"] for row in rows.values())
    return (
        f"{calls} calls to {len(rows)} v1.1 endpoints: {on_v2} translated to v2, {on_v1} "
        f"served by v1.1, {refused} of them refused by v1.1"
    )


async def _report(settings: Settings) -> dict[str, Any]:
    kept = open_state(settings)  # SQLite, or Redis with SHIM_REDIS_URL
    try:
        return await kept.traffic.report()
    finally:
        await kept.aclose()


def compare_report(settings: Settings, args: argparse.Namespace) -> int:
    report = asyncio.run(_comparisons(settings))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    if not report:
        print("no compared requests yet: set a route's mode to compare (docs/migration.md)")
    for endpoint, entry in report.items():
        print(
            f"{endpoint}: {entry['requests']} compared, {entry['matches']} matched, "
            f"{entry['known_only']} with known differences only, {entry['skipped']} skipped"
        )
        for kind, count in sorted(entry["kinds"].items()):
            print(f"  {count} {kind} differences")
        for field, found in entry["fields"].items():
            why = f"known: {found['explained']}" if found["explained"] else "NOT EXPLAINED"
            example = found["examples"][0]
            print(
                f"  {field}: {found['count']}x {'/'.join(found['kinds'])} ({why}); "
                f"e.g. v1.1 {example['v1']!r}, v2 {example['v2']!r}"
            )
        if entry["noise"]:
            print(f"  noise (differs between two v1.1 answers too): {', '.join(entry['noise'])}")
    return 0


async def _comparisons(settings: Settings) -> dict[str, Any]:
    kept = open_state(settings)  # SQLite, or Redis with SHIM_REDIS_URL
    try:
        return await kept.comparisons.report()
    finally:
        await kept.aclose()
