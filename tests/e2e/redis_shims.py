"""`shim serve` processes on real Redis servers, run as operators run them: one server (over
TLS, with an ACL user), a master watched by a sentinel, a cluster with replicas."""

import os
import random
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import redis
import requests

from tests.deadlines import until
from tests.e2e.processes import start, stop
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, sign
from tests.servers import DURABLE, RedisServer, free_port, installed, redis_server
from tests.stored import Stored

ADMIN = "fake-admin-token-for-redis-shims-32"
MUTE = "/1.1/mutes/users/create.json?user_id=783214"


class Running:
    """`shim serve` with SHIM_REDIS_URL `url` (ALICE's token stored there), in `folder`."""

    def __init__(
        self, folder: Path, tls: Any, upstream: str, url: str, add: bool = True, **env: str
    ) -> None:
        if add:
            Stored(redis_url=url).add(ALICE.token, ALICE.secret)
        folder.mkdir(exist_ok=True)
        self.env = {"SHIM_ADMIN_TOKEN": ADMIN, "SHIM_REDIS_URL": url, **env}
        self.process, self.host = start(folder, tls, upstream, env=self.env)
        self.tls = tls
        self.session = requests.Session()

    def url(self, path: str) -> str:
        """What clients sign: SHIM_PUBLIC_URL's origin when set (instances behind one
        balancer), else this instance's own."""
        return self.env.get("SHIM_PUBLIC_URL", f"https://{self.host}") + path

    def call(
        self, path: str, headers: dict[str, str] | None = None, method: str = ""
    ) -> requests.Response:
        method = method or ("POST" if "create" in path else "GET")
        signed = headers or sign(method, self.url(path))
        return self.session.request(
            method, f"https://{self.host}{path}", headers=signed, timeout=30, verify=self.tls[0]
        )

    def problems(self) -> set[str]:
        scraped = self.call("/metrics", {"Authorization": f"Bearer {ADMIN}"}).text
        return set(re.findall(r'shim_store_problem\{reason="([a-z_]+)"\} 1\.0', scraped))

    def dashboard(self) -> str:
        return self.call("/_shim/", {"Authorization": f"Bearer {ADMIN}"}).text

    def check(self, upstream: str) -> str:
        """`shim check --offline` with this instance's settings: what it prints."""
        return self.command(upstream, "check", "--offline")[1]

    def command(self, upstream: str, *args: str) -> tuple[int, str]:
        """A `shim` command with this instance's settings: its exit status, what it prints."""
        env = {
            **os.environ,
            **self.env,
            "SHIM_CONSUMER_KEY": CONSUMER_KEY,
            "SHIM_CONSUMER_SECRET": CONSUMER_SECRET,
            "SHIM_UPSTREAM_URL": upstream,
        }
        ran = subprocess.run(
            [sys.executable, "-m", "shim", *args], env=env, capture_output=True, timeout=60
        )
        return ran.returncode, ran.stdout.decode() + ran.stderr.decode()

    def stop(self) -> str:
        self.session.close()
        return stop(self.process)


def code(answer: requests.Response) -> tuple[int, int]:
    return answer.status_code, answer.json()["errors"][0]["code"]


@contextmanager
def sentinel(folder: Path, master: RedisServer) -> Iterator[str]:
    """A sentinel watching `master` as service "shim"; yields its port as host:port."""
    folder.mkdir()
    conf = folder / "sentinel.conf"
    conf.write_text(
        f"sentinel monitor shim 127.0.0.1 {master.port} 1\n"
        "sentinel down-after-milliseconds shim 1000\n"
    )
    with redis_server(folder, first=(str(conf), "--sentinel")) as watching:
        probe = redis.Redis(port=watching.port)
        until(lambda: probe.execute_command("SENTINEL GET-MASTER-ADDR-BY-NAME", "shim"), 10)
        yield f"127.0.0.1:{watching.port}"


def bus_port() -> int:
    """A free port whose cluster bus port (10,000 above it) is free too, and within range."""
    while True:
        port = free_port()
        if port + 10_000 <= 65_535 and free(port + 10_000):
            return port
        port = random.randrange(20_000, 30_000)
        if free(port) and free(port + 10_000):
            return port


def free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def cluster(folder: Path, masters: int = 3) -> Iterator[list[RedisServer]]:
    """A Redis Cluster of `masters` masters, each with one replica, durable as production
    asks; yields its servers, masters first."""
    cli = installed("redis-cli")
    with ExitStack() as stack:
        servers = []
        for n in range(masters * 2):
            node = folder / f"node{n}"
            node.mkdir(parents=True)
            settings = ("--cluster-enabled", "yes", "--cluster-node-timeout", "2000", *DURABLE)
            servers.append(stack.enter_context(redis_server(node, *settings, port=bus_port())))
        nodes = [f"127.0.0.1:{s.port}" for s in servers]
        create = [cli, "--cluster", "create", *nodes, "--cluster-replicas", "1", "--cluster-yes"]
        subprocess.run(create, check=True, capture_output=True, timeout=60)
        probes = [redis.Redis(port=s.port) for s in servers]
        until(lambda: all(p.cluster("info")["cluster_state"] == "ok" for p in probes), 30)
        roles = {s.port: redis.Redis(port=s.port).role()[0] for s in servers}
        yield sorted(servers, key=lambda s: roles[s.port] != b"master")
