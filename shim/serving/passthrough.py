"""Pass-through: calls the shim does not translate go upstream as they came, signed anew.

Method, path, query and body are kept byte for byte, with the headers that shape the answer;
the answer streams back unchanged but for hop-by-hop headers, which belong to each connection.
A refusal (an answer of 400 or more) is read whole first, still as it came, so that its error
code can be counted (`Refusal`): v1.1's refusals are a few hundred bytes, so one bigger than
`REFUSAL_MAX` streams on like any answer, with what was read of it first.
"""

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

import httpx2
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from mappings.compare import Outcome
from shim.credentials.upstream_auth import FORM, without_oauth
from shim.edge.contained import cut
from shim.edge.limits import target
from shim.errors import BadHeader, UpstreamBroken, UpstreamUnavailable
from shim.responses import decoded
from shim.upstream.client import Upstream

log = logging.getLogger("shim.passthrough")

PREFIXES = ("/1.1/", "/2/", "/oauth/")
"""The upstream's own path spaces; anything else is no page of the API."""

REQUEST_HEADERS = ("accept", "accept-encoding", "accept-language", "content-type", "user-agent")
HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    )
)


# A header value as RFC 9110 §5.5 allows it: visible bytes, spaces and tabs, and obs-text.
FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")

REFUSAL_MAX = 64 * 1024
"""The most of a refusal held to read its code."""


def forwards(path: str) -> bool:
    """Whether a path is the upstream's, and so passed through."""
    return path.startswith(PREFIXES)


