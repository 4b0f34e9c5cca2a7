"""Each request's id and its one log line.

The id is the client's `X-Request-Id` when it is a plain token (letters, digits, `-`, `_`, at
most 64), else a new one; it answers in `x-request-id`, goes to every upstream call the request
makes (comparisons included), and is on every log line written while the request is served.

The line is written once the answer is out. It carries what uvicorn's access line and httpx2's
line a v2 call used to (both are off in `shim serve`, `shim.edge.logs`): the client's address,
the request line, the status, each v2 call with its status and time; and, for a request a
route served, its endpoint, backend, v1.1 error code and time spent on the upstream. One line
instead of three a request was 9% of the shim's instructions (issue 27).
"""

import contextvars
import logging
import re
import secrets
import time
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shim.edge.logs import REQUEST_ID, mask

WELL_FORMED = re.compile(rb"[A-Za-z0-9_-]{1,64}")

log = logging.getLogger("shim.requests")


@dataclass(slots=True)
class Line:
    """What the request's line will say, filled in as it is served."""

    client: str
    request: str
    status: int = 0
    # Set by the route that served it (`served`): the JSON fields of `shim.edge.logs.FIELDS`.
    route: dict[str, object] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def write(self) -> None:
        said = f"{self.client} - {self.request} {self.status}"
        if self.route:
            code = self.route["v11_code"]
            said += f" {self.route['endpoint']} {self.route['backend']}"
            said += f"{f' code {code}' if code is not None else ''} {self.route['upstream_ms']} ms"
        if self.calls:
            said += "; v2: " + ", ".join(self.calls)
        fields = {"client": self.client, "request": self.request, "status": self.status}
        log.info("%s", said, extra={**fields, **self.route, "v2_calls": self.calls})


LINE: contextvars.ContextVar[Line | None] = contextvars.ContextVar("line", default=None)


class RequestId:
    """ASGI middleware giving each HTTP request its id, and writing its line once answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = sent.decode() if WELL_FORMED.fullmatch(sent) else secrets.token_hex(8)
        REQUEST_ID.set(request_id)
        line = Line(client_of(scope), mask(request_line(scope)))
        LINE.set(line)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                line.status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            line.write()


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


def request_line(scope: Scope) -> str:
    """As uvicorn's access line has it: the path as sent (`raw_path`), with its query."""
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target = (path + b"?" + query if query else path).decode("latin-1")
    return f'"{scope["method"]} {target} HTTP/{scope.get("http_version", "1.1")}"'


def served(
    endpoint: str, backend: str, status: int, code: int | None, upstream_seconds: float
) -> None:
    """What the route that answered adds to the request's line: what a machine reading JSON
    logs filters on."""
    line = LINE.get()
    if line is not None:
        line.route = {
            "endpoint": endpoint,
            "backend": backend,
            "v11_code": code,
            "upstream_ms": round(upstream_seconds * 1000, 1),
        }
        line.status = status


def called(method: str, target: str, status: int, started: float) -> None:
    """A v2 call the request made, answered `status` (0: no answer), begun at `started`
    (time.monotonic)."""
    line = LINE.get()
    if line is not None:
        took = (time.monotonic() - started) * 1000
        line.calls.append(f"{method} {mask(target)} {status} {took:.1f} ms")
