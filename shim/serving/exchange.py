"""The finished exchange and the steps after it.

Once a request is answered, each after-step (the metrics, the request log, the comparison, the
dry-run record) receives the exchange in turn, as mitmproxy's addons receive a finished flow.
A step that fails is logged and the next one runs: the answer already given stays as it is.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from mappings.compare import Outcome
from mappings.endpoints import Endpoint
from mappings.routing import Backend, Plan
from shim.edge import requests_log
from shim.serving.identity import Call

log = logging.getLogger("shim")


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request and its answer: the call, the version that answered, the answer as the client
    gets it and as data (`served`), and the seconds spent on the upstream. A passed-through
    request has no endpoint, plan or `served`; a call v2 cannot serve (`shim.serving.unserved`)
    has no endpoint record, only its `label`, the name the routing file gives it."""

    call: Call
    backend: Backend
    response: Response
    seconds: float
    endpoint: Endpoint[Any] | None = None
    plan: Plan | None = None
    served: Outcome | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        if self.endpoint is not None:
            return self.endpoint.name
        return self.label if self.label is not None else "passthrough"

    @property
    def named(self) -> bool:
        """Whether the exchange is one endpoint's the operator routes and counts by name."""
        return self.endpoint is not None or self.label is not None

    @property
    def code(self) -> int | None:
        """The v1.1 error code answered, where the shim read the answer."""
        return self.served.code if self.served is not None else None


AfterStep = Callable[[Exchange], Awaitable[None]]


async def follow_up(steps: Sequence[AfterStep], exchange: Exchange) -> None:
    """Give the exchange to each after-step in turn."""
    for step in steps:
        try:
            await step(exchange)
        except Exception:  # an after-step must never touch the answer already given
            log.exception("after %s: %s failed", exchange.name, getattr(step, "__qualname__", step))


async def log_line(exchange: Exchange) -> None:
    """The request's one line in the request log."""
    status = exchange.response.status_code
    requests_log.served(exchange.name, exchange.backend, status, exchange.code, exchange.seconds)
