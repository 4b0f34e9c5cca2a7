"""The drain: on SIGTERM, `shim serve` keeps serving for SHIM_DRAIN_SECONDS while it answers
not-ready (`GET /_shim/ready`, 503) and closes each connection after its answer
(`Connection: close`), then stops as before. A load balancer that checks readiness stops
sending it new requests within its check interval, and a request it sends meanwhile on a kept
connection is answered rather than lost: uvicorn alone closes idle connections at the signal,
racing the requests already on their way (issue 24: 1 lost in 5 SIGTERMs).

The app's lifespan puts `on_sigterm` in front of uvicorn's own SIGTERM handler, in the process
that serves: `shim serve`'s one, or each of `--workers`' (whose supervisor passes SIGTERM on).
A second SIGTERM, or Ctrl-C, stops at once as before."""

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Drain:
    """How long this process drains, and whether it has begun."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.draining = False

    def begin(self) -> None:
        self.draining = True


@contextmanager
def on_sigterm(drain: Drain) -> Iterator[None]:
    """While the app runs, SIGTERM begins the drain and hands the signal to uvicorn's handler
    once it is over. Only in the main thread of a process uvicorn's handler serves (a test's
    server in a thread has none)."""
    server = signal.getsignal(signal.SIGTERM)
    main = threading.current_thread() is threading.main_thread()
    if drain.seconds <= 0 or not main or not callable(server):
        yield
        return
    loop = asyncio.get_running_loop()

    def begin(sig: int, frame: FrameType | None) -> None:
        if drain.draining:
            server(sig, frame)  # a second SIGTERM
            return
        drain.begin()
        loop.call_soon_threadsafe(loop.call_later, drain.seconds, server, sig, None)

    signal.signal(signal.SIGTERM, begin)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, server)


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
