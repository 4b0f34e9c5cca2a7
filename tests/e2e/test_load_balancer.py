"""What a load balancer meets in front of a real `shim serve` process (issue 24): a store that
cannot take a write, an upstream that cuts its answer off, idle kept-alive connections,
readiness and the drain on SIGTERM."""

import asyncio
import http.client
import json
import resource
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.deadlines import until
from tests.e2e.processes import start, stop
from tests.fakes import FakeV2, FakeV2App, sign, twitter_user
from tests.servers import serving

pytestmark = pytest.mark.e2e

MUTE = "/1.1/mutes/users/create.json?user_id=783214"
PASSED = "/1.1/lists/statuses.json"  # passed through, not translated
UNSIGNED = "/1.1/mutes/users/ids.json"  # answered 400/215 by the shim alone


@pytest.fixture
def upstream() -> Iterator[str]:
    with serving(FakeV2App(FakeV2(twitter_user()))) as port:
        yield f"http://127.0.0.1:{port}"


def signed(
    connection: http.client.HTTPConnection, method: str, path: str, request_id: str = ""
) -> tuple[http.client.HTTPResponse, bytes]:
    """A signed request on `connection`, and its answer read whole."""
    headers = sign(method, f"http://{connection.host}:{connection.port}{path}")
    if request_id:
        headers["X-Request-Id"] = request_id
    connection.request(method, path, headers=headers)
    answer = connection.getresponse()
    return answer, answer.read()


def code(body: bytes) -> int:
    return int(json.loads(body)["errors"][0]["code"])


def ready(host: str) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("GET", "/_shim/ready")
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


@contextmanager
def small_disk(folder: Path) -> Iterator[bool]:
    """A 2 MiB tmpfs at `folder` where this process may mount one (as root, as CI runs): whether
    it is one."""
    folder.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(command, capture_output=True, check=False).returncode == 0
    except OSError:  # no mount command
        mounted = False
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the filesystem `folder` is on; the file that filled it."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_requests_with_503_in_one_line_and_keeps_the_connection(
    tmp_path: Path, upstream: str
):
    """SQLite on a full disk answered 500/131 with a traceback, and closed the connection
    without `Connection: close`: the client's next request on it was lost."""
    folder = tmp_path / "disk"
    with small_disk(folder) as tmpfs:
        process, host = start(folder, None, upstream)
        try:
            connection = http.client.HTTPConnection(host, timeout=10)
            answer, _ = signed(connection, "POST", MUTE)
            assert answer.status == 200
            sock = connection.sock
            filled = full(folder, process, tmpfs)
            refused = []
            for number in range(3):  # each on the same kept-alive connection
                answer, body = signed(connection, "POST", MUTE, f"disk-full-{number}")
                refused.append((answer.status, code(body)))
                assert answer.getheader("connection") != "close"
                assert connection.sock is sock
            assert refused == [(503, 130)] * 3
            status, readiness = ready(host)
            assert status == 503
            assert "cannot take a write" in str(readiness["problems"])
            filled()
            answer, _ = signed(connection, "POST", MUTE)
            assert answer.status == 200
            assert connection.sock is sock
            assert until(lambda: ready(host)[0] == 200, 5)
            connection.close()
        finally:
            output = stop(process)
    assert "Traceback" not in output, output
    assert "Exception in ASGI" not in output, output
    for number in range(3):
        lines = [line for line in output.splitlines() if f"disk-full-{number}" in line]
        assert len(lines) == 1, output
        assert "full" in lines[0] or "I/O" in lines[0], lines


def full(folder: Path, process: subprocess.Popen[bytes], tmpfs: bool):
    """Make the disk under `folder` full for the shim; returns what frees it again. A tmpfs is
    filled; else the shim's own file size limit is set to what its files hold, so no
    file of it can grow (SQLite's write then fails as on a full disk)."""
    if tmpfs:
        filler = fill(folder)
        return filler.unlink
    limit = max(path.stat().st_size for path in folder.iterdir())
    soft, hard = resource.prlimit(process.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (limit, hard))  # the soft one only
    return lambda: resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (soft, hard))


class Cutting:
    """An upstream that answers each request with `head` and `body` and then hangs up: with a
    head promising more than `body`, an answer cut off; with no head, no answer at all."""

    HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"

    def __init__(self) -> None:
        self.head, self.body = self.HEAD, b'{"data": {"muting": tr'

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        writer.write(self.head + self.body)
        await writer.drain()
        writer.close()

    @contextmanager
    def serving(self) -> Iterator[str]:
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(self._answer, "127.0.0.1", 0))
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            server.close()
            loop.close()


@pytest.fixture
def cutting(tmp_path: Path) -> Iterator[tuple[Cutting, str]]:
    upstream = Cutting()
    with upstream.serving() as url:
        process, host = start(tmp_path, None, url)
        try:
            yield upstream, host
        finally:
            output = stop(process)
            assert "Traceback" not in output, output
            assert "Exception in ASGI" not in output, output


