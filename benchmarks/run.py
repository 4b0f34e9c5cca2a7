"""How much the shim adds to each call: latency through it against v2 direct, throughput, its
CPU time per request and its memory over a long run. A script that prints figures, not a test.

    .venv/bin/python benchmarks/run.py [--latency 0.05] [--requests 50000] [--concurrency 20]

It starts a fake v2 (benchmarks/fake_v2.py) with the given latency and the real `shim serve`,
each in its own process, then signs requests as a legacy client does. "Direct" makes the v2
calls the shim makes for the same request, the same way (independent calls concurrently), so
the ratio is what the shim adds.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
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
    cpu_seconds,
    fake_v2,
    free_port,
    rss_mib,
    shim_env,
    stop,
)
from benchmarks.processes import shim as shim_serve  # noqa: E402
from shim.credentials.upstream_auth import Credentials, OAuth1  # noqa: E402


async def load(call: Callable[[], Awaitable[int]], count: int, concurrency: int) -> list[float]:
    """Run `count` calls, `concurrency` at a time; their latencies in seconds."""
    latencies: list[float] = []
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            status = await call()
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise SystemExit(f"a call answered {status}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


BLOCKS = 10  # each latency row is taken in blocks, the shim's and direct's in turn


async def paired(
    via_shim: Callable[[], Awaitable[int]],
    direct: Callable[[], Awaitable[int]],
    args: argparse.Namespace,
) -> tuple[list[float], list[float]]:
    """Latencies through the shim and direct, taken in alternating blocks: a stretch of noise
    on the machine (another process, a disk flush) falls on both sides alike, not on whichever
    row it happened to land in."""
    through_shim: list[float] = []
    directly: list[float] = []
    for _ in range(BLOCKS):
        through_shim += await load(via_shim, args.samples // BLOCKS, args.concurrency)
        directly += await load(direct, args.samples // BLOCKS, args.concurrency)
    return through_shim, directly


def p(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100)[percent - 1] * 1000


async def bench(args: argparse.Namespace) -> None:
    upstream_port, shim_port = free_port(), free_port()
    folder = tempfile.mkdtemp()
    env = shim_env(
        folder,
        upstream_port,
        SHIM_ACCESS_TOKEN=TOKEN,
        SHIM_ACCESS_TOKEN_SECRET=TOKEN_SECRET,
    )
    upstream = fake_v2(upstream_port, args.latency)
    shim = shim_serve(shim_port, env)
    try:
        await measure(
            args, f"http://127.0.0.1:{shim_port}", f"http://127.0.0.1:{upstream_port}", shim.pid
        )
    finally:
        stop(shim, upstream)


async def measure(args: argparse.Namespace, shim: str, upstream: str, pid: int) -> None:
    limits = httpx2.Limits(max_connections=args.concurrency * 2)
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    auth = OAuth1(Credentials(KEY, SECRET, TOKEN, TOKEN_SECRET))
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:

        async def through(query: str) -> int:
            url = f"{shim}/1.1/mutes/users/create.json?{query}"
            _, headers, _ = signer.sign(url, "POST")
            return (await client.post(url, headers=headers)).status_code

        async def mute() -> int:
            url = f"{upstream}/2/users/1500000000000000001/muting"
            answer = await client.post(url, json={"target_user_id": "783214"}, auth=auth)
            return answer.status_code

        async def direct_by_id() -> int:  # the shim's one batch: the mute and the lookup at once
            lookup = client.get(f"{upstream}/2/users/783214", auth=auth)
            statuses = await asyncio.gather(mute(), lookup)
            return max(statuses[0], statuses[1].status_code)

        print(f"upstream latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}")
        await load(lambda: through("user_id=783214"), 500, args.concurrency)  # warm up
        await load(direct_by_id, 500, args.concurrency)
        await through("screen_name=Twitter")  # now cached: the shim makes only the mute
        rows = []
        for name, via_shim, direct in (
            ("user_id", lambda: through("user_id=783214"), direct_by_id),
            ("cached screen_name", lambda: through("screen_name=Twitter"), mute),
        ):
            shim_times, direct_times = await paired(via_shim, direct, args)
            rows.append((name, shim_times, direct_times))
        print(
            f"{'request':<20}{'shim p50':>10}{'p99':>9}{'direct p50':>12}{'p99':>9}"
            f"{'p50 ratio':>11}{'p99 ratio':>11}"
        )
        for name, shim_times, direct_times in rows:
            print(
                f"{name:<20}{p(shim_times, 50):>8.1f}ms{p(shim_times, 99):>7.1f}ms"
                f"{p(direct_times, 50):>10.1f}ms{p(direct_times, 99):>7.1f}ms"
                f"{p(shim_times, 50) / p(direct_times, 50):>11.3f}"
                f"{p(shim_times, 99) / p(direct_times, 99):>11.3f}"
            )

        rss_before, cpu_before, started = rss_mib(pid), cpu_seconds(pid), time.perf_counter()
        queries = ("user_id=783214", "screen_name=Twitter")
        soak = await load(
            lambda: through(queries[int(time.perf_counter() * 1e6) % 2]),
            args.requests,
            args.concurrency,
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
        rss_after = rss_mib(pid)
        print(
            f"\n{args.requests} requests (user_id and cached screen_name, mixed) in "
            f"{elapsed:.1f} s: {args.requests / elapsed:.0f} requests/s, "
            f"p50 {p(soak, 50):.1f} ms, p99 {p(soak, 99):.1f} ms"
        )
        print(f"shim CPU time: {cpu * 1000 / args.requests:.2f} ms per request")
        print(
            f"shim RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after "
            f"({100 * (rss_after - rss_before) / rss_before:+.1f}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="upstream latency, seconds")
    parser.add_argument("--requests", type=int, default=50_000, help="requests in the long run")
    parser.add_argument("--samples", type=int, default=2_000, help="requests per latency row")
    parser.add_argument("--concurrency", type=int, default=20)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
