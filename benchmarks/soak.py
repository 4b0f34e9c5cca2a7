"""A soak under faults, as an operator runs the shim: two `shim serve` instances sharing one
Redis (append-only, noeviction) behind haproxy checking `/_shim/ready` (benchmarks/balancer.py),
steady load through haproxy, and one fault at a time (benchmarks/soak_faults.py): kill -9 and
SIGTERM of an instance, Redis's disk full (a tmpfs, as root), Redis paused, v2 answering 503 or
too slowly, Redis restarted with its files and empty. A script that prints figures, not a test:

    .venv/bin/python benchmarks/soak.py [--runs 3] [--window 20] [--fault 5] [--concurrency 10]

Meanwhile it replays requests that were accepted, each straight to the instance that did not
answer it, and counts any replay accepted. Per fault and per run it prints requests sent, lost
(no answer or a connection error), 5xx by code, other refusals, replays sent and accepted, and
the recovery: from the fault's end to the first good answer through haproxy (from the instance
hit, for a fault of one instance); then the spread over the runs. Needs haproxy installed.
"""

import argparse
import asyncio
import collections
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from oauthlib.oauth1 import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.balancer import INSTALL, haproxy, installed
from benchmarks.processes import (
    KEY,
    SECRET,
    TOKEN,
    TOKEN_SECRET,
    fake_v2,
    free_port,
    shim_env,
)
from benchmarks.soak_faults import FAULTS, Cluster, small_disk

ORIGIN = "http://api.soak.test"  # what clients sign for: the balancer's public name
MUTE = "/1.1/mutes/users/create.json?user_id=783214"
TIMEOUT = 1.0  # SHIM_UPSTREAM_TIMEOUT for both instances
DRAIN = 3.0  # SHIM_DRAIN_SECONDS: more than haproxy's checks need to take an instance out
LEAD = 2.0  # seconds of load before each fault


@dataclass
class Tally:
    """One fault's figures."""

    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    lost: collections.Counter[str] = field(default_factory=collections.Counter)  # by error
    replays: int = 0
    replays_accepted: int = 0
    served: list[tuple[str, float]] = field(default_factory=list)  # (instance, sent) of each 200
    recovery: float | None = None


@dataclass
class Load:
    tally: Tally = field(default_factory=Tally)  # the fault under way's
    # (instance that answered, headers) of requests accepted
    accepted: collections.deque[tuple[str, dict[str, str]]] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )


def label(answer: httpx2.Response) -> str:
    """200, 503/130 (status/v1.1 code), or e.g. "503 haproxy" for haproxy's own answer."""
    if "X-Served-By" not in answer.headers:
        return f"{answer.status_code} haproxy"
    try:
        return f"{answer.status_code}/{answer.json()['errors'][0]['code']}"
    except (ValueError, KeyError, IndexError, TypeError):
        return str(answer.status_code)


async def clients(
    balancer: int, ports: dict[str, int], concurrency: int, load: Load, until: float
) -> None:
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    # Longer than any answer the shim promises, so a missing answer shows as lost.
    async with httpx2.AsyncClient(timeout=4 * TIMEOUT + 5) as client:

        async def post(port: int, headers: dict[str, str]) -> httpx2.Response:
            url = f"http://127.0.0.1:{port}{MUTE}"
            return await client.post(url, headers={**headers, "Host": "api.soak.test"})

        async def worker() -> None:
            while time.monotonic() < until:
                _, headers, _ = signer.sign(ORIGIN + MUTE, "POST")
                sent = time.monotonic()
                tally = load.tally
                try:
                    answer = await post(balancer, headers)
                except httpx2.HTTPError as error:
                    tally.lost[type(error).__name__] += 1
                    continue
                tally.answers[label(answer)] += 1
                if answer.status_code == 200:
                    by = answer.headers.get("X-Served-By", "")
                    tally.served.append((by, sent))
                    load.accepted.append((by, headers))

        async def replayer() -> None:
            while time.monotonic() < until:
                await asyncio.sleep(0.02)
                if not load.accepted:
                    continue
                by, headers = random.choice(load.accepted)
                other = next(name for name in ports if name != by)
                tally = load.tally
                try:
                    answer = await post(ports[other], headers)
                except httpx2.HTTPError:  # the other instance is down
                    continue
                tally.replays += 1
                tally.replays_accepted += answer.status_code == 200

        await asyncio.gather(replayer(), *(worker() for _ in range(concurrency)))


def recovery(tally: Tally, hit: str, ended: float) -> float | None:
    """From `ended` to the first good answer sent after it (from `hit`, if one instance)."""
    return min(
        (sent - ended for by, sent in tally.served if sent >= ended and (not hit or by == hit)),
        default=None,
    )


