"""The anchor table: the shim next to nginx and a bare Starlette pass-through on the same
stack, at one and two workers, with and without Redis, against one fake v2. A script that
prints figures.

    .venv/bin/python benchmarks/table.py [--latency 0.05] [--requests 2000] [--concurrency 20]

Per row: CPU per request (the server's processes; Redis's own beside it), p50 and p99 against
calling v2 directly (the same two calls, side by side), and requests per second at
`--concurrency` and at five times it. On a 2-core machine the load generator shares the cores
with what it measures, so throughput at two workers is bounded by it too.
"""

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
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
    nginx_proxy,
    redis_server,
    shim_env,
    stop,
    tree_cpu_seconds,
    wait_for,
)
from benchmarks.processes import shim as shim_serve  # noqa: E402
from benchmarks.run import load, p  # noqa: E402
from shim.credentials.upstream_auth import Credentials, OAuth1  # noqa: E402


async def figures(base: str, upstream: str, pids: list[int], args: argparse.Namespace) -> str:
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    auth = OAuth1(Credentials(KEY, SECRET, TOKEN, TOKEN_SECRET))
    limits = httpx2.Limits(max_connections=args.concurrency * 10)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:

        async def through() -> int:
            url = f"{base}/1.1/mutes/users/create.json?user_id=783214"
            _, headers, _ = signer.sign(url, "POST")
            return (await client.post(url, headers=headers)).status_code

        async def direct() -> int:
            muted, user = await asyncio.gather(
                client.post(
                    f"{upstream}/2/users/1500000000000000001/muting",
                    json={"target_user_id": "783214"},
                    auth=auth,
                ),
                client.get(f"{upstream}/2/users/783214", auth=auth),
            )
            return max(muted.status_code, user.status_code)

        await load(through, 300, args.concurrency)  # warm up
        await load(direct, 300, args.concurrency)
        straight = await load(direct, args.requests, args.concurrency)
        cpu = [tree_cpu_seconds(pid) for pid in pids]
        started = time.perf_counter()
        shim = await load(through, args.requests, args.concurrency)
        rps = args.requests / (time.perf_counter() - started)
        used = [tree_cpu_seconds(pid) - before for pid, before in zip(pids, cpu, strict=True)]
        started = time.perf_counter()
        await load(through, args.requests, args.concurrency * 5)
        rps_high = args.requests / (time.perf_counter() - started)
    per = [1000 * seconds / args.requests for seconds in used]
    redis_cpu = f"{per[1]:>10.2f}" if len(per) > 1 else f"{'':>10}"
    return (
        f"{per[0]:>8.2f}{redis_cpu}{p(shim, 50) / p(straight, 50):>9.3f}"
        f"{p(shim, 99) / p(straight, 99):>9.3f}{rps:>9.0f}{rps_high:>11.0f}"
    )


async def table(args: argparse.Namespace) -> None:
    folder = tempfile.mkdtemp()
    upstream_port = free_port()
    upstream = fake_v2(upstream_port, args.latency)
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    print(f"upstream latency {args.latency * 1000:.0f} ms, {args.requests} requests a row")
    print(
        f"{'':<28}{'CPU ms':>8}{'Redis ms':>10}{'p50 x':>9}{'p99 x':>9}"
        f"{'req/s':>9}{f'req/s @{args.concurrency * 5}':>11}"
    )
    rows: list[tuple[str, str, int, bool]] = [
        ("nginx, 1 worker", "nginx", 1, False),
        ("nginx, 2 workers", "nginx", 2, False),
        ("bare Starlette + httpx2", "bare", 1, False),
        ("shim, 1 worker", "shim", 1, False),
        ("shim, 2 workers", "shim", 2, False),
        ("shim + Redis, 1 worker", "shim", 1, True),
        ("shim + Redis, 2 workers", "shim", 2, True),
    ]
    try:
        for name, kind, workers, with_redis in rows:
            needed = "redis-server" if with_redis else kind
            if needed in ("nginx", "redis-server") and shutil.which(needed) is None:
                print(f"{name:<28}{needed} is not installed (apt-get install {needed})")
                continue
            port = free_port()
            started: list[subprocess.Popen[bytes]] = []
            env = shim_env(
                folder + f"/{port}",
                upstream_port,
                SHIM_ACCESS_TOKEN=TOKEN,
                SHIM_ACCESS_TOKEN_SECRET=TOKEN_SECRET,
                # One token makes all the load: its fair share must not be what is measured.
                SHIM_CALLER_CONCURRENCY="1000",
            )
            Path(folder, str(port)).mkdir()
            try:
                if with_redis:
                    redis_port = free_port()
                    started.append(redis_server(f"{folder}/{port}", redis_port))
                    env["SHIM_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
                if kind == "nginx":
                    server = nginx_proxy(f"{folder}/{port}", port, upstream_port, workers)
                elif kind == "bare":
                    bare = [sys.executable, str(ROOT / "benchmarks" / "bare.py")]
                    server = subprocess.Popen(
                        [*bare, "--port", str(port), "--upstream", upstream_url]
                    )
                    wait_for(port, server)
                else:
                    server = shim_serve(port, env, "--workers", str(workers))
                started.insert(0, server)
                row = await figures(
                    f"http://127.0.0.1:{port}", upstream_url, [s.pid for s in started], args
                )
                print(f"{name:<28}{row}")
            finally:
                stop(*started)
    finally:
        stop(upstream)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="upstream latency, seconds")
    parser.add_argument("--requests", type=int, default=2000, help="requests a row")
    parser.add_argument("--concurrency", type=int, default=20)
    asyncio.run(table(parser.parse_args()))


if __name__ == "__main__":
    main()