class Streamed(StreamingResponse):
    """A passed-through answer streamed back, bounded in time at both ends: the upstream may be
    idle at most `timeout` between chunks, the client must take each chunk within `timeout`,
    and the whole body must be through within twice `timeout` (v1.1 answers are small JSON, so
    only a trickle lasts that long). A client that stops reading, or an upstream that trickles,
    is cut off; either way the upstream connection goes back to the pool and the caller's slot
    is given back."""

    def __init__(
        self,
        answer: httpx2.Response,
        timeout: float,
        done: Callable[[], None],
        begun: tuple[list[bytes], AsyncGenerator[bytes, None]] | None = None,
    ) -> None:
        # `begun`: the chunks already read of the answer, and the rest.
        self._chunks = _resumed(*begun) if begun else _raw(answer)
        super().__init__(self._chunks, answer.status_code)
        self.raw_headers = _headers(answer)
        self._answer, self._timeout, self._done = answer, timeout, done

    async def stream_response(self, send: Send) -> None:
        async def bounded(message: dict[str, object]) -> None:
            async with asyncio.timeout(self._timeout):
                await send(message)  # waits while the client's buffers are full

        start = {"type": "http.response.start", "status": self.status_code}
        async with asyncio.timeout(2 * self._timeout):
            # The first chunk before the head: an answer cut off before any of its body came
            # can still be answered as v1.1 would (`UpstreamBroken`).
            try:
                chunk: bytes | None = await self._next()
            except httpx2.TransportError:
                log.warning("the upstream cut off a passed-through answer: answered 500")
                raise UpstreamBroken from None
            except TimeoutError:
                log.warning("a passed-through answer stalled before its body: answered 503")
                raise UpstreamUnavailable from None
            await bounded(start | {"headers": self.raw_headers})
            while chunk is not None:
                await bounded({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await self._next()
            await bounded({"type": "http.response.body", "body": b"", "more_body": False})

    async def _next(self) -> bytes | None:
        """The answer's next chunk, None at its end; the upstream may be idle `timeout`."""
        try:
            async with asyncio.timeout(self._timeout):
                return await anext(self._chunks)
        except StopAsyncIteration:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TimeoutError:
            # The answer has begun: the connection can only be closed.
            log.warning("a passed-through answer stalled or trickled: cut off")
            cut(scope)
        except httpx2.TransportError as error:
            # Its head is out, so the client learns of it as a connection closed mid-answer.
            log.warning("the upstream cut off a passed-through answer (%s)", type(error).__name__)
            cut(scope)
        finally:
            # Closed here, while the event loop runs: a stream cut off mid-answer would leave
            # httpx2's own generators suspended for the garbage collector to find, loop or not.
            await self._chunks.aclose()
            await self._answer.aclose()
            self._done()


async def forward(
    upstream: Upstream,
    request: Request,
    body: bytes,
    auth: httpx2.Auth,
    done: Callable[[], None],
) -> Response:
    """Send the request upstream with `auth` and stream the answer back; `done` is called once
    the upstream is no longer in use, whatever happened."""
    try:
        answer = await _send(upstream, request, body, auth)
    except BaseException:
        done()
        raise
    if answer.status_code < 400:
        return Streamed(answer, upstream.timeout, done)
    try:
        read = await _refusal(answer, upstream.timeout)
    except BaseException:
        done()
        raise
    if isinstance(read, Refusal):
        done()
        return read
    return Streamed(answer, upstream.timeout, done, read)


class Refusal(Response):
    """An upstream refusal passed through as it came, read whole: its bytes still encoded as
    the upstream sent them, and `outcome`, its status and decoded body."""

    def __init__(self, answer: httpx2.Response, raw: bytes) -> None:
        super().__init__(raw, answer.status_code)
        self.raw_headers = [h for h in _headers(answer) if h[0].lower() != b"content-length"]
        self.raw_headers.append((b"content-length", str(len(raw)).encode()))
        try:  # decoded as the client will decode it: gzip, deflate, as the headers say
            coding = {k: v for k, v in answer.headers.items() if k.lower() == "content-encoding"}
            content = httpx2.Response(answer.status_code, headers=coding, content=raw)
            self.outcome = Outcome(answer.status_code, decoded(content.read()))
        except httpx2.DecodingError:
            self.outcome = Outcome(answer.status_code, None)


async def _refusal(
    answer: httpx2.Response, timeout: float
) -> Refusal | tuple[list[bytes], AsyncGenerator[bytes, None]]:
    """The refusal read whole within `timeout`, or the failure `Streamed` would answer; past
    `REFUSAL_MAX`, the chunks read so far and the rest, the answer left open to stream on."""
    chunks = _raw(answer)
    read: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in chunks:
                read.append(chunk)
                size += len(chunk)
                if size > REFUSAL_MAX:
                    return read, chunks
    except httpx2.TransportError:
        log.warning("the upstream cut off a passed-through refusal: answered 500")
        raise UpstreamBroken from None
    except TimeoutError:
        log.warning("a passed-through refusal stalled: answered 503")
        raise UpstreamUnavailable from None
    finally:
        if size <= REFUSAL_MAX:
            await chunks.aclose()
            await answer.aclose()
    return Refusal(answer, b"".join(read))


async def exchange(
    upstream: Upstream, request: Request, body: bytes, auth: httpx2.Auth
) -> tuple[Response, bytes]:
    """Send the request upstream with `auth`; the answer, read whole, and its decoded body."""
    answer = await _send(upstream, request, body, auth)
    try:
        async with asyncio.timeout(upstream.timeout):
            content = await answer.aread()
    except (httpx2.TransportError, TimeoutError):
        raise UpstreamUnavailable from None
    finally:
        await answer.aclose()
    response = Response(content, answer.status_code)
    # The body is decoded now, so its encoding and length headers no longer describe it.
    response.raw_headers = [
        header
        for header in _headers(answer)
        if header[0].lower() not in (b"content-encoding", b"content-length")
    ] + [(b"content-length", str(len(content)).encode())]
    return response, content


def _sendable(value: bytes) -> bool:
    """Whether a header's value can go upstream byte for byte: a field value, and beyond
    ASCII, UTF-8, as aiohttp writes it (`shim.upstream.aiohttp_transport`)."""
    if not FIELD_VALUE.fullmatch(value):
        return False
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


async def _send(
    upstream: Upstream, request: Request, body: bytes, auth: httpx2.Auth
) -> httpx2.Response:
    # The path and query as they came, which the signature covered (`limits.target`).
    path, query = target(request.scope)
    query = without_oauth(query)
    if request.headers.get("content-type", "").startswith(FORM):
        body = without_oauth(body.decode("latin-1")).encode("latin-1")
    # As the bytes that came: a header need not be ASCII, and httpx2 encodes str values as ASCII.
    headers = {
        name.encode(): value.encode("latin-1")
        for name in REQUEST_HEADERS
        if (value := request.headers.get(name))
    }
    if not all(_sendable(value) for value in headers.values()):
        raise BadHeader
    outgoing = upstream.client.build_request(
        request.method, path + (f"?{query}" if query else ""), headers=headers, content=body
    )
    # Passed-through calls are not retried: the shim cannot know which are safe to repeat.
    async with upstream.permit() as report:
        try:
            # The time to the answer's head is bounded as a whole: a trickling upstream
            # cannot stretch it read by read.
            async with asyncio.timeout(upstream.timeout):
                answer = await upstream.client.send(outgoing, auth=auth, stream=True)
        except (httpx2.TransportError, TimeoutError):
            raise UpstreamUnavailable from None
        report(answer.status_code)
        return answer


def _headers(answer: httpx2.Response) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in answer.headers.multi_items()
        if name.lower() not in HOP_BY_HOP
    ]


async def _resumed(
    read: list[bytes], rest: AsyncGenerator[bytes, None]
) -> AsyncGenerator[bytes, None]:
    async with aclosing(rest):  # closed however far the client took it
        for chunk in read:
            yield chunk
        async for chunk in rest:
            yield chunk


async def _raw(answer: httpx2.Response) -> AsyncGenerator[bytes, None]:
    """The answer's bytes as they came, still encoded; some transports hand them over read."""
    if answer.is_stream_consumed:
        yield answer.content
        return
    async with aclosing(answer.aiter_raw()) as chunks:  # closing this closes httpx2's too
        async for chunk in chunks:
            yield chunk
