"""Slow clients cannot hold the shim's connections: partial headers, a partial body, an idle
connection (plain or after a TLS handshake) are each cut off, and connections past the cap are
answered at once. A real uvicorn with `shim serve`'s own protocol, real sockets."""

import json
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx2
import pytest

from shim.config import Settings
from shim.edge import handshake
from shim.edge.processes import Config
from shim.edge.server import protocol
from shim.serving.app import create_app
from tests.servers import serving

pytestmark = pytest.mark.e2e

READ_TIMEOUT = 1.0


@pytest.fixture
def serve(settings: Settings) -> Callable[..., Any]:
    def start(
        max_connections: int = 100,
        client_connections: int = 100,
        trusted_proxies: tuple[str, ...] = (),
        **tls_files: str,
    ) -> Any:
        changed = replace(
            settings,
            read_timeout=READ_TIMEOUT,
            max_connections=max_connections,
            client_connections=client_connections,
            trusted_proxies=trusted_proxies,
        )
        app = create_app(changed)
        return serving(app, Config, http=protocol(changed), **tls_files)

    return start


def closed_within(connection: socket.socket, seconds: float) -> bytes:
    """Read until the server closes the connection; fails if it is still open after `seconds`."""
    connection.settimeout(seconds)
    received = b""
    started = time.monotonic()
    while chunk := connection.recv(4096):
        received += chunk
        assert time.monotonic() - started < seconds
    return received


def test_partial_headers_are_cut_off(serve):
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"GET /1.1/mutes/users/ids.json HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # a byte now and then resets no clock
            time.sleep(0.4)
            client.sendall(b"X")
        assert closed_within(client, 3) == b""


def test_a_head_past_16_kib_is_refused_before_its_deadline(serve):
    """Headers arriving fast but without end are not kept: a head past 16 KiB is answered 431,
    the way a body past SHIM_MAX_BODY is answered 413."""
    head = b"GET /1.1/mutes/users/ids.json HTTP/1.1\r\nHost: x\r\n"
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(head + b"X-Filler: " + b"a" * 20_000 + b"\r\n")
        answer = closed_within(client, 3)  # the deadline would close it with no answer
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431")
    assert json.loads(body) == {"errors": [{"code": 195, "message": "Request head is too large."}]}


@pytest.mark.parametrize("size", [20_000, 118 * 1024])
def test_a_head_past_16_kib_sent_with_its_body_is_refused(serve, size):
    """The read in which a head ends counts too: a head that came in one read with the start
    of its body was never counted (20 KB of head waited for its body, answered 408)."""
    head = b"POST /1.1/statuses/update.json HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(head + b"X-Filler: " + b"a" * size + b"\r\n\r\nstatus=hello")
        answer = closed_within(client, 3)
    assert answer.startswith(b"HTTP/1.1 431")


def test_a_client_still_sending_its_head_reads_the_refusal(serve):
    """A client still sending its head when the refusal comes is not reset: a socket closed
    with bytes coming in answers them with RST, and the client's next send fails before it
    reads the 431 (seen under load, when the head came in more than one read). The shim closes
    as nginx's lingering close does: its answer and end of stream, then reading and dropping
    what else comes, for a second at most."""
    head = b"POST /1.1/statuses/update.json HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(head + b"X-Filler: " + b"a" * (20 * 1024))  # refused here
        for _ in range(3):  # the rest of the head, still coming after the answer
            time.sleep(0.2)
            client.sendall(b"a" * (32 * 1024))
        client.sendall(b"\r\n\r\nstatus=hello")
        answer = closed_within(client, 3)
    assert answer.startswith(b"HTTP/1.1 431")


