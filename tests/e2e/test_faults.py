"""Faults injected around a real `shim serve` process, one test per finding of the operator's
fault run: a slow upstream and a cancelled probe (the breaker), Redis filled, restarted and
paused, compare mode under load and SIGTERM, a restart without Redis, a trickling pass-through
answer, and more connections than the shim can hold."""

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from tests.deadlines import until
from tests.e2e.processes import start, stop
from tests.fakes import (
    ALICE,
    COMPARE_ROUTING,
    FakeV2,
    FakeV2App,
    Streaming,
    sign,
    twitter_user,
)
from tests.servers import DURABLE, redis_server, serving
from tests.stored import Stored

pytestmark = pytest.mark.e2e

ADMIN = "fake-admin-token-for-faults-of-32-chars"
MUTE = "/1.1/mutes/users/create.json?user_id=783214"
IDS = "/1.1/mutes/users/ids.json?count=20"
TRICKLED = "/1.1/lists/statuses.json"
MUTING = f"/2/users/{ALICE.user_id}/muting"


@pytest.fixture
def fake() -> FakeV2:
    return FakeV2(twitter_user())


@pytest.fixture
def upstream(fake: FakeV2) -> Iterator[tuple[str, FakeV2App]]:
    """The fake v2 on a real socket; TRICKLED's answer is a byte every quarter second."""
    app = Streaming(fake, TRICKLED, b" ", gap=0.25)
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}", app.inner


class Shim:
    """One `shim serve` process and a client that trusts its certificate."""

    def __init__(self, tmp_path: Path, tls: tuple[str, str, str], upstream: str, **env: str):
        self.tmp_path, self.tls, self.upstream = tmp_path, tls, upstream
        self.env = {"SHIM_ADMIN_TOKEN": ADMIN, **env}
        self.process, self.host = start(tmp_path, tls, upstream, env=self.env)
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"

    def call(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> requests.Response:
        url = self.url(path)
        signed = headers or sign(method, url)
        return self.session.request(method, url, headers=signed, timeout=30, verify=self.tls[0])

    def breaker(self) -> str:
        scraped = self.call("GET", "/metrics", {"Authorization": f"Bearer {ADMIN}"}).text
        (state,) = re.findall(r'shim_upstream_breaker\{state="([a-z-]+)"\} 1\.0', scraped)
        return str(state)

    def restart(self) -> None:
        self.stop()
        port = int(self.host.split(":")[1])
        self.process, self.host = start(
            self.tmp_path, self.tls, self.upstream, env=self.env, port=port
        )
        self.session = requests.Session()

    def stop(self) -> str:
        self.session.close()
        return stop(self.process)


@pytest.fixture
def shim(tmp_path: Path, tls, upstream) -> Iterator[Any]:
    """Start a shim with extra SHIM_* settings: `shim(SHIM_UPSTREAM_TIMEOUT="1")`."""
    started: list[Shim] = []

    def make(**env: str) -> Shim:
        started.append(Shim(tmp_path, tls, upstream[0], **env))
        return started[-1]

    yield make
    for one in started:
        if one.process.poll() is None:
            output = one.stop()
            assert "Traceback" not in output, output


def code(answer: requests.Response) -> tuple[int, int]:
    return answer.status_code, answer.json()["errors"][0]["code"]


def test_1_a_slow_upstream_opens_the_breaker_and_a_cancelled_probe_cannot_wedge_it(
    shim, fake: FakeV2, upstream
):
    """Finding 1: a probe cut off by the deadline left the breaker refusing forever, and
    time-outs never opened it."""
    _, served = upstream
    one = shim(
        SHIM_UPSTREAM_TIMEOUT="0.5",
        SHIM_BREAKER_COOLDOWN="1",
        SHIM_BREAKER_MIN_CALLS="5",
        SHIM_BREAKER_PROBES="1",
    )
    fake.delay = 3.0  # far past the deadline: every call is cut off by it
    for _ in range(5):  # the breaker's minimum number of calls, all failed
        assert code(one.call("POST", MUTE)) == (503, 130)
    assert one.breaker() == "open"
    sent = served.peak[MUTING] + len(fake.calls)
    started = time.monotonic()
    assert code(one.call("POST", MUTE)) == (503, 130)
    assert time.monotonic() - started < 0.4  # refused at once, not after the deadline

    time.sleep(1.1)  # the cooldown: the next call is the half-open probe, and it is cut off too
    assert code(one.call("POST", MUTE)) == (503, 130)
    assert one.breaker() == "open"  # reported as a failure, not left probing

    fake.delay = 0.0
    until(lambda: one.call("POST", MUTE).status_code == 200, 5)
    assert one.breaker() == "closed"
    assert served.peak[MUTING] + len(fake.calls) > sent


def durable_shim(shim: Any, url: str) -> Shim:
    Stored(redis_url=url).add(ALICE.token, ALICE.secret)
    made: Shim = shim(SHIM_REDIS_URL=url)
    return made


def test_2_a_redis_that_could_evict_nonces_is_refused_at_start(tmp_path: Path, tls, upstream):
    """Finding 2: under volatile-lru the comparison data evicted every nonce."""
    evicting = ("--maxmemory-policy", "volatile-lru", *DURABLE)
    with redis_server(tmp_path, *evicting) as served, pytest.raises(RuntimeError) as refused:
        start(tmp_path, tls, upstream[0], env={"SHIM_REDIS_URL": served.url})
    output = str(refused.value)
    assert "noeviction" in output
    assert "Traceback" not in output


def test_2_a_full_redis_refuses_requests_rather_than_forget_their_nonces(shim, tmp_path: Path):
    """Finding 2: a nonce that cannot be stored must not let its request in."""
    with redis_server(tmp_path, *DURABLE) as served:
        one = durable_shim(shim, served.url)
        assert one.call("POST", MUTE).status_code == 200
        direct = redis.Redis.from_url(served.url)
        direct.config_set("maxmemory", 1)  # noeviction: every write now fails
        try:
            assert code(one.call("POST", MUTE)) == (503, 130)
        finally:
            direct.config_set("maxmemory", 0)
        assert one.call("POST", MUTE).status_code == 200


def test_2_nonces_and_tokens_outlive_a_redis_restart(shim, tmp_path: Path):
    """Finding 2: a Redis restart wiped the nonces (a 24 s old request replayed) and the
    tokens (every user 401/89)."""
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder, *DURABLE) as served:
        one = durable_shim(shim, served.url)
        headers = sign("POST", one.url(MUTE))
        assert one.call("POST", MUTE, headers).status_code == 200
    with redis_server(folder, *DURABLE, port=served.port):
        # Until the shim's client has reconnected, requests are refused (503, code 130).
        replayed = until(lambda: refused_unless_up(one.call("POST", MUTE, headers)), 10)
        assert replayed == (401, 32)
        assert one.call("POST", MUTE).status_code == 200


