"""The circuit breaker's recovery over several runs (issue 24: one soak sample said 0.1 s, the
next two 4.96 s and 4.94 s). Each run starts one `shim serve` with the default breaker settings
in front of benchmarks/fake_v2.py at 50 ms, keeps 10 clients muting, and injects two faults:

  blip     v2 answers 503 for 0.14 s, then recovers;
  outage   v2 answers 503 for 8 s, then recovers.

For each, from the moment v2 recovered: seconds to the first mute served that was sent after it
(a lucky probe can make this small while the breaker still refuses), seconds to the last 503
answered to a request sent after it (from then on, every request was served: the figure that
matters), those 503s, and how often the breaker had opened (from /metrics).

    .venv/bin/python benchmarks/breaker.py --runs 5
"""

import argparse
import asyncio
import re
import statistics
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
    shim,
    shim_env,
    stop,
)

ORIGIN = "http://api.breaker.test"  # what the clients sign for (SHIM_PUBLIC_URL)
MUTE = "/1.1/mutes/users/create.json?user_id=783214"
ADMIN = "bench-admin-token-of-32-characters-x"
FAULTS = (("blip", 0.14, 3.0), ("outage", 8.0, 8.0))  # name, seconds of 503s, seconds after


async def set_fault(client: httpx2.AsyncClient, upstream_port: int, status: int = 0) -> None:
    """benchmarks/fake_v2.py answers `status` from now on (0: its normal answers)."""
    await client.post(f"http://127.0.0.1:{upstream_port}/_fault?status={status}")


async def load(port: int, until: float, answers: list[tuple[float, int]]) -> None:
    """10 clients muting until `until`; each answer as (time sent, status; 0: lost)."""
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    async with httpx2.AsyncClient(timeout=10) as client:

        async def worker() -> None:
            while time.monotonic() < until:
                _, headers, _ = signer.sign(ORIGIN + MUTE, "POST")
                headers["Host"] = "api.breaker.test"
                sent = time.monotonic()
                try:
                    answer = await client.post(f"http://127.0.0.1:{port}{MUTE}", headers=headers)
                    answers.append((sent, answer.status_code))
                except httpx2.HTTPError:
                    answers.append((sent, 0))

        await asyncio.gather(*(worker() for _ in range(10)))


async def opened(port: int) -> int:
    async with httpx2.AsyncClient() as client:
        scraped = await client.get(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {ADMIN}"}
        )
    found = re.search(r'shim_upstream_breaker_transitions_total\{to="open"\} (\S+)', scraped.text)
    return int(float(found.group(1))) if found else 0


Row = tuple[str, float | None, float, int, int]


async def one_run(upstream_port: int, port: int) -> list[Row]:
    answers: list[tuple[float, int]] = []
    until = time.monotonic() + 2 + sum(length + after for _, length, after in FAULTS)
    clients = asyncio.create_task(load(port, until, answers))
    await asyncio.sleep(2)  # healthy first: the window fills with successes
    rows = []
    for name, length, after in FAULTS:
        async with httpx2.AsyncClient() as client:
            await set_fault(client, upstream_port, status=503)
            await asyncio.sleep(length)
            await set_fault(client, upstream_port)
        ended = time.monotonic()
        await asyncio.sleep(after)
        later = [(sent, answer) for sent, answer in answers if ended <= sent < ended + after]
        first = min((sent - ended for sent, answer in later if answer == 200), default=None)
        refused = [sent - ended for sent, answer in later if answer == 503]
        rows.append((name, first, max(refused, default=0.0), len(refused), await opened(port)))
    await clients
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    print(f"{'run':<5}{'fault':<9}{'first 200, s':>13}{'last 503, s':>12}{'503s':>7}{'opened':>8}")
    for run in range(1, args.runs + 1):
        folder = tempfile.mkdtemp()
        upstream_port, port = free_port(), free_port()
        upstream = fake_v2(upstream_port, 0.05)
        env = shim_env(
            folder,
            upstream_port,
            SHIM_PUBLIC_URL=ORIGIN,
            SHIM_UPSTREAM_TIMEOUT="1",
            SHIM_ADMIN_TOKEN=ADMIN,
            SHIM_CALLER_CONCURRENCY="40",
        )
        subprocess.run(
            [sys.executable, "-m", "shim", "tokens", "add", "--token", TOKEN],
            env={**env, "SHIM_TOKEN_SECRET": TOKEN_SECRET},
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        process = shim(port, env)
        try:
            rows = asyncio.run(one_run(upstream_port, port))
        finally:
            stop(process, upstream)
        for name, first, last, refused, opens in rows:
            shown = "none" if first is None else f"{first:.2f}"
            print(f"{run:<5}{name:<9}{shown:>13}{last:>12.2f}{refused:>7}{opens:>8}")
            results.setdefault(name, []).append(last)
    for name, figures in results.items():
        median = statistics.median(figures)
        print(
            f"{name}: every request served from {min(figures):.2f} s (min), {median:.2f} s "
            f"(median), {max(figures):.2f} s (max) after v2 recovered, over {len(figures)} runs"
        )


if __name__ == "__main__":
    main()
