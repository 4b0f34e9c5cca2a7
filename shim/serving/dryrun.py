"""Dry runs of writes: the client gets v1.1's answer, and the v2 translation is played with its
reads sent and its writes withheld, so an operator sees what v2 would have been asked before
letting it change anything. What was planned is logged, counted, and the latest few kept for
the dashboard (a bounded list: its size never grows with traffic)."""

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask

from mappings.endpoints import Endpoint, run
from mappings.types import V2Call, V2Reply
from shim.config import GRACE
from shim.edge.fairness import Slots
from shim.errors import Busy, ShellError
from shim.serving.backends import Backends
from shim.serving.exchange import Exchange
from shim.serving.identity import Call
from shim.serving.metrics import Metrics
from shim.upstream.client import within

log = logging.getLogger("shim.dryrun")

KEPT = 20  # planned calls the dashboard shows


class Withheld(Exception):
    """The flow reached a write: the dry run stops there."""


@dataclass(frozen=True, slots=True)
class Planned:
    endpoint: str
    calls: tuple[str, ...]  # as "POST /2/users/…/muting {json}"
    outcome: str  # "withheld", or the v1.1 code the translation would answer without a write


def shown(call: V2Call) -> str:
    body = f" {json.dumps(dict(call.json), sort_keys=True)}" if call.json else ""
    return f"{call.method} {call.path}{body}"


class DryRuns:
    def __init__(self, backends: Backends, budget: Slots, metrics: Metrics) -> None:
        self.backends = backends
        self.budget = budget
        self.metrics = metrics
        self.recent: deque[Planned] = deque(maxlen=KEPT)

    async def after(self, exchange: Exchange) -> None:
        """Plan once the answer is sent, within the comparisons' budget (skipped past it)."""
        endpoint = exchange.endpoint
        if endpoint is None or exchange.plan is None or not exchange.plan.dry_run:
            return
        try:
            done = self.budget.take("comparisons")
        except Busy:
            self.metrics.dry_runs.labels(endpoint.name, "skipped").inc()
            return
        exchange.response.background = BackgroundTask(self.plan, endpoint, exchange.call, done)

    async def plan(self, endpoint: Endpoint[Any], call: Call, done: Callable[[], None]) -> None:
        """Play the translation, its reads sent, its first write withheld; record it."""
        writes: list[V2Call] = []
        send = call.send

        async def reads_only(v2: V2Call) -> V2Reply:
            if v2.method != "GET":
                writes.append(v2)
                raise Withheld
            return await send(v2)

        timeout = self.backends.timeout
        try:
            async with asyncio.timeout(min(2 * timeout, 0.8 * GRACE)):
                known = await self.backends.known(call)
                finished = await within(
                    timeout, run(endpoint, Backends.v11(call), known), reads_only
                )
            code = finished.error.code if finished.error else 200
            outcome = str(code)
        except Withheld:
            outcome = "withheld"
        except (TimeoutError, ShellError):
            outcome = "skipped"
        finally:
            done()
        planned = Planned(endpoint.name, tuple(shown(w) for w in writes), outcome)
        self.recent.appendleft(planned)
        self.metrics.dry_runs.labels(endpoint.name, outcome).inc()
        log.info(
            "dry run %s: %s",
            endpoint.name,
            "; ".join(planned.calls) if planned.calls else f"no write, answer {outcome}",
        )
