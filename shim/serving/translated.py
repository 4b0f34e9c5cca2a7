"""Serving a translated endpoint: route the call to v1.1 or to the v2 translation, answer, and,
in compare mode, call the other version after answering and record how the two differ.

Only translated endpoints whose row says `comparable` are ever compared (a write only when
doing it twice leaves what doing it once did). Pass-through calls are never shadowed.
"""

import asyncio
import hmac
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from mappings.compare import Outcome, differences
from mappings.endpoints import Endpoint
from mappings.routing import Backend, Plan, needs_user, plan
from mappings.types import V11Request
from shim.config import GRACE
from shim.credentials.upstream_auth import FORM, without_oauth
from shim.edge.fairness import Slots, address
from shim.edge.limits import target
from shim.errors import BadAuthData, BadOverride, Busy, UpstreamUnavailable
from shim.serving.backends import Versions
from shim.serving.exchange import AfterStep, Exchange, follow_up
from shim.serving.identity import Call, Identity
from shim.serving.metrics import Metrics
from shim.stores.comparisons import outcome
from shim.stores.protocols import Comparisons
from shim.stores.routes import RoutingFile
from shim.upstream.breaker import CircuitBreaker

log = logging.getLogger("shim")

SHIM_FAILURES = {130, 131}
OVERRIDE, OVERRIDE_TOKEN = (
    "x-shim-backend",
    "x-shim-admin-token",
)  # what the shim answers when the upstream fails it


class Comparer:
    """Compare mode's other half: after answering, call the other version and record how the
    two differ, within a budget of its own."""

    def __init__(
        self,
        versions: Versions,
        records: Comparisons,
        budget: Slots,
        breaker: CircuitBreaker,
        metrics: Metrics,
    ) -> None:
        self.versions = versions
        self.records = records
        self.budget = budget
        self.breaker = breaker
        self.metrics = metrics

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
        answer = self.versions.answer
        try:
            async with asyncio.timeout(min(2 * self.versions.timeout, 0.8 * GRACE)):
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


@dataclass(frozen=True, slots=True)
class Translated:
    """A translated endpoint as its route serves it: its record, and only what serving it uses."""

    endpoint: Endpoint[Any]
    identity: Identity
    routing: RoutingFile
    slots: Slots
    versions: Versions
    after: Sequence[AfterStep]
    admin_token: str | None
    clock: Callable[[], float]

    async def serve(self, request: Request) -> Response:
        """Answer one call as the routing says, then give the exchange to the after-steps."""
        call = await self.identity.authenticate(request, await request.body(), app_only=False)
        call, chosen = await self.planned(call)
        started = time.monotonic()
        with self.slots.holding(call.credentials.key):
            response, served = await self.versions.answer(self.endpoint, chosen.serve, call)
        seconds = time.monotonic() - started
        exchange = Exchange(call, chosen.serve, response, seconds, self.endpoint, chosen, served)
        await follow_up(self.after, exchange)
        return response

    async def planned(self, call: Call) -> tuple[Call, Plan]:
        """The call with its v1.1 request and the caller its plan needs, and the plan. The
        caller is looked up once here: asked of v2 if the routing needs the user's id, else
        taken where known for a v2 translation to use."""
        request, name = call.request, self.endpoint.name
        # The query as it came and the route's own path (the fence let no other spelling by),
        # never request.url, which Starlette rebuilds with the Host header.
        query = target(request.scope)[1]
        params = v11_params(query, call.body, request.headers.get("content-type", ""))
        call = replace(call, v11=V11Request(request.method, self.endpoint.path, params))
        routing, now = await self.routing.current(), self.clock()
        override = self.override(request)
        caller, user_id = call.caller, ""
        if override is None and needs_user(routing, name, now):
            if caller is None:
                caller = await self.identity.caller(call.credentials, address(request.scope))
            user_id = caller.user_id
        chosen = plan(routing, name, user_id, now, override)
        if caller is None and (chosen.dry_run or "v2" in (chosen.serve, chosen.shadow)):
            caller = await self.identity.cached(call.credentials)
        return replace(call, caller=caller), chosen

    def override(self, request: Request) -> Backend | None:
        """The backend an operator asks for in `X-Shim-Backend`, honoured only with the admin
        token in `X-Shim-Admin-Token`: a user cannot pick their own routing."""
        wanted = request.headers.get(OVERRIDE)
        if wanted is None:
            return None
        # As bytes: compare_digest refuses text with non-ASCII characters (a TypeError).
        given = request.headers.get(OVERRIDE_TOKEN, "").encode()
        if not self.admin_token or not hmac.compare_digest(given, self.admin_token.encode()):
            log.warning("%s ignored: no valid %s with it", OVERRIDE, OVERRIDE_TOKEN)
            return None
        if wanted not in ("v1", "v2"):
            raise BadOverride
        return "v1" if wanted == "v1" else "v2"


def v11_params(query: str, body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    """The request's query and form parameters, without the OAuth ones. A form body that is not
    UTF-8 is refused as a signed one is (shim.credentials.verifier): nothing it names can be
    read."""
    pairs = parse_qsl(without_oauth(query), keep_blank_values=True)
    if content_type.startswith(FORM):
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise BadAuthData from None
        pairs += parse_qsl(without_oauth(text), keep_blank_values=True)
    return tuple(pairs)
