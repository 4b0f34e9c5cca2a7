"""Real uvicorn servers for tests: started in a thread on a free loopback port, and stopped."""

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serving(app: Any, **options: Any) -> Iterator[int]:
    """Serve the ASGI app (options go to uvicorn.Config, e.g. TLS files); yields the port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        # Clients' responses can sit in reference cycles (tweepy's models keep their API, which
        # keeps its last response) holding sockets open; a TLS shutdown would wait for them.
        gc.collect()
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            raise RuntimeError("the server did not stop")