def test_a_passed_through_answer_cut_off_before_its_body_is_answered_500(cutting):
    upstream, host = cutting
    upstream.body = b""
    connection = http.client.HTTPConnection(host, timeout=10)
    answer, body = signed(connection, "GET", PASSED)
    assert (answer.status, code(body)) == (500, 131)
    answer, body = signed(connection, "GET", PASSED)  # the connection was kept
    assert (answer.status, code(body)) == (500, 131)
    connection.close()


def test_a_passed_through_answer_cut_off_mid_body_closes_the_connection(cutting):
    """The head is out: the client must see the answer broken, never whole."""
    _, host = cutting
    url = f"http://{host}{PASSED}"
    with socket.create_connection(tuple(host.split(":"))) as client:
        client.settimeout(10)
        headers = "".join(f"{k}: {v}\r\n" for k, v in sign("GET", url).items())
        client.sendall(f"GET {PASSED} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode())
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-length: 1000" in head.lower()
    assert body == b'{"data": {"muting": tr'


def test_a_translated_answer_cut_off_is_500_and_no_answer_is_503(cutting):
    """One rule: a v2 answer cut off mid-body is unreadable (500/131) and does not trip the
    breaker (its threshold is 5); no answer at all is 503/130."""
    upstream, host = cutting
    connection = http.client.HTTPConnection(host, timeout=10)
    for _ in range(7):
        answer, body = signed(connection, "POST", MUTE)
        assert (answer.status, code(body)) == (500, 131)
    upstream.head = upstream.body = b""
    answer, body = signed(connection, "POST", MUTE)
    assert (answer.status, code(body)) == (503, 130)
    connection.close()


def test_an_idle_kept_alive_connection_lasts_the_keepalive_timeout(tmp_path: Path, upstream):
    """uvicorn's own 5 s closed idle connections whatever the settings said."""
    process, host = start(
        tmp_path, None, upstream, env={"SHIM_KEEPALIVE_TIMEOUT": "7", "SHIM_READ_TIMEOUT": "2"}
    )
    try:
        connection = http.client.HTTPConnection(host, timeout=10)
        connection.request("GET", UNSIGNED)
        assert connection.getresponse().read()
        sock = connection.sock
        time.sleep(5.5)  # past uvicorn's default and SHIM_READ_TIMEOUT
        connection.request("GET", UNSIGNED)
        answer = connection.getresponse()
        assert answer.status == 400
        assert answer.read()
        assert connection.sock is sock
        answered = time.monotonic()
        sock.settimeout(10)
        assert sock.recv(1) == b""  # closed by the shim
        assert 6.5 < time.monotonic() - answered < 9
        connection.close()
    finally:
        stop(process)


def test_health_and_readiness_need_no_credentials(tmp_path: Path, upstream):
    process, host = start(tmp_path, None, upstream)
    try:
        connection = http.client.HTTPConnection(host, timeout=10)
        connection.request("GET", "/_shim/health")
        answer = connection.getresponse()
        assert (answer.status, json.loads(answer.read())) == (200, {"status": "ok"})
        connection.close()
        assert ready(host) == (200, {"ready": True})
    finally:
        stop(process)


def draining(host: str) -> None:
    """Not ready, and still serving, each answer with `Connection: close`."""
    status, readiness = ready(host)
    assert status == 503
    assert readiness["problems"] == ["draining: the process is stopping"]
    fresh = http.client.HTTPConnection(host, timeout=10)
    answer, _ = signed(fresh, "POST", MUTE)
    assert answer.status == 200
    assert answer.getheader("connection") == "close"
    fresh.close()


def stopped_after(process: subprocess.Popen[bytes], signalled: float, seconds: float) -> bytes:
    """The process's output once it stopped, no sooner than `seconds` after the signal."""
    output, _ = process.communicate(timeout=30)
    assert time.monotonic() - signalled >= seconds
    return output


def test_sigterm_drains_not_ready_while_serving_with_connection_close(tmp_path: Path, upstream):
    """Idle kept-alive connections were closed at the signal, racing requests already sent."""
    process, host = start(tmp_path, None, upstream, env={"SHIM_DRAIN_SECONDS": "3"})
    try:
        kept = http.client.HTTPConnection(host, timeout=10)
        assert signed(kept, "POST", MUTE)[0].status == 200
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.3)  # a request on its way as the signal lands
        answer, _ = signed(kept, "POST", MUTE)
        assert answer.status == 200
        assert answer.getheader("connection") == "close"
        draining(host)
        kept.close()
        output = stopped_after(process, signalled, 3)
    finally:
        if process.poll() is None:
            stop(process)
    assert "Traceback" not in output.decode()


def test_with_workers_each_drains_too(tmp_path: Path, upstream):
    """uvicorn's supervisor passes SIGTERM on to its workers: each drains as one process does."""
    process, host = start(
        tmp_path, None, upstream, "--workers", "2", env={"SHIM_DRAIN_SECONDS": "3"}
    )
    try:
        assert until(lambda: ready(host)[0] == 200, 10)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.5)
        for _ in range(4):  # whichever worker takes each
            draining(host)
        output = stopped_after(process, signalled, 3)
    finally:
        if process.poll() is None:
            stop(process)
    assert "Traceback" not in output.decode()
