"""Nothing a request raises reaches the ASGI server: uvicorn would log "Exception in ASGI
application" with a traceback and close the connection without `Connection: close`, so the
client's next request on it was lost (issue 24: 356 of them in 15 s of a full disk).

`Contained` sits just inside `RequestId`, so each line it writes names the request. A store that
cannot take or give what the request needs (SQLite's "database or disk is full", "disk I/O
error", a read-only file) is answered as `StoreUnavailable` is, 503 code 130, in one line; any
other failure is v1.1's 500, code 131, logged once with its traceback. Once the answer's head is
out no other answer can follow: the connection is cut (`cut`), which a client reads as a broken
answer, never as a whole one. A failure after a complete answer (an after-step's) is logged and
the connection is kept.
"""

import logging
import sqlite3

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shim.edge.logs import REQUEST_ID
from shim.errors import Internal, StoreUnavailable, rendered

log = logging.getLogger("shim")

CUT = "shim.cut"
"""The scope extension `shim.edge.server`'s protocol gives each request: closes its connection
now, as the end of an answer whose head is already out."""


class Contained:
    """ASGI middleware: the last word on every failure of a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = complete = False

        async def watched(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                complete = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            request = REQUEST_ID.get()
            store = isinstance(error, sqlite3.Error) or isinstance(
                error.__cause__ or error.__context__, sqlite3.Error
            )
            if store:
                log.warning("request %s: the store failed: %s", request, _reason(error))
            else:
                log.error("request %s: failed", request, exc_info=error)
            if complete:
                return
            if started:
                cut(scope)
                return
            answer = rendered(StoreUnavailable() if store else Internal())
            await answer(scope, receive, send)


def cut(scope: Scope) -> None:
    """Close the request's connection at once (where the server offers it)."""
    close = scope.get("extensions", {}).get(CUT)
    if close is not None:
        close()


def _reason(error: BaseException) -> str:
    cause = error if isinstance(error, sqlite3.Error) else (error.__cause__ or error.__context__)
    return f"{type(cause).__name__}: {cause}"
