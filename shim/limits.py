"""What a request may be, judged before anything routes or reads it: its path must already be
normal, and its body is bounded in size (a declared Content-Length over the limit is refused at
once, a body sent without one is cut off once it passes it) and in time (the whole body within
SHIM_READ_TIMEOUT of its first read, so a client cannot hold a request open by trickling it)."""

import asyncio
import posixpath

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mappings.errors import V11Error
from mappings.params import number
from shim.responses import render

TOO_LARGE = "Request body is too large."
TOO_SLOW = "Request body was not received in time."


class BodyLimit:
    """ASGI middleware refusing bodies over `limit` bytes (413) or slower than `timeout` seconds
    in all (408), with v1.1's error shape."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = number(dict(scope["headers"]).get(b"content-length", b"0").decode("latin-1"))
        if declared is not None and declared > self.limit:
            error = V11Error(195, TOO_LARGE, status=413)
            await render(error.status, error.body())(scope, receive, send)
            return
        seen, done = 0, False
        due = asyncio.get_running_loop().time() + self.timeout

        async def counted() -> Message:
            nonlocal seen, done
            if done:  # after the body, a receive waits for the disconnect: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(due):
                    message = await receive()
            except TimeoutError:
                # The rest of the body may still come: the connection cannot be reused.
                raise V11Error(195, TOO_SLOW, {"connection": "close"}, status=408) from None
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise V11Error(195, TOO_LARGE, status=413)
            done = not message.get("more_body", False)
            return message

        await self.app(scope, counted, send)


def is_normal(path: str) -> bool:
    """Whether the (percent-decoded) path is already what a server resolving dot segments and
    empty segments would make of it: `/1.1/../x` is not, nor `/1.1/./a` or `/1.1//a`."""
    resolved = posixpath.normpath(path)
    if path.endswith("/") and resolved != "/":
        resolved += "/"
    return resolved == path and "//" not in path


class PathFence:
    """ASGI middleware answering 34 for a path that is not normal: it would reach another page
    of the upstream than the one the shim routed, or a translated endpoint by another name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_normal(scope["path"]):
            error = V11Error(34)
            await render(error.status, error.body())(scope, receive, send)
            return
        await self.app(scope, receive, send)
