"""`shim serve --sandbox` and `shim sandbox`: the shim in front of a simulated X
(`shim.sandbox`) served from the same process on a loopback port, with fixed, fake app keys and
users' tokens, its own store in a temporary folder (removed when it stops), so the product can
be seen working, and an app's own tests run, with no X account. Nothing reaches X."""

import argparse
import asyncio
import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import FrameType
from typing import Any, NoReturn

from shim.config import DEFAULT_UPSTREAM, ConfigError, Settings
from shim.sandbox import seed
from shim.sandbox.server import running
from shim.stores.tokens import open_tokens

# The dashboard's password in the sandbox, unless SHIM_ADMIN_TOKEN names another: as fake as
# the keys, and printed with them.
ADMIN_TOKEN = "sandbox-fake-admin-token-000000000000"
REAL = (
    ("SHIM_CONSUMER_KEY", "consumer_key"),
    ("SHIM_CONSUMER_SECRET", "consumer_secret"),
    ("SHIM_ACCESS_TOKEN", "access_token"),
    ("SHIM_REDIS_URL", "redis_url"),
)


def add_command(commands: Any) -> None:
    """`shim sandbox`: what `shim serve --sandbox` prints, without serving."""
    sandbox_cmd = commands.add_parser(
        "sandbox", help="the sandbox's app keys and users' tokens (shim serve --sandbox)"
    )
    sandbox_cmd.add_argument("--json", action="store_true", help="print JSON, for scripts")
    sandbox_cmd.set_defaults(run=show)


def show(settings: Settings, args: argparse.Namespace) -> int:
    print(json.dumps(credentials(settings), indent=2) if args.json else described(settings))
    return 0


def credentials(settings: Settings) -> dict[str, Any]:
    """The keys and tokens to use against the sandbox, and the dashboard's admin token."""
    return seed.credentials() | {"admin_token": settings.admin_token or ADMIN_TOKEN}


def described(settings: Settings, url: str = "") -> str:
    """The keys and tokens as `shim serve --sandbox` prints them when it starts to serve at
    `url` (`shim sandbox` knows of no server)."""
    found = credentials(settings)
    lines = [
        "SIMULATED X (sandbox): nothing reaches X; every answer has x-shim-sandbox: simulated",
        f"  app:  consumer key {found['consumer_key']}",
        f"        consumer secret {found['consumer_secret']}",
    ]
    for user in found["users"]:
        lines += [
            f"  @{user['screen_name']} (user id {user['user_id']}):",
            f"        access token {user['access_token']}",
            f"        access token secret {user['access_token_secret']}",
        ]
    lines += [
        f"  dashboard: {url or '…'}/_shim/ (any user name, password {found['admin_token']})",
        "  the same as JSON: shim sandbox --json; the simulated users: docs/testing.md",
    ]
    return "\n".join(lines)


def refuse(settings: Settings, args: argparse.Namespace) -> None:
    """One line for a setting the sandbox would have to ignore: it is its own upstream, with
    its own keys, tokens and store, in one process."""
    if settings.upstream_url != DEFAULT_UPSTREAM:
        raise ConfigError("--sandbox is its own upstream: unset SHIM_UPSTREAM_URL")
    for variable, name in REAL:
        if getattr(settings, name):
            raise ConfigError(
                f"--sandbox uses its own fake keys, tokens and store: unset {variable} "
                "(shim sandbox lists what it uses)"
            )
    if args.workers > 1:
        raise ConfigError("--sandbox serves from one process: drop --workers")


@contextmanager
def sandboxed(settings: Settings, args: argparse.Namespace) -> Iterator[Settings]:
    """Serve the simulated X while the shim runs; yields the shim's settings in front of it.
    Its store goes when it stops, SIGTERM included: uvicorn hands SIGTERM on to the handler
    it found once it has shut down, and this one exits through the cleanup, where the
    default would end the process at once."""
    refuse(settings, args)
    found = credentials(settings)
    before = signal.signal(signal.SIGTERM, stopped)
    with (
        restored(signal.SIGTERM, before),
        tempfile.TemporaryDirectory(prefix="shim-sandbox-") as folder,
        running(seed.simulated()) as upstream,
    ):
        sandbox = replace(
            settings,
            consumer_key=found["consumer_key"],
            consumer_secret=found["consumer_secret"],
            db_path=os.path.join(folder, "sandbox.db"),
            upstream_url=upstream,
            admin_token=found["admin_token"],
            sandbox=True,
        )
        asyncio.run(admit(sandbox, found["users"]))
        yield sandbox


def stopped(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(0)


@contextmanager
def restored(signum: int, handler: Any) -> Iterator[None]:
    try:
        yield
    finally:
        signal.signal(signum, handler)


async def admit(settings: Settings, users: list[dict[str, str]]) -> None:
    """The sandbox's users' tokens into its store, as `shim tokens add` puts them."""
    store = open_tokens(settings)
    try:
        for user in users:
            await store.add(user["access_token"], user["access_token_secret"])
    finally:
        await store.aclose()
