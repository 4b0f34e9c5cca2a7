"""A soak under faults: two `shim serve` instances sharing one Redis, as behind a load balancer,
take steady load while Redis is paused, the upstream fails, the upstream is too slow, and Redis
restarts. A script that prints figures, not a test:

    .venv/bin/python benchmarks/soak.py [--phase 5] [--concurrency 20] [--cooldown 5]

Meanwhile it replays requests that were accepted, to the other instance, and counts any replay
accepted. It prints requests lost without an answer, answers by status and code, replays sent and
accepted, and after each fault how long until each instance served a mute again, next to the
breaker's window (SHIM_BREAKER_COOLDOWN) that bounds recovery from upstream faults.
"""

import argparse
import asyncio
import collections
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
    redis_server,
    rss_mib,
    shim,
    shim_env,
    stop,
)

ORIGIN = "http://api.soak.test"  # what clients sign for; both instances accept it
MUTE = "/1.1/mutes/users/create.json?user_id=783214"
TIMEOUT = 1.0  # SHIM_UPSTREAM_TIMEOUT for both instances


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    lost: int = 0
    replays: int = 0
    replays_accepted: int = 0
    # (instance, time the request was sent) of each mute served
    served: list[tuple[int, float]] = field(default_factory=list)
    accepted: collections.deque[dict[str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=1000)
    )


def label(answer: httpx2.Response) -> str:
    try:
        return f"{answer.status_code}/{answer.json()['errors'][0]['code']}"
    except (ValueError, KeyError, IndexError, TypeError):
        return str(answer.status_code)


async def post(client: httpx2.AsyncClient, port: int, headers: dict[str, str]) -> httpx2.Response:
    return await client.post(
        f"http://127.0.0.1:{port}{MUTE}", headers={**headers, "Host": "api.soak.test"}
    )


async def clients(ports: list[int], concurrency: int, until: float, tally: Tally) -> None:
    signer = Client(
        KEY, client_secret=SECRET, resource_owner_key=TOKEN, resource_owner_secret=TOKEN_SECRET
    )
    limits = httpx2.Limits(max_connections=concurrency * 2)
    # Longer than any answer the shim promises, so a missing answer shows as lost.
    async with httpx2.AsyncClient(limits=limits, timeout=4 * TIMEOUT + 5) as client:

        async def worker(number: int) -> None:
            while time.monotonic() < until:
                port = ports[number % len(ports)]
                _, headers, _ = signer.sign(ORIGIN + MUTE, "POST")
                sent = time.monotonic()
                try:
                    answer = await post(client, port, headers)
                except httpx2.HTTPError:
                    tally.lost += 1
                    continue
                tally.answers[label(answer)] += 1
                if answer.status_code == 200:
                    tally.served.append((port, sent))
                    tally.accepted.append(headers)

        async def replayer() -> None:
            while time.monotonic() < until:
                await asyncio.sleep(0.02)
                if not tally.accepted:
                    continue
                headers = random.choice(tally.accepted)
                tally.replays += 1
                try:
                    answer = await post(client, random.choice(ports), headers)
                except httpx2.HTTPError:
                    continue
                if answer.status_code == 200:
                    tally.replays_accepted += 1

        await asyncio.gather(replayer(), *(worker(n) for n in range(concurrency)))


async def set_fault(upstream_port: int, status: int = 0, delay: float | None = None) -> None:
    query = f"status={status}" + (f"&delay={delay}" if delay is not None else "")
    async with httpx2.AsyncClient() as client:
        await client.post(f"http://127.0.0.1:{upstream_port}/_fault?{query}")


