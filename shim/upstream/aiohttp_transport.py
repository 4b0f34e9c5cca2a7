"""httpx2's transport seam over aiohttp's client: the shim keeps httpx2's API (requests, auth,
time-outs, streaming) while the bytes go through aiohttp, whose
client costs about half a millisecond less a call than httpcore2 over anyio (issue 13's
profile; docs/performance.md).

The URL goes as httpx2 encoded it (`encoded=True`: aiohttp would otherwise re-quote it and
break the OAuth signature over it), bodies are passed through undecoded (httpx2 decodes), no
cookies are kept, and every aiohttp failure becomes the error httpx2's own transport raises for
the same cause. SHIM_SPEEDUPS=off sends through httpx2's own transport instead
(`shim.upstream.client`); tests/shim/test_aiohttp_transport.py sends the same requests through
both.
"""

import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx2
from yarl import URL

# A call's answer read whole: its status, headers and body, or, cut off after its head, the
# error that cut it (a time-out reading it is raised: no answer in time, as before its head).
Exchange = tuple[int, dict[str, str], bytes | httpx2.TransportError]


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """One `ClientSession` for the shim's lifetime, made in the event loop on first use, with a
    connection pool bounded like httpx2's was."""

    def __init__(self, max_connections: int, keepalive: float = 5.0) -> None:
        self._limit = max_connections
        self._keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None
        # HTTPS_PROXY and the like, as httpx2 honoured them, read once: aiohttp's own
        # `trust_env` reads them (and ~/.netrc) again on every request.
        self._proxies = urllib.request.getproxies()
        self._proxy_for: dict[tuple[str, str], str | None] = {}

    def _proxy(self, url: httpx2.URL) -> str | None:
        key = (url.scheme, url.host)
        if key not in self._proxy_for:
            if len(self._proxy_for) > 1000:  # few hosts are ever asked: the upstream's
                self._proxy_for.clear()
            proxy = self._proxies.get(url.scheme)
            bypass = proxy is None or urllib.request.proxy_bypass(url.host)
            self._proxy_for[key] = None if bypass else proxy
        return self._proxy_for[key]

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limit, keepalive_timeout=self._keepalive, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        answer = await self._send(request, await _body(request), decompress=False)
        return httpx2.Response(
            answer.status,
            headers=[(k, v) for k, v in answer.raw_headers],
            stream=Body(answer),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode(),
            },
        )

    async def exchange(self, request: httpx2.Request) -> Exchange:
        """A call made whole, on aiohttp directly: the translated calls' way, without httpx2's
        client and answer around it (`exchange` below; docs/performance.md). The body comes
        back decoded, as httpx2 decodes it; failures are the same httpx2 errors."""
        answer = await self._send(request, request.content or None, decompress=True)
        body: bytes | httpx2.TransportError
        try:
            with _reading():
                body = await answer.read()
        except httpx2.TimeoutException:
            raise
        except httpx2.TransportError as error:
            body = error
        finally:
            answer.release()
        headers: dict[str, str] = {}
        for name, value in answer.raw_headers:  # as httpx2's `dict(headers)`: repeats joined
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        return answer.status, headers, body

    async def _send(
        self, request: httpx2.Request, data: object, decompress: bool
    ) -> aiohttp.ClientResponse:
        deadlines = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=deadlines.get("connect"),
            sock_connect=deadlines.get("connect"),
            sock_read=deadlines.get("read"),
        )
        try:
            return await self._client().request(
                request.method,
                URL(str(request.url), encoded=True),
                # aiohttp frames a streamed body itself, and refuses the header said twice. It
                # writes a header's text as UTF-8: decoded so, the bytes go as they came (the
                # pass-through sends nothing else: `shim.serving.passthrough._sendable`).
                headers=[
                    (k.decode("latin-1"), v.decode())
                    for k, v in request.headers.raw
                    if k.lower() != b"transfer-encoding"
                ],
                data=data,
                allow_redirects=False,
                proxy=self._proxy(request.url),
                timeout=timeout,
                compress=None,
                auto_decompress=decompress,
            )
        except aiohttp.SocketTimeoutError as error:  # connected; the answer's head was late
            raise httpx2.ReadTimeout(str(error) or "read timed out") from None
        except TimeoutError as error:
            raise httpx2.ConnectTimeout(str(error) or "connect timed out") from None
        except aiohttp.ClientConnectorError as error:
            raise httpx2.ConnectError(str(error)) from None
        except aiohttp.ClientError as error:
            raise httpx2.RemoteProtocolError(str(error) or type(error).__name__) from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _body(request: httpx2.Request) -> bytes | httpx2.AsyncByteStream | None:
    """The request's body for aiohttp: a streamed one (chunked, a media upload's) as its
    stream, read as aiohttp sends it; else its bytes, None, not b"", for none: aiohttp would
    add a `content-length: 0` httpx2 does not send on a GET or a DELETE."""
    if request.headers.get("transfer-encoding") == "chunked" and isinstance(
        request.stream, httpx2.AsyncByteStream
    ):
        return request.stream
    return await request.aread() or None


class Body(httpx2.AsyncByteStream):
    """An aiohttp answer's body as httpx2 reads it, chunk by chunk as it arrives."""

    def __init__(self, answer: aiohttp.ClientResponse) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _reading():
            async for chunk in self._answer.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._answer.release()


@contextmanager
def _reading() -> Iterator[None]:
    """An answer's body read, its failures as httpx2's own transport names them."""
    try:
        yield
    except TimeoutError as error:
        raise httpx2.ReadTimeout(str(error) or "read timed out") from None
    except aiohttp.ClientPayloadError as error:  # cut short: httpx2's transport says this
        raise httpx2.RemoteProtocolError(str(error) or type(error).__name__) from None
    except aiohttp.ClientError as error:
        raise httpx2.ReadError(str(error) or type(error).__name__) from None


async def exchange(transport: httpx2.AsyncBaseTransport, request: httpx2.Request) -> Exchange:
    """A call made whole through any transport: status, headers (`dict` of httpx2's) and the
    decoded body. On the aiohttp transport, aiohttp directly; through httpx2's own (with
    SHIM_SPEEDUPS off, a proxy's where one is set) as httpx2 reads it.
    tests/shim/test_aiohttp_transport.py holds the two alike."""
    if isinstance(transport, AiohttpTransport):
        return await transport.exchange(request)
    response = await transport.handle_async_request(request)
    response.request = request
    try:
        await response.aread()
    except httpx2.TimeoutException:
        raise
    except httpx2.TransportError as error:
        return response.status_code, dict(response.headers), error
    finally:
        await response.aclose()
    return response.status_code, dict(response.headers), response.content
