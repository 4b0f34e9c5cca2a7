"""The aiohttp transport under httpx2's API, against a real socket: the URL goes byte for byte
as httpx2 encoded it (the OAuth signature covers it), bodies stream, and failures are the httpx2
errors the shim reads."""

import asyncio
import gzip
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import pytest

from shim.upstream.aiohttp_transport import AiohttpTransport, exchange
from tests.servers import free_port, read_body, serving


async def echo(scope, receive, send) -> None:
    """Answers what reached it: the raw path and query, the method, the headers and the body;
    `/slow` waits before answering, `/chunks` sends its body in three parts, `/gzip` is a
    compressed 429."""
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    if scope["path"] == "/slow":
        await asyncio.sleep(2)
    seen = {
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "method": scope["method"],
        # Less a DELETE's empty `content-length: 0`, which aiohttp sends (on every method but
        # GET, HEAD, OPTIONS and TRACE) and httpx2 does not: RFC 9110 §8.6 allows it.
        "headers": {
            k.decode(): v.decode()
            for k, v in scope["headers"]
            if (scope["method"], k, v) != ("DELETE", b"content-length", b"0")
        },
        "body": body.decode(),
    }
    if scope["path"] == "/gzip":  # a compressed error, as v2 sends when asked to
        headers = [(b"content-encoding", b"gzip"), (b"x-rate-limit-remaining", b"0")]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": gzip.compress(b'{"title":"Too Many"}')})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    if scope["path"] == "/chunks":
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def base():
    with serving(echo) as port:
        yield f"http://127.0.0.1:{port}"


async def through(base: str, method: str, url: str, **options) -> httpx2.Response:
    async with httpx2.AsyncClient(transport=AiohttpTransport(10), timeout=1.0) as client:
        response = await client.request(method, base + url, **options)
        await response.aread()
        return response


def test_the_url_reaches_the_server_as_httpx2_encoded_it(base):
    url = "/2/users/by/username/a%2Cb?usernames=x%2Cy&q=%7Etilde~&empty="
    response = run(through(base, "GET", url, headers={"authorization": "OAuth fake"}))
    seen = response.json()

    assert seen["raw_path"] == "/2/users/by/username/a%2Cb"
    assert seen["query"] == "usernames=x%2Cy&q=%7Etilde~&empty="
    assert seen["headers"]["authorization"] == "OAuth fake"
    assert "cookie" not in seen["headers"]


def test_a_json_body_and_its_headers_go_as_given(base):
    response = run(through(base, "POST", "/2/users/1/muting", json={"target_user_id": "2"}))
    seen = response.json()

    assert (seen["method"], seen["body"]) == ("POST", '{"target_user_id":"2"}')
    assert seen["headers"]["content-type"] == "application/json"
    assert response.headers["x-a"] == "1"


def test_a_body_streams_in_parts(base):
    async def parts() -> list[bytes]:
        async with (
            httpx2.AsyncClient(transport=AiohttpTransport(10)) as client,
            client.stream("GET", base + "/chunks") as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    assert b"".join(run(parts())) == b"one,two,three"


def test_no_listener_is_a_connect_error():
    with pytest.raises(httpx2.ConnectError):
        run(through(f"http://127.0.0.1:{free_port()}", "GET", "/"))


def test_a_slow_answer_is_a_timeout(base):
    with pytest.raises(httpx2.TimeoutException):
        run(through(base, "GET", "/slow"))


# The speed-up against the library it stands in for: the same requests through httpx2's own
# transport (SHIM_SPEEDUPS=off) come to the same answers and the same errors by cause.
TRANSPORTS = {"aiohttp": lambda: AiohttpTransport(10), "httpx2": httpx2.AsyncHTTPTransport}


async def outcome(make, method: str, url: str, **options) -> object:
    """What a request through the transport comes to: its status, headers (but the date) and
    body as httpx2 reads them, or the class of the error."""
    async with httpx2.AsyncClient(transport=make(), timeout=0.5) as client:
        try:
            response = await client.request(method, url, **options)
        except httpx2.TransportError as error:
            return type(error)
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "date"]
    return response.status_code, headers, response.content


def both(method: str, url: str, **options) -> dict[str, object]:
    return {name: run(outcome(make, method, url, **options)) for name, make in TRANSPORTS.items()}


