"""The drain: on SIGTERM, `shim serve` keeps serving for SHIM_DRAIN_SECONDS while it answers
not-ready (`GET /_shim/ready`, 503) and closes each connection after its answer
(`Connection: close`), then stops as before. A load balancer that checks readiness stops
sending it new requests within its check interval, and a request it sends meanwhile on a kept
connection is answered rather than lost: uvicorn alone closes idle connections at the signal,
racing the requests already on their way (issue 24: 1 lost in 5 SIGTERMs)."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Drain:
    """Whether this process is draining, and until when."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.until: float | None = None

    @property
    def draining(self) -> bool:
        return self.until is not None

    def begin(self) -> None:
        if self.until is None:
            self.until = time.monotonic() + self.seconds

    def over(self) -> bool:
        return self.until is not None and time.monotonic() >= self.until


class Closing:
    """ASGI middleware: while draining, every answer closes its connection."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app, self.drain = app, drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and self.drain.draining:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"connection"
                ]
                message["headers"] = [*headers, (b"connection", b"close")]
            await send(message)

        await self.app(scope, receive, closing)
