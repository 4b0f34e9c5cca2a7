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

# What the simulated X reads of a request's body, more is 413: a media chunk (5 MB at most in
# v1.1) with its multipart framing.
MAX_BODY = 6 << 20
STARTING = 10.0  # seconds to wait for its socket to listen


class Served:
    """A model of X (`httpx2.Request` → `httpx2.Response`) as an ASGI app."""

    def __init__(self, model: Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.model = model

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await self.send(send, httpx2.Response(413, text="Payload Too Large\n"))
                return
            if not message.get("more_body"):
                break
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
        query = scope["query_string"].decode()
        url = f"http://{host}{scope['path']}" + (f"?{query}" if query else "")
        request = httpx2.Request(
            scope["method"], url, headers=scope["headers"], content=bytes(body)
        )
        await self.send(send, await self.answer(request))

    async def answer(self, request: httpx2.Request) -> httpx2.Response:
        """The model's answer (a subclass may wait first, or count)."""
        return self.model(request)

    @staticmethod
    async def send(send: Any, response: httpx2.Response) -> None:
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items()]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": response.content})


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
