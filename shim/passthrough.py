"""Pass-through: calls the shim does not translate go upstream as they came, signed anew.

Method, path, query and body are kept byte for byte, with the headers that shape the answer;
the answer streams back unchanged but for hop-by-hop headers, which belong to each connection.
"""

from collections.abc import AsyncIterator

import httpx2
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mappings.errors import V11Error
from mappings.types import NO_ANSWER
from shim.upstream import Upstream

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


def forwards(path: str) -> bool:
    """Whether a path is the upstream's, and so passed through."""
    return path.startswith(PREFIXES)


async def forward(
    upstream: Upstream, request: Request, body: bytes, auth: httpx2.Auth
) -> StreamingResponse:
    """Send the request upstream with `auth` and stream the answer back."""
    answer = await _send(upstream, request, body, auth)
    response = StreamingResponse(
        _raw(answer), answer.status_code, background=BackgroundTask(answer.aclose)
    )
    response.raw_headers = _headers(answer)
    return response


async def exchange(
    upstream: Upstream, request: Request, body: bytes, auth: httpx2.Auth
) -> tuple[Response, bytes]:
    """Send the request upstream with `auth`; the answer, read whole, and its decoded body."""
    answer = await _send(upstream, request, body, auth)
    try:
        content = await answer.aread()
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


async def _send(
    upstream: Upstream, request: Request, body: bytes, auth: httpx2.Auth
) -> httpx2.Response:
    # The raw path keeps the client's percent-encoding, which its signature covered.
    path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.url.query
    # As the bytes that came: a header need not be ASCII, and httpx2 encodes str values as ASCII.
    headers = {
        name.encode(): value.encode("latin-1")
        for name in REQUEST_HEADERS
        if (value := request.headers.get(name))
    }
    outgoing = upstream.client.build_request(
        request.method, path + (f"?{query}" if query else ""), headers=headers, content=body
    )
    # Passed-through calls are not retried: the shim cannot know which are safe to repeat.
    if not upstream.breaker.allow():
        raise V11Error(130)
    try:
        answer = await upstream.client.send(outgoing, auth=auth, stream=True)
    except httpx2.TransportError:
        upstream.observe(NO_ANSWER)
        raise V11Error(130) from None
    upstream.observe(answer.status_code)
    return answer


def _headers(answer: httpx2.Response) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in answer.headers.multi_items()
        if name.lower() not in HOP_BY_HOP
    ]


async def _raw(answer: httpx2.Response) -> AsyncIterator[bytes]:
    """The answer's bytes as they came, still encoded; some transports hand them over read."""
    if answer.is_stream_consumed:
        yield answer.content
        return
    async for chunk in answer.aiter_raw():
        yield chunk
