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
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from mappings.callers import is_app_only
from mappings.compare import Outcome, differences
from mappings.endpoints import Endpoint, run
from mappings.errors import V11Error
from mappings.routing import Backend, Plan, needs_user, plan
from mappings.types import Known, V11Reply, V11Request
from shim import passthrough
from shim.comparisons import outcome
from shim.config import GRACE
from shim.credentials import digest
from shim.responses import decoded, render
from shim.signing import FORM, bearer_token, without_oauth
from shim.upstream import within

if TYPE_CHECKING:
    from shim.shell import Caught, Shell

log = logging.getLogger("shim")

SHIM_FAILURES = {130, 131}  # what the shim answers when the upstream fails it


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a translated endpoint, as read: the HTTP request and its body, whose
    credentials signed it, and the v1.1 request the flow gets."""

    request: Request
    body: bytes
    credentials: "Caught"
    v11: V11Request


class Translated:
    """A translated endpoint as its route serves it: its record, and the shell it runs in."""

    def __init__(self, endpoint: Endpoint[Any], shell: "Shell") -> None:
        self.endpoint = endpoint
        self.name = endpoint.name
        self.shell = shell

    async def serve(self, request: Request) -> Response:
        """Answer one call as the routing says."""
        shell = self.shell
        body = await request.body()
        bearer = bearer_token(request.headers.get("authorization", ""))
        if bearer is not None and is_app_only(bearer.token):
            raise V11Error(220)
        credentials = await shell.authenticate(request, body)
        params = v11_params(request.url.query, body, request.headers.get("content-type", ""))
        call = Call(
            request, body, credentials, V11Request(request.method, request.url.path, params)
        )
        routing = await shell.routing.current()
        user_id = ""
        if needs_user(routing, self.name):
            user_id = (await shell.caller(credentials)).user_id
        chosen = plan(routing, self.name, user_id)
        started = time.monotonic()
        with shell.slots.holding(digest(credentials.token)):
            response, served = await self.answer(chosen.serve, call)
        shell.metrics.served(
            self.name, chosen.serve, response.status_code, time.monotonic() - started
        )
        if chosen.shadow is not None:
            try:
                # Serving comes first: no queue of comparisons, none while the upstream struggles.
                if shell.upstream.breaker.state != "closed":
                    raise V11Error(130)
                done = shell.shadows.take("comparisons")
            except V11Error:
                await self.skip()
            else:
                response.background = BackgroundTask(self.compare, chosen, call, served, done)
        return response

    async def skip(self) -> None:
        """A comparison not made: counted as skipped, never as a difference."""
        await self.shell.comparisons.skipped(self.name)
        self.shell.metrics.comparisons.labels(self.name, "skipped").inc()

    async def answer(self, backend: Backend, call: Call) -> tuple[Response, Outcome]:
        """One version's answer, as the client would get it and as data to compare."""
        try:
            if backend == "v1":
                response, content = await passthrough.exchange(
                    self.shell.upstream, call.request, call.body, call.credentials.auth()
                )
                return response, Outcome(response.status_code, decoded(content))
            reply = await self.translate(call)
            return render(reply.status, reply.body, reply.headers), Outcome(
                reply.status, reply.body
            )
        except V11Error as error:
            return render(error.status, error.body(), error.headers), Outcome(
                error.status, error.body()
            )

    async def translate(self, call: Call) -> V11Reply:
        """The v2 translation: the flow gets what the shell knows as values, and what it
        returns to remember is remembered here."""
        shell, credentials = self.shell, call.credentials
        known = Known(
            await shell.cached_caller(credentials),
            await shell.issued_cursors(call.v11.param("cursor")),
        )
        done = await within(
            shell.settings.upstream_timeout,
            run(self.endpoint, call.v11, known),
            shell.sender(credentials),
        )
        if done.caller is not None:
            await shell.remember_caller(credentials, done.caller)
        reply = done.answer()
        for cursor, token in reply.cursors.items():
            await shell.cursors.put(cursor, token)
        return reply

    async def compare(
        self, chosen: Plan, call: Call, served: Outcome, done: Callable[[], None]
    ) -> None:
        """Call the other version, and v1.1 once more to tell noise from differences (where the
        endpoint allows); record it.

        It holds one of the shell's COMPARISONS slots until `done`, and has twice
        SHIM_UPSTREAM_TIMEOUT in all, never more than 80% of SIGTERM's grace period, so pending
        comparisons are always over before a graceful stop would cut them off (with a traceback).
        An answer that is the shim's own failure (130, 131: the upstream was unavailable) says
        nothing of v1.1 against v2: such a comparison is skipped."""
        assert chosen.shadow is not None
        try:
            async with asyncio.timeout(min(2 * self.shell.settings.upstream_timeout, 0.8 * GRACE)):
                _, other = await self.answer(chosen.shadow, call)
                v1, v2 = (served, other) if chosen.serve == "v1" else (other, served)
                again = None
                if self.endpoint.repeat_v1:
                    _, again = await self.answer("v1", call)
            if {v1.code, v2.code, again and again.code} & SHIM_FAILURES:
                await self.skip()
                return
            found = differences(self.endpoint.known, v1, v2, again)
            await self.shell.comparisons.record(self.name, found)
            self.shell.metrics.comparisons.labels(self.name, outcome(found)).inc()
        except TimeoutError:
            await self.skip()
        except Exception:  # a failed comparison must never touch the answer already given
            log.exception("comparing %s failed", self.name)
        finally:
            done()


def v11_params(query: str, body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    """The request's query and form parameters, without the OAuth ones."""
    pairs = parse_qsl(without_oauth(query), keep_blank_values=True)
    if content_type.startswith(FORM):
        pairs += parse_qsl(without_oauth(body.decode()), keep_blank_values=True)
    return tuple(pairs)
