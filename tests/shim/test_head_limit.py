"""The head limit whatever the read boundaries: `shim serve`'s protocol fed the same bytes cut
into reads at every point, with a stand-in transport, counting the requests it starts."""

import asyncio
import ipaddress
import json
from collections.abc import Iterator

import pytest
import uvicorn
from uvicorn.server import ServerState

from shim.config import Settings
from shim.edge.server import HEAD_LIMIT, _closing, _counted, protocol
from shim.errors import HeadTooLarge

HEAD_TOO_LARGE = _closing(HeadTooLarge())
MARK = b"\r\nx-shim-sandbox: simulated\r\n"


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written, self.closed, self.ended = b"", False, False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.ended = True

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 5000) if name == "peername" else default

    def pause_reading(self) -> None:
        pass

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("never run: the loop does not run the tasks")


@pytest.fixture
def feed() -> Iterator[object]:
    loop = asyncio.new_event_loop()

    def run(*reads: bytes, settings: Settings | None = None) -> tuple[int, Transport]:
        """Feed the reads to a new connection; the requests started, and the transport."""
        bounded = protocol(settings or Settings())
        config = uvicorn.Config(app, http=bounded, log_config=None)
        state = ServerState()
        connection = bounded(config=config, server_state=state, app_state={}, _loop=loop)
        transport = Transport()
        connection.connection_made(transport)
        for data in reads:
            if not transport.closed:
                connection.data_received(data)
        for task in state.tasks:
            task.cancel()
        return len(state.tasks), transport

    yield run
    loop.run_until_complete(asyncio.sleep(0))  # the cancelled tasks end
    loop.close()


def request(head_size: int) -> bytes:
    """A POST whose head is `head_size` bytes, and its body."""
    start = b"POST /1.1/statuses/update.json HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
    fill = head_size - len(start) - len(b"X-Filler: \r\n\r\n")
    filler = b"X-Filler: " + b"a" * fill + b"\r\n"
    head = start + filler + b"\r\n"
    assert len(head) == head_size
    return head + b"status=hello"


def cuts(data: bytes) -> Iterator[tuple[bytes, ...]]:
    """The data whole, and cut in two and in three at points across it."""
    yield (data,)
    for cut in range(1, len(data), 1499):
        yield data[:cut], data[cut:]
        yield data[:cut], data[cut : cut + 7], data[cut + 7 :]


@pytest.mark.parametrize("size", [HEAD_LIMIT + 1, 59 * 1024, 118 * 1024])
def test_a_head_past_the_limit_is_refused_however_it_is_read(feed, size):
    """Refused with the answer and the end of the stream; what else comes is dropped (the
    connection closes a moment later: `LINGER_SECONDS`)."""
    for reads in cuts(request(size)):
        started, transport = feed(*reads)
        assert (started, transport.ended) == (0, True), [len(read) for read in reads]
        assert transport.written == HEAD_TOO_LARGE


def test_a_pipelined_head_past_the_limit_is_refused(feed):
    small = b"GET /1.1/mutes/users/ids.json HTTP/1.1\r\nHost: x\r\n\r\n"
    started, transport = feed(small + request(HEAD_LIMIT + 1))
    assert (started, transport.ended) == (1, True)
    assert transport.written == HEAD_TOO_LARGE


def test_heads_within_the_limit_are_served_however_they_are_read(feed):
    """Two requests, the second pipelined (queued behind the first, so not started yet)."""
    for reads in cuts(request(HEAD_LIMIT - 200) * 2):
        started, transport = feed(*reads)
        assert (started, transport.written) == (1, b""), [len(read) for read in reads]


class Peer(Transport):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.address, 5000) if name == "peername" else default


@pytest.mark.parametrize(
    ("peer", "counted"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same host's other address
        ("10.0.0.9", None),  # a trusted proxy: no share of its own
    ],
)
def test_the_address_a_connection_counts_against(peer: str, counted: str | None):
    assert _counted(Peer(peer), [ipaddress.ip_network("10.0.0.0/8")]) == counted


def answered(written: bytes) -> tuple[str, object]:
    """The status line and the JSON body of an answer written whole."""
    head, _, body = written.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), json.loads(body)


def test_bytes_that_are_not_http_are_answered_in_v11s_shape(feed):
    """uvicorn answered them in plain text of its own; every refusal of the shim's is v1.1's."""
    started, transport = feed(b"\x16\x03\x01\x02\x00\x01 not http\r\n\r\n")

    assert (started, transport.closed) == (0, True)
    assert answered(transport.written) == (
        "HTTP/1.1 400 Bad Request",
        {"errors": [{"code": 195, "message": "The request is not valid HTTP."}]},
    )


def test_the_sandbox_marks_what_is_written_before_a_request_is_read(feed):
    """Issue 25 left these three unmarked: past the connection cap, a head too large, bytes
    that are not HTTP. No answer of a sandbox may pass for X's."""
    sandbox = Settings(sandbox=True)
    answers = [
        feed(request(HEAD_LIMIT + 1), settings=sandbox)[1].written,
        feed(b"not http at all\r\n\r\n", settings=sandbox)[1].written,
        feed(b"GET / HTTP/1.1\r\n\r\n", settings=Settings(sandbox=True, max_connections=0))[
            1
        ].written,
    ]

    assert [answered(a)[0] for a in answers] == [
        "HTTP/1.1 431 Request Header Fields Too Large",
        "HTTP/1.1 400 Bad Request",
        "HTTP/1.1 503 Service Unavailable",
    ]
    assert [MARK in a for a in answers] == [True, True, True]
    assert MARK not in feed(request(HEAD_LIMIT + 1))[1].written  # only the sandbox's
