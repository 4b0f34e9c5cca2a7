"""A body streamed to v2 as it arrives: the media uploads' one way upstream.

Kept apart from `client.Upstream.send`, whose calls carry JSON made whole, behind one function:
`stream` takes the path, the content type and the body's chunks, and gives back a `V2Reply`
as `send` does. A failure of the client's side while the body streams (too large, too slow,
gone) is raised as itself, whatever the transport made of it; the upstream's, as no answer.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx2

from mappings.types import NO_ANSWER, V2Reply
from shim.upstream.client import Upstream

log = logging.getLogger("shim.upstream")

CLIENT_GONE = 499  # to the breaker: the client's side stopped the call, v2 did not fail it


class Feed:
    """The body's chunks as the transport reads them, remembering what stopped them."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self.failed: BaseException | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        except BaseException as error:
            self.failed = error
            raise


async def stream(
    upstream: Upstream,
    path: str,
    content_type: str,
    chunks: AsyncIterator[bytes],
    auth: httpx2.Auth,
) -> V2Reply:
    """POST the chunks to v2's `path` as they come (not retried: the body is gone once sent),
    within the breaker; the answer read whole within SHIM_UPSTREAM_TIMEOUT of the body's end."""
    feed = Feed(chunks)
    request = upstream.client.build_request(
        "POST", path, headers={"content-type": content_type}, content=feed.__aiter__()
    )
    async with upstream.permit() as report:
        try:
            response = await upstream.client.send(request, auth=auth, stream=True)
            try:
                async with asyncio.timeout(upstream.timeout):
                    await response.aread()
            finally:
                await response.aclose()
        except (httpx2.TransportError, TimeoutError) as error:
            if feed.failed is not None:
                report(CLIENT_GONE)
                raise feed.failed from None
            log.warning("v2 POST %s: no answer (%s)", path, type(error).__name__)
            report(NO_ANSWER)
            return V2Reply(NO_ANSWER)
        except BaseException:
            if feed.failed is not None:
                report(CLIENT_GONE)
                raise feed.failed from None
            raise
        report(response.status_code)
    try:
        body = response.json()
    except ValueError:
        log.warning("v2 POST %s: %d, body is not JSON", path, response.status_code)
        body = None
    return V2Reply(response.status_code, dict(response.headers), body)
