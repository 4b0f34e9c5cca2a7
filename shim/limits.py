"""A limit on request bodies, before anything reads them: a declared Content-Length over it is
refused at once, and a body sent without one is cut off once it passes it."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mappings.errors import V11Error
from mappings.params import number
from shim.translated import render

TOO_LARGE = "Request body is too large."


class BodyLimit:
    """ASGI middleware refusing bodies over `limit` bytes with v1.1's error shape (413)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = number(dict(scope["headers"]).get(b"content-length", b"0").decode("latin-1"))
        if declared is not None and declared > self.limit:
            error = V11Error(195, TOO_LARGE, status=413)
            await render(error.status, error.body())(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise V11Error(195, TOO_LARGE, status=413)
            return message

        await self.app(scope, counted, send)
