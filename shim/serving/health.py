"""What a load balancer asks: `GET /_shim/health` (200 while the process answers) and
`GET /_shim/ready` (200 while it can serve; 503 with the reasons otherwise), both without
credentials. The reasons are `State.problems` (`shim.stores.state`: a store that cannot be
reached or written, a clock too far from the store's, and whatever checks a store adds) and the
drain (`shim.edge.drain`). A balancer polls often: the store's checks run at most once every
`FRESH` seconds, whoever asks, and their answer is shared."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from shim.edge.drain import Drain
from shim.responses import render
from shim.stores.state import State

FRESH = 1.0  # seconds a readiness answer is reused
DRAINING = "draining: the process is stopping"


class Readiness:
    """The instance's readiness, checked at most once every FRESH seconds."""

    def __init__(self, kept: State, drain: Drain) -> None:
        self._kept, self._drain = kept, drain
        self._lock = asyncio.Lock()
        self._found: list[str] = []
        self._checked = float("-inf")

    async def problems(self) -> list[str]:
        async with self._lock:  # callers arriving during a check share its answer
            if time.monotonic() - self._checked >= FRESH:
                self._found = await self._kept.problems()
                self._checked = time.monotonic()
        return [DRAINING, *self._found] if self._drain.draining else list(self._found)


async def health(request: Request) -> Response:
    return render(200, {"status": "ok"})


def ready(readiness: Readiness) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        problems = await readiness.problems()
        if problems:
            return render(503, {"ready": False, "problems": problems})
        return render(200, {"ready": True})

    return serve
