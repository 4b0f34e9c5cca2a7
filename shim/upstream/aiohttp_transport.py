"""httpx2's transport seam over aiohttp's client: the shim keeps httpx2's API (requests, auth,
time-outs, streaming, the tests' MockTransport) while the bytes go through aiohttp, whose
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
from collections.abc import AsyncIterator

import aiohttp
import httpx2
from yarl import URL


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
        deadlines = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=deadlines.get("connect"),
            sock_connect=deadlines.get("connect"),
            sock_read=deadlines.get("read"),
        )
        try:
            answer = await self._client().request(
                request.method,
                URL(str(request.url), encoded=True),
                # aiohttp frames a streamed body itself, and refuses the header said twice.
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in request.headers.raw
                    if k.lower() != b"transfer-encoding"
                ],
                data=await _body(request),
                allow_redirects=False,
                proxy=self._proxy(request.url),
                timeout=timeout,
                compress=None,
            )
        except aiohttp.SocketTimeoutError as error:  # connected; the answer's head was late
            raise httpx2.ReadTimeout(str(error) or "read timed out") from None
        except TimeoutError as error:
            raise httpx2.ConnectTimeout(str(error) or "connect timed out") from None
        except aiohttp.ClientConnectorError as error:
            raise httpx2.ConnectError(str(error)) from None
        except aiohttp.ClientError as error:
            raise httpx2.RemoteProtocolError(str(error) or type(error).__name__) from None
        return httpx2.Response(
            answer.status,
            headers=[(k, v) for k, v in answer.raw_headers],
            stream=Body(answer),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode(),
            },
        )

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
        try:
            async for chunk in self._answer.content.iter_any():
                yield chunk
        except TimeoutError as error:
            raise httpx2.ReadTimeout(str(error) or "read timed out") from None
        except aiohttp.ClientPayloadError as error:  # cut short: httpx2's transport says this
            raise httpx2.RemoteProtocolError(str(error) or type(error).__name__) from None
        except aiohttp.ClientError as error:
            raise httpx2.ReadError(str(error) or type(error).__name__) from None

    async def aclose(self) -> None:
        self._answer.release()