def answer_of(connection: socket.socket) -> bytes:
    """One whole answer read off a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(4096)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE)[1])  # type: ignore[index]
    while len(body) < length:
        body += connection.recv(4096)
    return head


def test_the_next_requests_partial_head_is_cut_off_too(serve):
    """The deadline starts again for each request on a kept-alive connection."""
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.settimeout(3)
        request = b"GET /1.1/mutes/users/ids.json HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port
        for _ in range(2):  # answered, and the connection kept
            client.sendall(request + b"\r\n")
            assert answer_of(client).startswith(b"HTTP/1.1 400")  # unsigned: 215
        client.sendall(request)
        assert closed_within(client, 3) == b""


def test_an_idle_connection_is_cut_off(serve):
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        assert closed_within(client, 3) == b""


def test_an_idle_tls_connection_is_cut_off(serve, tls):
    ca_file, cert_file, key_file = tls
    context = ssl.create_default_context(cafile=ca_file)
    with (
        serve(ssl_certfile=cert_file, ssl_keyfile=key_file) as port,
        context.wrap_socket(
            socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1"
        ) as client,
    ):
        try:
            received = closed_within(client, 3)
        except ssl.SSLEOFError:  # closed without TLS's close_notify: closed all the same
            received = b""
        assert received == b""


def test_a_partial_body_is_answered_408(serve):
    with serve() as port, socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(
            b"POST /1.1/mutes/users/create.json HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            b"user_id=78"
        )
        answer = closed_within(client, 3)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert json.loads(body)["errors"][0]["code"] == 195


def test_connections_past_the_cap_are_answered_at_once(serve):
    with serve(max_connections=3) as port:
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:
            time.sleep(0.1)  # the server has taken them
            with socket.create_connection(("127.0.0.1", port)) as extra:
                answer = closed_within(extra, 2)
        finally:
            for connection in held:
                connection.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503")
        assert json.loads(body) == {"errors": [{"code": 130, "message": "Over capacity."}]}
        # Once the others have gone, the shim takes connections again.
        deadline = time.monotonic() + 5
        while True:
            try:
                again = httpx2.get(f"http://127.0.0.1:{port}/1.1/mutes/users/ids.json")
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert again.status_code == 400  # unsigned: 215


def test_silent_tls_connections_count_against_the_cap_and_are_cut_off(serve, tls):
    """Connections that never began a TLS handshake were counted only once through it, and
    held for asyncio's 60 s handshake time-out: they count from their accept, and the head's
    deadline covers the handshake. Past the cap, a TLS client is answered 503 over TLS."""
    ca_file, cert_file, key_file = tls
    context = ssl.create_default_context(cafile=ca_file)
    with serve(max_connections=3, ssl_certfile=cert_file, ssl_keyfile=key_file) as port:
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:
            address = ("127.0.0.1", port)
            with context.wrap_socket(
                socket.create_connection(address), server_hostname="127.0.0.1"
            ) as extra:
                answer = closed_within(extra, 3)
            assert answer.startswith(b"HTTP/1.1 503")
            for connection in silent:
                assert closed_within(connection, 3) == b""
        finally:
            for connection in silent:
                connection.close()
        with context.wrap_socket(
            socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1"
        ) as client:
            client.settimeout(3)
            client.sendall(unsigned(port))
            assert answer_of(client).startswith(b"HTTP/1.1 400")  # unsigned: 215


def unsigned(port: int) -> bytes:
    """A request the shim answers 400, code 215, once it serves the connection."""
    return b"GET /1.1/mutes/users/ids.json HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port


def connect_from(source: str, port: int) -> socket.socket:
    """A connection from another loopback address: another client."""
    return socket.create_connection(("127.0.0.1", port), source_address=(source, 0))


def assert_served(connection: socket.socket, port: int) -> None:
    """The connection's request reaches the app (unsigned, it is answered 400, code 215)."""
    connection.settimeout(3)
    connection.sendall(unsigned(port))
    assert answer_of(connection).startswith(b"HTTP/1.1 400")


def test_a_client_past_its_share_is_answered_at_once_and_others_are_served(serve):
    """One address's idle connections held the whole cap (50 of 50), and every real request
    got 503, 130: an address holds at most its share."""
    with serve(max_connections=10, client_connections=2) as port:
        held = [connect_from("127.0.0.1", port) for _ in range(2)]
        try:
            with connect_from("127.0.0.1", port) as extra:
                answer = closed_within(extra, 3)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 503")
            assert json.loads(body) == {"errors": [{"code": 130, "message": "Over capacity."}]}
            with connect_from("127.0.0.2", port) as other:
                assert_served(other, port)
        finally:
            for connection in held:
                connection.close()


def test_a_trusted_proxy_has_no_share_of_its_own(serve):
    """A proxy's connections carry many clients: they count against the cap only."""
    with serve(max_connections=10, client_connections=1, trusted_proxies=("127.0.0.1",)) as port:
        held = [connect_from("127.0.0.1", port) for _ in range(3)]
        try:
            for connection in held:
                assert_served(connection, port)
        finally:
            for connection in held:
                connection.close()


def test_refusals_waiting_on_a_tls_handshake_are_bounded(serve, tls, monkeypatch):
    """A 503 over TLS needs a handshake; past TLS_REFUSALS of those under way, a connection is
    closed at once: the one past them goes while those before it still wait."""
    monkeypatch.setattr(handshake, "TLS_REFUSALS", 2)
    _, cert_file, key_file = tls
    with serve(max_connections=1, ssl_certfile=cert_file, ssl_keyfile=key_file) as port:
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:  # one served, two refusals waiting on their handshakes
            with socket.create_connection(("127.0.0.1", port)) as extra:
                assert closed_within(extra, 3) == b""
            for connection in silent:
                connection.setblocking(False)
                with pytest.raises(BlockingIOError):  # still open, nothing to read
                    connection.recv(1)
        finally:
            for connection in silent:
                connection.close()
