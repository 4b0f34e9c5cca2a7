"""The simulated X served over a real socket on a loopback port, as an upstream is reached:
`Served` turns each ASGI request into the `httpx2.Request` the model answers, and `running`
serves it from a thread of the calling process until stopped."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# What the simulated X reads of a request's body, more is 413: a GIF sent whole (15 MB at most,
# v2's simple upload as v1.1's) with its multipart framing.
MAX_BODY = 16 << 20
STARTING = 10.0  # seconds to wait for its socket to listen
TOO_LARGE = httpx2.Response(413, text="Payload Too Large\n")


class Served:
    """A model of X (`httpx2.Request` → `httpx2.Response`) as an ASGI app."""

    def __init__(self, model: Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.model = model

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            request = await self.read(scope, receive)
            if request is not None:
                answer = (
                    await self.answer(request) if isinstance(request, httpx2.Request) else request
                )
                await self.send(send, answer)

    @staticmethod
    async def read(scope: Any, receive: Any) -> httpx2.Request | httpx2.Response | None:
        """The request as the model takes it; TOO_LARGE if its body is over MAX_BODY, to be
        answered so; None if the client hung up before its body ended, which no server acts
        on (a streamed upload the shim refused halfway)."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                return TOO_LARGE
            if not message.get("more_body"):
                break
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
        query = scope["query_string"].decode()
        url = f"http://{host}{scope['path']}" + (f"?{query}" if query else "")
        return httpx2.Request(scope["method"], url, headers=scope["headers"], content=bytes(body))

    async def answer(self, request: httpx2.Request) -> httpx2.Response:
        """The model's answer (a subclass may wait first, or count)."""
        return self.model(request)

    @staticmethod
    async def send(send: Any, response: httpx2.Response) -> None:
        # Each header as it was given: `items()` would join a repeated one (set-cookie).
        headers = [(k.encode(), v.encode()) for k, v in response.headers.multi_items()]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        # The bytes as the answer was made, still encoded (a gzipped one stays gzipped).
        stream = response.stream
        assert isinstance(stream, httpx2.ByteStream), "the model answers with bytes it holds"
        await send({"type": "http.response.body", "body": b"".join(stream)})


class Quiet(HttpToolsProtocol):
    """uvicorn's protocol without its access log: uvicorn decides that per process, from the
    shim's own logging, and the shim already logs each call it makes to the upstream."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False


@contextmanager
def running(model: Callable[[httpx2.Request], httpx2.Response]) -> Iterator[str]:
    """Serve the model over plain HTTP on a free loopback port from a thread of this process;
    yields its base URL, and stops it after."""
    config = uvicorn.Config(
        Served(model),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_config=None,  # the shim's logging, set up by `shim serve`, stays as it is
        http=Quiet,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="simulated-x", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTING
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulated X did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTING)