async def faults(
    args: argparse.Namespace,
    upstream_port: int,
    redis: list[subprocess.Popen[bytes]],
    redis_port: int,
    folder: str,
) -> list[tuple[str, float]]:
    """Inject each fault for one phase after a healthy one; (fault, when it ended). A restart
    replaces `redis[0]`."""
    ended: list[tuple[str, float]] = []
    phase = args.phase

    async def healthy() -> None:
        await asyncio.sleep(phase)

    await healthy()
    redis[0].send_signal(signal.SIGSTOP)
    await asyncio.sleep(phase)
    redis[0].send_signal(signal.SIGCONT)
    ended.append((f"Redis paused {phase:g} s", time.monotonic()))

    await healthy()
    await set_fault(upstream_port, status=503)
    await asyncio.sleep(phase)
    await set_fault(upstream_port)
    ended.append((f"v2 answering 503 for {phase:g} s", time.monotonic()))

    await healthy()
    await set_fault(upstream_port, delay=3 * TIMEOUT)
    await asyncio.sleep(phase)
    await set_fault(upstream_port)
    ended.append((f"v2 slower than the deadline {phase:g} s", time.monotonic()))

    await healthy()
    stop(redis[0])
    await asyncio.sleep(1)
    redis[0] = redis_server(folder, redis_port)
    ended.append(("Redis restarted (down 1 s)", time.monotonic()))
    await healthy()
    return ended


def recovery(tally: Tally, ports: list[int], ended: float) -> list[float | None]:
    """Per instance: seconds from the fault's end to the first mute it served that was sent
    after it."""
    return [
        min(
            (sent - ended for port_, sent in tally.served if port_ == port and sent >= ended),
            default=None,
        )
        for port in ports
    ]


async def soak(args: argparse.Namespace) -> None:
    folder = tempfile.mkdtemp()
    upstream_port, redis_port = free_port(), free_port()
    ports = [free_port(), free_port()]
    upstream = fake_v2(upstream_port, args.latency)
    redis = [redis_server(folder, redis_port)]
    env = shim_env(
        folder,
        upstream_port,
        SHIM_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        SHIM_PUBLIC_URL=ORIGIN,
        SHIM_UPSTREAM_TIMEOUT=str(TIMEOUT),
        SHIM_BREAKER_COOLDOWN=str(args.cooldown),
        SHIM_CALLER_CONCURRENCY=str(args.concurrency * 2),
    )
    subprocess.run(
        [sys.executable, "-m", "shim", "tokens", "add", "--token", TOKEN],
        env={**env, "SHIM_TOKEN_SECRET": TOKEN_SECRET},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shims = [shim(port, env) for port in ports]
    try:
        rss_before = [rss_mib(process.pid) for process in shims]
        tally = Tally()
        until = time.monotonic() + 8 * args.phase + 1
        load = asyncio.create_task(clients(ports, args.concurrency, until, tally))
        ended = await faults(args, upstream_port, redis, redis_port, folder)
        await load
        rss_after = [rss_mib(process.pid) for process in shims]
    finally:
        stop(*shims, upstream, redis[0])
    report(args, tally, ports, ended, rss_before, rss_after)


def report(
    args: argparse.Namespace,
    tally: Tally,
    ports: list[int],
    ended: list[tuple[str, float]],
    rss_before: list[float],
    rss_after: list[float],
) -> None:
    total = sum(tally.answers.values()) + tally.lost
    print(
        f"soak: 2 shim instances sharing Redis, {args.concurrency} clients, upstream latency "
        f"{args.latency * 1000:.0f} ms, deadline {TIMEOUT:g} s, breaker window {args.cooldown:g} s"
    )
    print(
        f"requests: {total} sent, {total - tally.lost} answered, "
        f"{tally.lost} lost without an answer"
    )
    print(
        "answers: " + ", ".join(f"{kind} x{count}" for kind, count in tally.answers.most_common())
    )
    print(f"replays of accepted requests: {tally.replays} sent, {tally.replays_accepted} accepted")
    print(f"{'fault':<34}{'recovery, instance 1':>22}{'instance 2':>12}")
    for name, at in ended:
        times = recovery(tally, ports, at)
        cells = [f"{t:.2f} s" if t is not None else "never" for t in times]
        print(f"{name:<34}{cells[0]:>22}{cells[1]:>12}")
    for number, (before, after) in enumerate(zip(rss_before, rss_after, strict=True), 1):
        print(f"instance {number} RSS: {before:.1f} MiB before, {after:.1f} MiB after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", type=float, default=5.0, help="seconds each fault lasts")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="upstream latency, seconds")
    parser.add_argument("--cooldown", type=float, default=5.0, help="SHIM_BREAKER_COOLDOWN")
    asyncio.run(soak(parser.parse_args()))


if __name__ == "__main__":
    main()
