"""The soak's cluster and its faults: two `shim serve` instances sharing one Redis behind haproxy,
and each fault injected into it. A fault returns (which instance it hit, or "" for both, and when
it ended), so the soak can time recovery from that moment."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from benchmarks.processes import ROOT, TOKEN, TOKEN_SECRET, redis_server, shim, stop

TMPFS = "64m"  # Redis's files for a soak's worth of requests, and room to fill


@dataclass
class Cluster:
    folder: Path
    env: dict[str, str]
    ports: dict[str, int]  # the instances, by the name haproxy gives them
    upstream_port: int
    redis_port: int
    redis_dir: Path
    disk: str  # why the full disk is skipped; "" when `redis_dir` is a tmpfs of its own
    fault: float  # seconds a fault with no end of its own lasts
    shims: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str) -> None:
        log = self.folder / f"shim-{name}.log"
        self.shims[name] = shim(self.ports[name], self.env, log=log)

    def start_redis(self) -> None:
        self.redis[:] = [redis_server(str(self.redis_dir), self.redis_port)]

    def add_token(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "shim", "tokens", "add", "--token", TOKEN],
            env={**self.env, "SHIM_TOKEN_SECRET": TOKEN_SECRET},
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        stop(*self.shims.values(), *self.redis)


def small_disk(folder: Path) -> str:
    """Mount a tmpfs of TMPFS at `folder` for Redis's files: "" if it is one, else why not."""
    folder.mkdir()
    if os.geteuid() != 0:
        return "not run as root, so no tmpfs of its own to fill"
    command = ["mount", "-t", "tmpfs", "-o", f"size={TMPFS}", "tmpfs", str(folder)]
    mounted = subprocess.run(command, capture_output=True, check=False)
    return "" if mounted.returncode == 0 else f"mount failed: {mounted.stderr.decode().strip()}"


async def set_upstream(cluster: Cluster, status: int = 0, delay: float | None = None) -> None:
    query = f"status={status}" + (f"&delay={delay}" if delay is not None else "")
    async with httpx2.AsyncClient() as client:
        await client.post(f"http://127.0.0.1:{cluster.upstream_port}/_fault?{query}")


async def kill(cluster: Cluster) -> tuple[str, float]:
    cluster.shims["a"].kill()
    cluster.shims["a"].wait()
    await asyncio.sleep(2)
    await asyncio.to_thread(cluster.start, "a")
    return "a", time.monotonic()


async def sigterm(cluster: Cluster) -> tuple[str, float]:
    """The drain: SHIM_DRAIN_SECONDS not ready while serving, then the process stops."""
    cluster.shims["b"].send_signal(signal.SIGTERM)
    await asyncio.to_thread(cluster.shims["b"].wait, 60)
    await asyncio.to_thread(cluster.start, "b")
    return "b", time.monotonic()


async def full_disk(cluster: Cluster) -> tuple[str, float]:
    """Redis's append-only file on a full filesystem."""
    filler = cluster.redis_dir / "filler"
    with open(filler, "wb") as file:
        room = os.statvfs(cluster.redis_dir)
        os.posix_fallocate(file.fileno(), 0, room.f_bavail * room.f_frsize)
    await asyncio.sleep(cluster.fault)
    filler.unlink()
    return "", time.monotonic()


async def redis_paused(cluster: Cluster) -> tuple[str, float]:
    cluster.redis[0].send_signal(signal.SIGSTOP)
    await asyncio.sleep(cluster.fault)
    cluster.redis[0].send_signal(signal.SIGCONT)
    return "", time.monotonic()


async def upstream_503(cluster: Cluster) -> tuple[str, float]:
    await set_upstream(cluster, status=503)
    await asyncio.sleep(cluster.fault)
    await set_upstream(cluster)
    return "", time.monotonic()


async def upstream_slow(cluster: Cluster) -> tuple[str, float]:
    await set_upstream(cluster, delay=3 * float(cluster.env["SHIM_UPSTREAM_TIMEOUT"]))
    await asyncio.sleep(cluster.fault)
    await set_upstream(cluster)
    return "", time.monotonic()


async def redis_restarted(cluster: Cluster) -> tuple[str, float]:
    """Down 1 s, back with its append-only file."""
    stop(cluster.redis[0])
    await asyncio.sleep(1)
    await asyncio.to_thread(cluster.start_redis)
    return "", time.monotonic()


async def redis_empty(cluster: Cluster) -> tuple[str, float]:
    """Back without its files; the operator then adds the users' tokens again."""
    stop(cluster.redis[0])
    for path in cluster.redis_dir.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    await asyncio.sleep(1)
    await asyncio.to_thread(cluster.start_redis)
    await asyncio.to_thread(cluster.add_token)
    return "", time.monotonic()


FAULTS = {
    "kill -9 of an instance, restarted 2 s later": kill,
    "SIGTERM of an instance (drain), restarted": sigterm,
    "Redis's disk full": full_disk,
    "Redis paused": redis_paused,
    "v2 answering 503": upstream_503,
    "v2 slower than the deadline": upstream_slow,
    "Redis restarted (append-only file)": redis_restarted,
    "Redis restarted empty, tokens re-added": redis_empty,
}