def refused_unless_up(answer: requests.Response) -> tuple[int, int] | None:
    """The answer's status and code, or None while the shim cannot reach Redis (503, 130)."""
    return None if code(answer) == (503, 130) else code(answer)


def test_3_a_paused_redis_answers_in_bounded_time_and_keeps_the_connection(
    shim, tmp_path: Path, tls
):
    """Finding 3: a paused Redis blocked the event loop, requests took 1-4 s one after
    another, and each error closed the client's keep-alive connection."""
    with redis_server(tmp_path, *DURABLE) as served:
        one = durable_shim(shim, served.url)
        host, port = one.host.split(":")
        connection = http.client.HTTPSConnection(
            host, int(port), context=ssl.create_default_context(cafile=tls[0]), timeout=30
        )

        def post() -> tuple[int, bytes, str | None]:
            connection.request("POST", MUTE, headers=sign("POST", one.url(MUTE)))
            answer = connection.getresponse()
            return answer.status, answer.read(), answer.getheader("connection")

        assert post()[0] == 200
        socket_before = connection.sock
        served.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            with ThreadPoolExecutor(8) as pool:  # others at once: the loop is not blocked
                others = list(pool.map(lambda _: one.call("POST", MUTE), range(8)))
            status, body, closing = post()
            waited = time.monotonic() - started
        finally:
            served.process.send_signal(signal.SIGCONT)

        assert (status, json.loads(body)["errors"][0]["code"]) == (503, 130)
        assert closing != "close"
        assert [code(other) for other in others] == [(503, 130)] * 8
        assert waited < 3  # nine requests, each one bounded Redis wait, side by side
        assert until(lambda: post()[0] == 200, 10)
        assert connection.sock is socket_before  # the same keep-alive connection throughout
        connection.close()