async def run(args: argparse.Namespace) -> tuple[dict[str, Tally], int]:
    """One soak: each fault's figures, and the tracebacks in the instances' logs."""
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    cluster = Cluster(
        folder=folder,
        env={},
        ports={"a": free_port(), "b": free_port()},
        upstream_port=free_port(),
        redis_port=free_port(),
        redis_dir=folder / "redis",
        disk=small_disk(folder / "redis"),
        fault=args.fault,
    )
    cluster.env = shim_env(
        str(folder),
        cluster.upstream_port,
        SHIM_REDIS_URL=f"redis://127.0.0.1:{cluster.redis_port}/0",
        SHIM_PUBLIC_URL=ORIGIN,
        SHIM_UPSTREAM_TIMEOUT=str(TIMEOUT),
        SHIM_BREAKER_COOLDOWN=str(args.cooldown),
        SHIM_CALLER_CONCURRENCY=str(args.concurrency * 2),
        SHIM_DRAIN_SECONDS=str(DRAIN),
    )
    upstream = fake_v2(cluster.upstream_port, args.latency)
    balancer = None
    try:
        cluster.start_redis()
        cluster.add_token()
        for name in cluster.ports:
            cluster.start(name)
        port = free_port()
        balancer = haproxy(folder, port, cluster.ports, inter="500ms", fall=2)
        faults = {name: fault for name, fault in FAULTS.items() if fault.__name__ != "full_disk"}
        if not cluster.disk:
            faults = dict(FAULTS)
        load = Load()
        until = time.monotonic() + len(faults) * args.window
        running = asyncio.create_task(clients(port, cluster.ports, args.concurrency, load, until))
        tallies = {}
        for number, (name, fault) in enumerate(faults.items(), 1):
            load.tally = tallies[name] = Tally()
            await asyncio.sleep(LEAD)
            hit, ended = await fault(cluster)
            await asyncio.sleep(until - (len(faults) - number) * args.window - time.monotonic())
            tallies[name].recovery = recovery(tallies[name], hit, ended)
        await running
    finally:
        if balancer:
            balancer.terminate()
            balancer.wait()
        cluster.stop()
        upstream.terminate()
        if not cluster.disk:
            subprocess.run(["umount", str(cluster.redis_dir)], check=False)
    logs = "".join(path.read_text() for path in folder.glob("shim-*.log"))
    if cluster.disk:
        print(f"(Redis's disk full: skipped, {cluster.disk})")
    return tallies, logs.count("Traceback")


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def report(number: int, tallies: dict[str, Tally], tracebacks: int) -> None:
    print(f"run {number}: {tracebacks} tracebacks in the instances' logs")
    print(f"  {'fault':<46}{'sent':>6}{'lost':>6}{'replays':>9}{'accepted':>10}{'recovery':>10}")
    for name, tally in tallies.items():
        sent = sum(tally.answers.values()) + tally.lost.total()
        print(
            f"  {name:<46}{sent:>6}{tally.lost.total():>6}{tally.replays:>9}"
            f"{tally.replays_accepted:>10}{seconds(tally.recovery):>10}"
        )
        refused = [(kind, n) for kind, n in tally.answers.most_common() if kind != "200"]
        refused += [(f"lost: {kind}", n) for kind, n in tally.lost.most_common()]
        if refused:
            print("      " + ", ".join(f"{kind} x{count}" for kind, count in refused))


def spread(runs: list[dict[str, Tally]]) -> None:
    print(f"over {len(runs)} runs, each run's figure in turn:")
    for name in runs[0]:
        tallies = [run[name] for run in runs]
        errors = [sum(c for kind, c in t.answers.items() if kind[0] == "5") for t in tallies]
        times = [t.recovery for t in tallies if t.recovery is not None]
        median = f", median {statistics.median(times):.2f} s" if times else ""
        print(
            f"  {name}: lost {'/'.join(str(t.lost.total()) for t in tallies)}; "
            f"5xx {'/'.join(map(str, errors))}; "
            f"replays accepted {'/'.join(str(t.replays_accepted) for t in tallies)}; "
            f"recovery {' / '.join(seconds(t.recovery) for t in tallies)}{median}"
        )


async def soak(args: argparse.Namespace) -> None:
    print(
        f"soak: 2 shim instances sharing Redis behind haproxy, {args.concurrency} clients, "
        f"upstream latency {args.latency * 1000:.0f} ms, deadline {TIMEOUT:g} s, "
        f"breaker window {args.cooldown:g} s, drain {DRAIN:g} s, {args.window:g} s of load "
        f"a fault, {args.fault:g} s faults"
    )
    runs = []
    for number in range(1, args.runs + 1):
        tallies, tracebacks = await run(args)
        report(number, tallies, tracebacks)
        runs.append(tallies)
    spread(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="soaks, one after the other")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of load per fault")
    parser.add_argument("--fault", type=float, default=5.0, help="seconds a fault lasts")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05, help="upstream latency, seconds")
    parser.add_argument("--cooldown", type=float, default=5.0, help="SHIM_BREAKER_COOLDOWN")
    args = parser.parse_args()
    if installed() is None:
        parser.exit(2, f"{INSTALL}\n")
    asyncio.run(soak(args))


if __name__ == "__main__":
    main()
