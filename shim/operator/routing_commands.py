"""`shim routing show|set|ramp|reset`: the routes every instance reads from the store (Redis
with SHIM_REDIS_URL, else the SQLite file), over the routing file's. Each change is checked as
the whole table it makes, and leaves an audit line: when, who, what."""

import argparse
import asyncio
import getpass
import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from mappings import ENDPOINTS, ROUTABLE
from mappings.routing import Route
from shim.config import ConfigError, Settings
from shim.stores.routes import RoutingFile
from shim.stores.state import open_state

NAMES = ROUTABLE
TRANSLATED = frozenset(endpoint.name for endpoint in ENDPOINTS)
SHOWN_AUDIT = 10
NEW = Route()  # what an endpoint no file or command has routed gets


def add_commands(commands: Any) -> None:
    routing = commands.add_parser("routing", help="show or change the routing every instance reads")
    actions = routing.add_subparsers(required=True, metavar="ACTION")
    show = actions.add_parser("show", help="the routing in force, per endpoint, and recent changes")
    show.add_argument("--json", action="store_true", help="print JSON, for machines")
    show.set_defaults(run=lambda s, a: _run(s, a, _show))

    change = actions.add_parser("set", help="set an endpoint's route (other keys kept)")
    _endpoint(change)
    change.add_argument(
        "--mode",
        choices=("v2", "v1", "compare", "dry-run"),
        help=f"who serves it (default: unchanged; {NEW.mode} for a new route)",
    )
    change.add_argument(
        "--primary",
        choices=("v1", "v2"),
        help=f"compare: whose answer is served (default: unchanged; {NEW.primary} for a new route)",
    )
    change.add_argument(
        "--rollout",
        type=int,
        help=f"percent of users (0 to 100) (default: unchanged; {NEW.rollout} for a new route)",
    )
    change.add_argument(
        "--allow",
        help="user ids always inside, comma-separated ('' clears) (default: unchanged)",
    )
    change.add_argument(
        "--deny",
        help="user ids always on v1.1, comma-separated ('' clears) (default: unchanged)",
    )
    change.add_argument(
        "--group",
        help="the rollout's hash group, e.g. the flag's Unleash name (default: unchanged; "
        f"{NEW.group} for a new route)",
    )
    change.set_defaults(run=lambda s, a: _run(s, a, _set))

    ramp = actions.add_parser("ramp", help="move an endpoint's rollout from A%% to B%% over a time")
    _endpoint(ramp)
    ramp.add_argument("--from", dest="begin", type=int, required=True, help="percent at the start")
    ramp.add_argument("--to", dest="end", type=int, required=True, help="percent at the end")
    ramp.add_argument("--over", required=True, help='how long, e.g. "90m", "2h", "7d"')
    ramp.set_defaults(run=lambda s, a: _run(s, a, _ramp))

    reset = actions.add_parser("reset", help="drop the stored route: the file's applies again")
    _endpoint(reset)
    reset.set_defaults(run=lambda s, a: _run(s, a, _reset))


def _endpoint(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "endpoint",
        choices=NAMES,
        metavar="ENDPOINT",
        help="the endpoint's name, e.g. mutes/users/create, as `shim routing show` lists it",
    )


Action = Callable[[RoutingFile, dict[str, Any], argparse.Namespace], dict[str, Any] | None]


def _run(settings: Settings, args: argparse.Namespace, action: Action) -> int:
    return asyncio.run(_apply(settings, args, action))


async def _apply(settings: Settings, args: argparse.Namespace, action: Action) -> int:
    kept = open_state(settings)
    try:
        table = RoutingFile(settings.config_path, NAMES, kept.all_v1, store=kept.routes)
        stored = await kept.routes.get()
        changed = action(table, stored, args)
        if changed is None:  # show
            await _print(table, stored, await kept.routes.audit(SHOWN_AUDIT), args.json)
            return 0
        try:
            table.merged(changed)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        line = _audit(args, changed.get(args.endpoint))
        await kept.routes.put(changed, line)
        print(line)
        return 0
    finally:
        await kept.aclose()


def _current(table: RoutingFile, stored: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    return dict(table.table(stored)["routes"].get(endpoint, {}))


def _set(table: RoutingFile, stored: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    route = _current(table, stored, args.endpoint)
    for key in ("mode", "primary", "rollout", "group"):
        if getattr(args, key) is not None:
            route[key] = getattr(args, key)
    for key in ("allow", "deny"):
        given = getattr(args, key)
        if given is not None:
            route[key] = [user.strip() for user in given.split(",") if user.strip()]
    return {**stored, args.endpoint: route}


def _ramp(table: RoutingFile, stored: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    route = _current(table, stored, args.endpoint)
    route["ramp"] = {
        "from": args.begin,
        "to": args.end,
        "start": datetime.now(UTC).timestamp(),
        "over": args.over,
    }
    return {**stored, args.endpoint: route}


def _reset(table: RoutingFile, stored: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    return {name: route for name, route in stored.items() if name != args.endpoint}


def _show(table: RoutingFile, stored: dict[str, Any], args: argparse.Namespace) -> None:
    return None


def _audit(args: argparse.Namespace, route: object) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    what = json.dumps(route, sort_keys=True) if route is not None else "reset to the file's"
    return f"{when} {who} routing {args.endpoint}: {what}"


async def _print(
    table: RoutingFile, stored: Mapping[str, Any], audit: list[str], machine: bool
) -> None:
    try:
        routing = table.merged(stored)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    now = datetime.now(UTC).timestamp()
    file_routes = table.table({})["routes"]
    rows = {
        name: {
            **_plain(routing.route(name)),
            "share_now": routing.route(name).share(now),
            "from": "store" if name in stored else "file" if name in file_routes else "default",
        }
        for name in NAMES
        # The calls v2 cannot serve are listed once routed: by default the shim answers them.
        if name in TRANSLATED or name in stored or name in file_routes
    }
    all_v1 = await table.switch.get()
    if machine:
        print(json.dumps({"all_v1": all_v1, "routes": rows, "audit": audit}, indent=2))
        return
    if all_v1:
        print("ALL-V1 SWITCH ON: every translated endpoint is served by v1.1")
    for name, row in rows.items():
        extras = [f"{key} {row[key]}" for key in ("allow", "deny", "ramp") if row[key]]
        mode = Route(row["mode"], row["primary"]).served
        print(
            f"{name}: {mode}, {row['share_now']}% of users now, group {row['group']} "
            f"({row['from']})" + "".join(f"; {e}" for e in extras)
        )
    for line in audit:
        print(f"  {line}")


def _plain(route: Route) -> dict[str, Any]:
    plain = asdict(route)
    plain["allow"], plain["deny"] = sorted(route.allow), sorted(route.deny)
    return plain