def test_4_comparisons_never_starve_serving_and_sigterm_drains_them(
    shim, fake: FakeV2, upstream, tmp_path: Path
):
    """Finding 4: shadow calls had no cap, pushed client latency from 0.5 s to 9 s, recorded the
    shim's own 503s as differences, and SIGTERM lost pending ones with tracebacks."""
    _, served = upstream
    routing = tmp_path / "routing.toml"
    routing.write_text(COMPARE_ROUTING)  # create: served by v1.1, compared with v2
    one = shim(SHIM_CONFIG=str(routing), SHIM_CALLER_CONCURRENCY="100")
    fake.delay = 0.5
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: one.call("POST", MUTE).status_code, range(40)))
    output = one.stop()  # the comparisons are still under way

    assert answers == [200] * 40
    assert served.peak[MUTING] <= 8  # the comparison budget: v2 was only ever the shadow
    assert "Traceback" not in output
    assert one.process.returncode in (0, -signal.SIGTERM)
    report = subprocess.run(
        [sys.executable, "-m", "shim", "compare", "report", "--json"],
        env={**os.environ, "SHIM_DB": str(tmp_path / "shim.db")},
        capture_output=True,
        check=True,
    )
    entry = json.loads(report.stdout)["mutes/users/create"]
    assert entry["requests"] + entry["skipped"] == 40  # each one compared or counted skipped
    assert all(found["explained"] for found in entry["fields"].values())


def test_5_a_restart_without_redis_keeps_the_switch_cursors_and_nonces(shim, fake: FakeV2):
    """Finding 5: after a restart the all-v1 switch was off again, issued cursors answered 195,
    and recent nonces replayed."""
    fake.muted |= {(ALICE.user_id, str(n)) for n in range(1000, 1030)}
    one = shim()
    page = one.call("GET", IDS).json()
    replay = sign("POST", one.url(MUTE))
    assert one.call("POST", MUTE, replay).status_code == 200
    admin = {"Authorization": f"Bearer {ADMIN}"}
    assert one.call("POST", "/_shim/all-v1?on=true", admin).status_code == 200

    one.restart()  # on the same port, so the captured request is still signed for it
    fake.calls.clear()
    assert one.call("POST", MUTE).status_code == 200
    assert [path for _, path in fake.paths()] == ["/1.1/mutes/users/create.json"]
    assert one.call("POST", "/_shim/all-v1?on=false", admin).status_code == 200
    rest = f"{IDS}&cursor={page['next_cursor_str']}"
    muted = sum(source == ALICE.user_id for source, _ in fake.muted)
    assert len(page["ids"]) + len(one.call("GET", rest).json()["ids"]) == muted
    assert code(one.call("POST", MUTE, replay)) == (401, 32)


def test_6_a_trickling_pass_through_answer_is_cut_off(shim):
    """Finding 6: a trickling upstream held a passed-through request for 32 s."""
    one = shim(SHIM_UPSTREAM_TIMEOUT="1")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        print(one.call("GET", TRICKLED).content)  # the head came; the body is cut off
    assert time.monotonic() - started < 4  # twice the deadline for the whole answer


def test_6_connections_past_the_cap_are_answered_at_once_over_tls(shim, tls):
    """Finding 6: 2,000 connections queued without limit (p50 6.9 s, RSS 766 MB over TLS)."""
    one = shim(SHIM_MAX_CONNECTIONS="20", SHIM_CLIENT_CONNECTIONS="20")  # all from one address
    host, port = one.host.split(":")
    context = ssl.create_default_context(cafile=tls[0])
    held = [
        context.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)
        for _ in range(30)
    ]
    try:
        turned_away = 0
        for connection in held:
            connection.settimeout(0.2)
            try:
                if connection.recv(12) == b"HTTP/1.1 503":
                    turned_away += 1
            except (TimeoutError, ssl.SSLError):
                pass
        assert turned_away == 10
    finally:
        for connection in held:
            connection.close()
    until(lambda: one.call("POST", MUTE).status_code == 200, 5)


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.findall(r"VmRSS:\s+(\d+) kB", status)[0])


def test_6_idle_tls_connections_take_little_memory_each(shim, tls):
    """Finding 6: with TLS at the shim, 2,000 connections took RSS to 766 MB (asyncio's 256 KiB
    read buffer for each)."""
    one = shim(SHIM_MAX_CONNECTIONS="400", SHIM_CLIENT_CONNECTIONS="400")
    host, port = one.host.split(":")
    context = ssl.create_default_context(cafile=tls[0])
    before = rss_kib(one.process.pid)
    held = [
        context.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)
        for _ in range(300)
    ]
    try:
        until(lambda: one.call("POST", MUTE).status_code == 200, 5)  # all of them accepted
        grown = rss_kib(one.process.pid) - before
    finally:
        for connection in held:
            connection.close()

    assert grown / 300 < 100  # KiB per connection; 284 with asyncio's buffer
