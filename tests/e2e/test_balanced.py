"""Two `shim serve` instances sharing Redis behind a real haproxy that checks `/_shim/ready`
(benchmarks/balancer.py, as docs/operations.md configures it): the core promise of the soak,
CI-sized. A SIGTERM of one instance loses no request sent through the balancer, and a request
one instance accepted is refused when replayed to the other."""

import http.client
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.balancer import INSTALL, haproxy, installed
from tests.e2e.processes import start
from tests.fakes import ALICE, FakeV2, FakeV2App, sign, twitter_user
from tests.servers import DURABLE, free_port, redis_server, serving
from tests.stored import Stored

pytestmark = pytest.mark.e2e

ORIGIN = "http://shim.balanced.test"  # what clients sign for, the balancer's public name
MUTE = "/1.1/mutes/users/create.json?user_id=783214"


class Instance:
    """A started `shim serve` whose output is read as it comes: left in its pipe, a busy
    instance's log would fill it and stall the instance."""

    def __init__(self, folder: Path, upstream: str, env: dict[str, str]) -> None:
        folder.mkdir()
        self.process, self.host = start(folder, None, upstream, env=env)
        self.output: list[bytes] = []
        self.reader = threading.Thread(target=self.output.extend, args=(self.process.stdout,))
        self.reader.start()

    def log(self) -> str:
        """All it printed, once it stopped."""
        self.reader.join(timeout=30)
        if self.process.stdout:
            self.process.stdout.close()
        return b"".join(self.output).decode()


@pytest.fixture
def balanced(tmp_path: Path) -> Iterator[tuple[dict[str, Instance], int]]:
    """({name: instance}, the balancer's port): two instances behind haproxy."""
    if installed() is None:
        if os.environ.get("CI"):
            pytest.fail(f"{INSTALL}; .ci/run installs it")
        pytest.skip(INSTALL)
    with (
        serving(FakeV2App(FakeV2(twitter_user()))) as upstream_port,
        redis_server(tmp_path, *DURABLE) as store,
    ):
        Stored(redis_url=store.url).add(ALICE.token, ALICE.secret)
        env = {"SHIM_REDIS_URL": store.url, "SHIM_PUBLIC_URL": ORIGIN, "SHIM_DRAIN_SECONDS": "2"}
        upstream = f"http://127.0.0.1:{upstream_port}"
        instances = {name: Instance(tmp_path / name, upstream, env) for name in ("a", "b")}
        port = free_port()
        backends = {name: int(it.host.rsplit(":", 1)[1]) for name, it in instances.items()}
        # Checked every 0.2 s, out after one failed check: well within the 2 s drain.
        balancer = haproxy(tmp_path, port, backends, inter="200ms", fall=1)
        try:
            yield instances, port
        finally:
            balancer.terminate()
            balancer.wait(timeout=10)
            for instance in instances.values():
                if instance.process.poll() is None:
                    instance.process.send_signal(signal.SIGTERM)
                    instance.process.wait(timeout=30)
                instance.log()


def mute(connection: http.client.HTTPConnection) -> tuple[int, str, dict[str, str]]:
    """A signed mute on `connection`: its status, the instance that answered, its headers."""
    headers = sign("POST", ORIGIN + MUTE)
    connection.request("POST", MUTE, headers=headers)
    answer = connection.getresponse()
    answer.read()
    return answer.status, answer.getheader("X-Served-By", ""), headers


def test_a_sigterm_behind_the_balancer_loses_nothing_and_replays_are_refused(balanced):
    instances, port = balanced
    statuses: Counter[int] = Counter()
    lost: list[str] = []
    served: list[tuple[float, str, dict[str, str]]] = []
    stopping = threading.Event()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while not stopping.is_set():
            sent = time.monotonic()
            try:
                status, by, headers = mute(connection)
            except (OSError, http.client.HTTPException) as error:
                lost.append(repr(error))
                connection.close()  # the next request opens a new connection
                continue
            statuses[status] += 1
            served.append((sent, by, headers))
        connection.close()

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(1)
        instances["a"].process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        instances["a"].process.wait(timeout=40)
        stopped = time.monotonic()
        time.sleep(0.5)  # and on, with one instance
    finally:
        stopping.set()
        for thread in clients:
            thread.join(timeout=30)
    assert lost == []
    assert set(statuses) == {200}, statuses
    assert "Traceback" not in instances["a"].log()
    assert stopped - signalled >= 2  # it drained before stopping
    by_a = [headers for sent, by, headers in served if by == "a" and sent < signalled]
    assert by_a
    assert any(by == "b" for sent, by, _ in served if sent > stopped)
    assert not any(by == "a" for sent, by, _ in served if sent > stopped)

    # A request `a` accepted, sent again straight to the other instance, is refused.
    direct = http.client.HTTPConnection(instances["b"].host, timeout=10)
    direct.request("POST", MUTE, headers=by_a[-1])
    replayed = direct.getresponse()
    replayed.read()
    assert replayed.status == 401
    assert mute(direct)[0] == 200  # while a request signed afresh is served
    direct.close()


def ready(host: str) -> int:
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("GET", "/_shim/ready")
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def within(seconds: float, status: int, host: str) -> float:
    """Seconds until `/_shim/ready` answered `status`; fails past `seconds`."""
    began = time.monotonic()
    while ready(host) != status:
        assert time.monotonic() - began < seconds, f"/_shim/ready not {status} in {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - began


def test_an_instance_is_ready_again_as_soon_as_redis_answers(tmp_path: Path):
    """Behind haproxy the soak saw every instance out for 4 s after Redis came back from a
    pause: readiness kept the watch's "does not answer" until its next look, 5 s apart, while
    the requests themselves would have been served at once."""
    with (
        serving(FakeV2App(FakeV2(twitter_user()))) as upstream_port,
        redis_server(tmp_path, *DURABLE) as store,
    ):
        Stored(redis_url=store.url).add(ALICE.token, ALICE.secret)
        env = {"SHIM_REDIS_URL": store.url}
        instance = Instance(tmp_path / "a", f"http://127.0.0.1:{upstream_port}", env)
        try:
            within(10, 200, instance.host)
            store.process.send_signal(signal.SIGSTOP)
            try:
                within(10, 503, instance.host)
                # Until the watch has looked during the pause too (every 5 s).
                time.sleep(6)
            finally:
                store.process.send_signal(signal.SIGCONT)
            # The readiness cache (1 s) and a look at Redis: well under the watch's 5 s.
            within(2.5, 200, instance.host)
        finally:
            instance.process.send_signal(signal.SIGTERM)
            instance.process.wait(timeout=30)
            output = instance.log()
    assert "Traceback" not in output