@pytest.mark.parametrize(
    ("method", "url", "options"),
    [
        ("GET", "/2/users/by/username/a%2Cb?usernames=x%2Cy&q=%7E~&e=", {"headers": {"x-b": "2"}}),
        ("POST", "/2/users/1/muting", {"json": {"target_user_id": "2", "é": "☃"}}),
        ("POST", "/1.1/statuses/update.json", {"data": {"status": "héllo & ☃ 100%"}}),
        ("DELETE", "/2/users/1/muting/2", {}),
        ("HEAD", "/2/users/me", {}),
        ("GET", "/chunks", {}),
        ("GET", "/gzip", {}),
    ],
)
def test_answers_are_httpx2s(base, method, url, options):
    """What reaches the server (the echo's body) and what comes back are the same."""
    answers = both(method, base + url, **options)

    assert answers["aiohttp"] == answers["httpx2"]
    assert not isinstance(answers["aiohttp"], type)


@contextmanager
def answering(reply: bytes) -> Iterator[str]:
    """A server that reads a request's first bytes, sends `reply` and closes; yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort", httpx2.RemoteProtocolError),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
            httpx2.RemoteProtocolError,
        ),
        (b"", httpx2.RemoteProtocolError),
        (b"garbage\r\n\r\n", httpx2.RemoteProtocolError),
    ],
    ids=["body-cut-short", "chunks-cut-short", "closed-unanswered", "not-http"],
)
def test_a_broken_answer_is_httpx2s_error(reply, error):
    with answering(reply) as url:
        answers = both("GET", url)

    assert answers == {"aiohttp": error, "httpx2": error}


def test_no_listener_and_a_late_answer_are_httpx2s_errors(base):
    refused = both("GET", f"http://127.0.0.1:{free_port()}/")
    late = both("GET", base + "/slow")

    assert refused == {"aiohttp": httpx2.ConnectError, "httpx2": httpx2.ConnectError}
    assert late == {"aiohttp": httpx2.ReadTimeout, "httpx2": httpx2.ReadTimeout}


# The translated calls' way (`exchange`): aiohttp directly, the answer read whole. Through
# httpx2's own transport it is what httpx2's client made of the same call; the two agree.
async def exchanged(make, method: str, url: str, **options) -> object:
    transport = make()
    request = httpx2.Request(
        method, url, extensions={"timeout": httpx2.Timeout(0.5).as_dict()}, **options
    )
    try:
        status, headers, body = await exchange(transport, request)
    except httpx2.TransportError as error:
        return type(error)
    finally:
        await transport.aclose()
    headers.pop("date", None)
    return status, headers, body if isinstance(body, bytes) else type(body)


def exchanged_both(method: str, url: str, **options) -> dict[str, object]:
    return {name: run(exchanged(make, method, url, **options)) for name, make in TRANSPORTS.items()}


@pytest.mark.parametrize(
    ("method", "url", "options"),
    [
        ("GET", "/2/users/by/username/a%2Cb?usernames=x%2Cy&q=%7E~&e=", {"headers": {"x-b": "2"}}),
        ("POST", "/2/users/1/muting", {"json": {"target_user_id": "2", "é": "☃"}}),
        ("DELETE", "/2/users/1/muting/2", {}),
        ("GET", "/chunks", {}),
        ("GET", "/gzip", {"headers": {"accept-encoding": "gzip"}}),
    ],
)
def test_a_call_exchanged_on_aiohttp_is_as_httpx2_reads_it(base, method, url, options):
    """What reaches the server, the status, the headers and the body (decoded) are the same."""
    answers = exchanged_both(method, base + url, **options)

    assert answers["aiohttp"] == answers["httpx2"]
    assert not isinstance(answers["aiohttp"], type)
    if url == "/gzip":
        assert answers["aiohttp"][2] == b'{"title":"Too Many"}'  # type: ignore[index]


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort", httpx2.RemoteProtocolError),
        (b"", httpx2.RemoteProtocolError),
        (b"garbage\r\n\r\n", httpx2.RemoteProtocolError),
    ],
    ids=["body-cut-short", "closed-unanswered", "not-http"],
)
def test_a_broken_answer_exchanged_is_httpx2s_error(reply, outcome):
    with answering(reply) as url:
        answers = exchanged_both("GET", url)

    cut = (200, {"content-length": "100"}, outcome)
    expected = cut if reply.startswith(b"HTTP/1.1 200") else outcome
    assert answers == {"aiohttp": expected, "httpx2": expected}


def test_no_listener_and_a_late_answer_exchanged_are_httpx2s_errors(base):
    refused = exchanged_both("GET", f"http://127.0.0.1:{free_port()}/")
    late = exchanged_both("GET", base + "/slow")

    assert refused == {"aiohttp": httpx2.ConnectError, "httpx2": httpx2.ConnectError}
    assert late == {"aiohttp": httpx2.ReadTimeout, "httpx2": httpx2.ReadTimeout}
