"""Requests handed to an ASGI app as uvicorn would, byte for byte: for what an HTTP client
library would tidy up first (dot segments in a path)."""

import asyncio
import json
from typing import Any

from starlette.testclient import TestClient


def raw_request(
    client: TestClient,
    method: str,
    raw_path: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, Any]:
    """The status and decoded JSON body of one request to the client's app, started (the
    client entered: the request runs in the loop its lifespan and upstream client run in); the
    path goes in as sent."""
    path, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        # uvicorn's own reading of the request line: percent-decoded, not normalised.
        "path": _unquote(path),
        "raw_path": path,
        "query_string": query,
        "headers": [(b"host", b"testserver"), *(headers or [])],
    }
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # the client stays connected
        raise AssertionError

    async def send(message: Any) -> None:
        sent.append(message)

    async def request() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None, "the client is not started: use it in a `with`"
    client.portal.call(request)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(content) if content else None


def _unquote(path: bytes) -> str:
    from urllib.parse import unquote

    return unquote(path.decode("ascii"))
