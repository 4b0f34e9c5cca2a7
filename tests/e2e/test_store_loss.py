"""Issue 24, item 3: Redis coming back empty, or without persistence, under a running `shim
serve`. Before, the replay of a request from before the restart was accepted, nothing was
logged and nothing showed it; now the replay is refused (503, code 130), and the log, /metrics
and `shim check` say why."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.processes import start, stop
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, FakeV2, FakeV2App, sign, twitter_user
from tests.servers import DURABLE, RedisServer, redis_server, serving
from tests.stored import Stored

pytestmark = pytest.mark.e2e

ADMIN = "fake-admin-token-for-store-loss-of-32"
MUTE = "/1.1/mutes/users/create.json?user_id=783214"
NOT_DURABLE = ("--save", "", "--appendonly", "no")


@pytest.fixture
def upstream() -> Iterator[str]:
    with serving(FakeV2App(FakeV2(twitter_user()))) as port:
        yield f"http://127.0.0.1:{port}"


class Running:
    """`shim serve` on a Redis whose files are in `folder`."""

    def __init__(self, tmp_path: Path, tls: Any, upstream: str, url: str) -> None:
        Stored(redis_url=url).add(ALICE.token, ALICE.secret)
        self.env = {"SHIM_ADMIN_TOKEN": ADMIN, "SHIM_REDIS_URL": url}
        self.process, self.host = start(tmp_path, tls, upstream, env=self.env)
        self.tls = tls
        self.session = requests.Session()

    def call(self, path: str, headers: dict[str, str] | None = None) -> requests.Response:
        url = f"https://{self.host}{path}"
        signed = headers or sign("POST" if "create" in path else "GET", url)
        method = "POST" if "create" in path else "GET"
        return self.session.request(method, url, headers=signed, timeout=30, verify=self.tls[0])

    def problems(self) -> set[str]:
        scraped = self.call("/metrics", {"Authorization": f"Bearer {ADMIN}"}).text
        return set(re.findall(r'shim_store_problem\{reason="([a-z_]+)"\} 1\.0', scraped))

    def dashboard(self) -> str:
        return self.call("/_shim/", {"Authorization": f"Bearer {ADMIN}"}).text

    def check(self, upstream: str) -> str:
        env = {
            **os.environ,
            **self.env,
            "SHIM_CONSUMER_KEY": CONSUMER_KEY,
            "SHIM_CONSUMER_SECRET": CONSUMER_SECRET,
            "SHIM_UPSTREAM_URL": upstream,
        }
        ran = subprocess.run(
            [sys.executable, "-m", "shim", "check", "--offline"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        return ran.stdout.decode() + ran.stderr.decode()

    def stop(self) -> str:
        self.session.close()
        return stop(self.process)


def code(answer: requests.Response) -> tuple[int, int]:
    return answer.status_code, answer.json()["errors"][0]["code"]


def until(check: Any, seconds: float) -> Any:
    """Poll `check` until it returns something true, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.1)
    return found


def restarted_empty(
    tmp_path: Path, tls: Any, upstream: str, *settings: str
) -> tuple[Running, dict[str, str], RedisServer, Any]:
    """A shim that served a request, then its Redis restarted with no files (and `settings`),
    and the shim connected again: a request signed now is served."""
    folder = tmp_path / "redis"
    folder.mkdir()
    first = redis_server(folder, *DURABLE)
    served = first.__enter__()
    shim = Running(tmp_path, tls, upstream, served.url)
    headers = sign("POST", f"https://{shim.host}{MUTE}")
    assert shim.call(MUTE, headers).status_code == 200
    first.__exit__(None, None, None)
    for left in folder.rglob("*"):
        if left.is_file():
            left.unlink()
    again = redis_server(folder, *settings, port=served.port)
    back = again.__enter__()
    # The operator (or the user, signing in again) puts the token back: the replay then meets
    # only the nonce check.
    Stored(redis_url=back.url).add(ALICE.token, ALICE.secret)
    until(lambda: shim.call(MUTE).status_code == 200, 10)
    return shim, headers, back, again


def test_a_replay_after_redis_came_back_empty_is_refused_and_said(tmp_path, tls, upstream):
    shim, headers, _, again = restarted_empty(tmp_path, tls, upstream, *DURABLE)
    try:
        # Accepted (200) before: its nonce was lost with the data.
        assert code(shim.call(MUTE, headers)) == (503, 130)
        assert "data_lost" in shim.problems()
        assert "lost the shim&#x27;s data" in shim.dashboard()
        assert "Redis lost the shim's data" in shim.check(upstream)
    finally:
        output = shim.stop()
        again.__exit__(None, None, None)
    assert output.count("Redis lost the shim's data") == 1  # once, not per request
    assert "401, code 89" in output  # why users' tokens are refused
    assert "Traceback" not in output


def test_redis_back_without_persistence_is_said_everywhere(tmp_path, tls, upstream):
    shim, headers, _, again = restarted_empty(tmp_path, tls, upstream, *NOT_DURABLE)
    try:
        assert code(shim.call(MUTE, headers)) == (503, 130)
        assert until(lambda: "not_durable" in shim.problems(), 10)  # the periodic look
        assert "has no persistence" in shim.dashboard()
        assert "Redis has no persistence" in shim.check(upstream)
    finally:
        output = shim.stop()
        again.__exit__(None, None, None)
    assert output.count("store problem: Redis has no persistence") == 1
    assert "Traceback" not in output
