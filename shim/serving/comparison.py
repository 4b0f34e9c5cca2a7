"""Compare mode's after-step: once a translated call is answered, call the other version and
record how the two differ, within a budget of its own.

Only translated endpoints whose row says `comparable` are ever compared (a write only when
doing it twice leaves what doing it once did). Pass-through calls are never shadowed.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask

from mappings.compare import Outcome, differences
from mappings.endpoints import Endpoint
from mappings.routing import Plan
from shim.config import GRACE
from shim.edge.fairness import Slots
from shim.errors import Busy, UpstreamUnavailable
from shim.serving.backends import Backends
from shim.serving.exchange import Exchange
from shim.serving.identity import Call
from shim.serving.metrics import Metrics
from shim.stores.comparisons import outcome
from shim.stores.protocols import Comparisons
from shim.upstream.breaker import CircuitBreaker

log = logging.getLogger("shim")

SHIM_FAILURES = {130, 131}  # what the shim answers when the upstream fails it


@dataclass(frozen=True, slots=True)
class Comparer:
    """Compare mode's other half: after answering, call the other version and record how the
    two differ, within a budget of its own."""

    backends: Backends
    records: Comparisons
    budget: Slots
    breaker: CircuitBreaker
    metrics: Metrics

    async def after(self, exchange: Exchange) -> None:
        """Compare once the answer is sent, or count the comparison skipped: serving comes
        first, so there is no queue of comparisons and none while the upstream struggles."""
        endpoint, chosen = exchange.endpoint, exchange.plan
        if endpoint is None or chosen is None or chosen.shadow is None or not endpoint.comparable:
            return
        assert exchange.served is not None  # a translated route's answer is read
        try:
            if self.breaker.state != "closed":
                raise UpstreamUnavailable
            done = self.budget.take("comparisons")
        except (UpstreamUnavailable, Busy):
            await self.skip(endpoint.name)
        else:
            exchange.response.background = BackgroundTask(
                self.compare, endpoint, chosen, exchange.call, exchange.served, done
            )

    async def skip(self, name: str) -> None:
        """A comparison not made: counted as skipped, never as a difference."""
        await self.records.skipped(name)
        self.metrics.comparisons.labels(name, "skipped").inc()

    async def compare(
        self,
        endpoint: Endpoint[Any],
        chosen: Plan,
        call: Call,
        served: Outcome,
        done: Callable[[], None],
    ) -> None:
        """Call the other version, and v1.1 once more to tell noise from differences (where the
        endpoint allows); record it.

        It holds one of the budget's slots until `done`, and has twice SHIM_UPSTREAM_TIMEOUT in
        all, never more than 80% of SIGTERM's grace period, so pending comparisons are always
        over before a graceful stop would cut them off (with a traceback). An answer that is
        the shim's own failure (130, 131: the upstream was unavailable) says nothing of v1.1
        against v2: such a comparison is skipped."""
        assert chosen.shadow is not None
        answer = self.backends.answer
        try:
            async with asyncio.timeout(min(2 * self.backends.timeout, 0.8 * GRACE)):
                _, other = await answer(endpoint, chosen.shadow, call)
                v1, v2 = (served, other) if chosen.serve == "v1" else (other, served)
                again = None
                if endpoint.repeat_v1:
                    _, again = await answer(endpoint, "v1", call)
            if {v1.code, v2.code, again and again.code} & SHIM_FAILURES:
                await self.skip(endpoint.name)
                return
            found = differences(endpoint.known, v1, v2, again)
            await self.records.record(endpoint.name, found)
            self.metrics.comparisons.labels(endpoint.name, outcome(found)).inc()
        except TimeoutError:
            await self.skip(endpoint.name)
        except Exception:  # a failed comparison must never touch the answer already given
            log.exception("comparing %s failed", endpoint.name)
        finally:
            done()
