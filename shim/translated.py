"""Serving a translated endpoint: route the call to v1.1 or to the v2 translation, answer, and,
in compare mode, call the other version after answering and record how the two differ.

Only translated endpoints are ever compared: mute and unmute are idempotent and the others
are reads, so calling both versions is safe. Pass-through calls are never shadowed.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from mappings.callers import is_app_only
from mappings.compare import Outcome, differences
from mappings.endpoints import Endpoint, run
from mappings.errors import V11Error
from mappings.params import number
from mappings.routing import Backend, Plan, needs_user, plan
from mappings.types import Known, V11Reply, V11Request
from shim import passthrough, requests_log
from shim.breaker import CircuitBreaker
from shim.comparisons import Comparisons, outcome
from shim.config import GRACE
from shim.credentials import digest
from shim.fairness import Slots
from shim.identity import Caught, Identity
from shim.metrics import Metrics
from shim.responses import decoded, render
from shim.routing import RoutingFile
from shim.shared import Cache
from shim.signing import FORM, bearer_token, without_oauth
from shim.upstream import Upstream, within

log = logging.getLogger("shim")

SHIM_FAILURES = {130, 131}  # what the shim answers when the upstream fails it


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a translated endpoint, as read: the HTTP request and its body, whose
    credentials signed it, and the v1.1 request the flow gets."""

    request: Request
    body: bytes
    credentials: Caught
    v11: V11Request


class Versions:
    """Answering a translated call as either version: v1.1 passed through as it came, or the
    v2 translation, its flow given what the shell knows as values."""

    def __init__(
        self, upstream: Upstream, identity: Identity, cursors: Cache[str], timeout: float
    ) -> None:
        self.upstream = upstream
        self.identity = identity
        self.cursors = cursors
        self.timeout = timeout

    async def answer(
        self, endpoint: Endpoint[Any], backend: Backend, call: Call
    ) -> tuple[Response, Outcome]:
        """One version's answer, as the client would get it and as data to compare."""
        try:
            if backend == "v1":
                response, content = await passthrough.exchange(
                    self.upstream, call.request, call.body, call.credentials.auth()
                )
                return response, Outcome(response.status_code, decoded(content))
            reply = await self.translate(endpoint, call)
            return render(reply.status, reply.body, reply.headers), Outcome(
                reply.status, reply.body
            )
        except V11Error as error:
            return render(error.status, error.body(), error.headers), Outcome(
                error.status, error.body()
            )

    async def translate(self, endpoint: Endpoint[Any], call: Call) -> V11Reply:
        """The v2 translation; what its flow returns to remember is remembered here."""
        identity, credentials = self.identity, call.credentials
        known = Known(
            await identity.cached(credentials), await self.issued(call.v11.param("cursor"))
        )
        done = await within(
            self.timeout, run(endpoint, call.v11, known), identity.sender(credentials)
        )
        if done.caller is not None:
            await identity.remember(credentials, done.caller)
        reply = done.answer()
        for cursor, token in reply.cursors.items():
            await self.cursors.put(cursor, token)
        return reply

    async def issued(self, cursor: str | None) -> dict[str, str]:
        """The v2 page token the request's cursor stands for, if the shim issued it."""
        issued = number((cursor or "").removeprefix("-"))
        if issued is None:
            return {}
        token = await self.cursors.get(str(issued))
        return {str(issued): token} if token is not None else {}


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

    async def after(
        self, endpoint: Endpoint[Any], chosen: Plan, call: Call, served: Outcome, response: Response
    ) -> None:
        """Compare once `response` is sent, or count the comparison skipped: serving comes
        first, so there is no queue of comparisons and none while the upstream struggles."""
        try:
            if self.breaker.state != "closed":
                raise V11Error(130)
            done = self.budget.take("comparisons")
        except V11Error:
            await self.skip(endpoint.name)
        else:
            response.background = BackgroundTask(self.compare, endpoint, chosen, call, served, done)

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
    metrics: Metrics
    versions: Versions
    comparer: Comparer

    async def serve(self, request: Request) -> Response:
        """Answer one call as the routing says."""
        name = self.endpoint.name
        body = await request.body()
        bearer = bearer_token(request.headers.get("authorization", ""))
        if bearer is not None and is_app_only(bearer.token):
            raise V11Error(220)
        credentials = await self.identity.authenticate(request, body)
        params = v11_params(request.url.query, body, request.headers.get("content-type", ""))
        call = Call(
            request, body, credentials, V11Request(request.method, request.url.path, params)
        )
        routing = await self.routing.current()
        user_id = ""
        if needs_user(routing, name):
            user_id = (await self.identity.caller(credentials)).user_id
        chosen = plan(routing, name, user_id)
        started = time.monotonic()
        with self.slots.holding(digest(credentials.token)):
            response, served = await self.versions.answer(self.endpoint, chosen.serve, call)
        seconds = time.monotonic() - started
        self.metrics.served(name, chosen.serve, response.status_code, served.code, seconds)
        requests_log.served(name, chosen.serve, response.status_code, served.code, seconds)
        if chosen.shadow is not None:
            await self.comparer.after(self.endpoint, chosen, call, served, response)
        return response


def v11_params(query: str, body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    """The request's query and form parameters, without the OAuth ones."""
    pairs = parse_qsl(without_oauth(query), keep_blank_values=True)
    if content_type.startswith(FORM):
        pairs += parse_qsl(without_oauth(body.decode()), keep_blank_values=True)
    return tuple(pairs)
