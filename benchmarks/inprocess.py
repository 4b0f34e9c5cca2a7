"""The shim's own CPU per translated request, without its HTTP server: the app called as ASGI in
one process, v2 answered by benchmarks/fake_v2.py in a process of its own over loopback, as the
shim meets X (the tests' one seam too: no mocked transport). uvicorn is not in it, so it is the
figure a change to the shim's own code moves, and steady enough to compare two trees by
(benchmarks/run.py varies by ±0.3 ms from run to run on a 2-core machine that also runs the load
and the fake v2). A script that prints figures.

    .venv/bin/python benchmarks/inprocess.py [--requests 4000] [--rounds 5] [--concurrency 20]
"""

import argparse
import asyncio
import logging.config
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from oauthlib.oauth1 import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    KEY,
    SECRET,
    TOKEN,
    TOKEN_SECRET,
    fake_v2,
    free_port,
    shim_env,
    stop,
)
from shim.config import Settings  # noqa: E402
from shim.edge import logs  # noqa: E402
from shim.serving.app import create_app  # noqa: E402

ORIGIN = "http://127.0.0.1:8080"
QUERIES = ("user_id=783214", "screen_name=Twitter")  # the second is cached after its first


@contextmanager
def fake_upstream() -> Iterator[int]:
    """benchmarks/fake_v2.py answering at once, in its own process (its CPU is not the shim's);
    yields its port."""
    port = free_port()
    process = fake_v2(port, 0.0)
    try:
        yield port
    finally:
        stop(process)


@asynccontextmanager
async def started(app: Any) -> AsyncIterator[None]:
    """The app's lifespan, as uvicorn runs it."""
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    events: dict[str, asyncio.Event] = {
        "startup": asyncio.Event(),
        "shutdown": asyncio.Event(),
    }

    async def send(message: dict[str, str]) -> None:
        events[message["type"].split(".")[1]].set()

    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, send))
    await events["startup"].wait()
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await events["shutdown"].wait()
        await task


def scopes(count: int) -> list[dict[str, Any]]:
    """Signed requests, each with its own nonce, made before the clock starts."""
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    made = []
    for number in range(count):
        query = QUERIES[number % 2]
        _, headers, _ = signer.sign(f"{ORIGIN}/1.1/mutes/users/create.json?{query}", "POST")
        made.append(
            {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/1.1/mutes/users/create.json",
                "raw_path": b"/1.1/mutes/users/create.json",
                "query_string": query.encode(),
                "root_path": "",
                "headers": [
                    (b"host", b"127.0.0.1:8080"),
                    (b"authorization", headers["Authorization"].encode()),
                ],
                "server": ("127.0.0.1", 8080),
                "client": ("127.0.0.1", 50000),
            }
        )
    return made


async def call(app: Any, scope: dict[str, Any]) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def load(app: Any, requests: list[dict[str, Any]], concurrency: int) -> set[int]:
    """The requests, `concurrency` at a time, as benchmarks/run.py sends them; their statuses."""
    remaining = iter(requests)
    statuses: set[int] = set()

    async def worker() -> None:
        for scope in remaining:
            statuses.add(await call(app, scope))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


def quiet_app(upstream_port: int) -> Any:
    """The app as the benchmarks call it: the fake credentials, SQLite in a new folder, v2
    at `upstream_port`, and logging as `shim serve` sets it up with its lines thrown away
    (formatting them is CPU too). The handlers keep the streams they are configured with
    (uvicorn's access lines stdout, the rest stderr), so the script's own output still shows."""
    env = shim_env(
        tempfile.mkdtemp(),
        upstream_port,
        SHIM_ACCESS_TOKEN=TOKEN,
        SHIM_ACCESS_TOKEN_SECRET=TOKEN_SECRET,
        SHIM_CALLER_CONCURRENCY="1000",
    )
    settings = Settings.from_env(env)
    real = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (kept till exit)
    logging.config.dictConfig(logs.config(settings.log_format))
    sys.stdout, sys.stderr = real
    return create_app(settings)


async def bench(args: argparse.Namespace, upstream_port: int) -> None:
    app = quiet_app(upstream_port)
    per_request = []
    async with started(app):
        await load(app, scopes(200), args.concurrency)
        for _ in range(args.rounds):
            requests = scopes(args.requests)
            begun = time.process_time()
            statuses = await load(app, requests, args.concurrency)
            per_request.append((time.process_time() - begun) * 1e6 / args.requests)
            if statuses != {200}:
                raise SystemExit(f"answers other than 200: {sorted(statuses)}")
    rounds = ", ".join(f"{figure:.0f}" for figure in per_request)
    print(f"shim's own CPU per translated request, in process: {rounds} µs")
    print(f"min {min(per_request):.0f} µs, median {statistics.median(per_request):.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    with fake_upstream() as port:
        asyncio.run(bench(parser.parse_args(), port))


if __name__ == "__main__":
    main()
