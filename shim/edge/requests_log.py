"""Each request's id and its one log line.

The id is the client's `X-Request-Id` when it is a plain token (letters, digits, `-`, `_`, at
most 64), else a new one; it answers in `x-request-id`, goes to every upstream call the request
makes (comparisons included), and is on every log line written while the request is served.
"""

import contextvars
import logging
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
WELL_FORMED = re.compile(rb"[A-Za-z0-9_-]{1,64}")

log = logging.getLogger("shim.requests")


class RequestId:
    """ASGI middleware giving each HTTP request its id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = sent.decode() if WELL_FORMED.fullmatch(sent) else secrets.token_hex(8)
        REQUEST_ID.set(request_id)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, with_id)


def served(
    endpoint: str, backend: str, status: int, code: int | None, upstream_seconds: float
) -> None:
    """The request's line: what a machine reading JSON logs filters on."""
    log.info(
        "%s %s %d%s %.1f ms",
        endpoint,
        backend,
        status,
        f" code {code}" if code is not None else "",
        upstream_seconds * 1000,
        extra={
            "endpoint": endpoint,
            "backend": backend,
            "status": status,
            "v11_code": code,
            "upstream_ms": round(upstream_seconds * 1000, 1),
        },
    )
