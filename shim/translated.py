"""Serving a translated endpoint: route the call to v1.1 or to the v2 translation, answer, and,
in compare mode, call the other version after answering and record how the two differ.

Only translated endpoints are ever compared: mute and unmute are idempotent and the lists are
reads, so calling both versions is safe. Pass-through calls are never shadowed.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from mappings.callers import is_app_only
from mappings.compare import Outcome, differences
from mappings.errors import V11Error
from mappings.routing import Backend, Plan, needs_user, plan
from mappings.types import Caller, Context, Flow, V11Reply, V11Request
from shim import passthrough
from shim.comparisons import outcome
from shim.config import GRACE
from shim.shell import digest, identify
from shim.signing import FORM, bearer_token, without_oauth
from shim.upstream import within

if TYPE_CHECKING:
    from shim.shell import Caught, Shell

log = logging.getLogger("shim")

V11_JSON = "application/json;charset=utf-8"  # v1.1's own spelling, without a space
SHIM_FAILURES = {130, 131}  # what the shim answers when the upstream fails it
FlowFactory = Callable[[V11Request, Context], Flow]


def render(status: int, body: object, headers: Mapping[str, str] | None = None) -> Response:
    """A v1.1 JSON answer."""
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status, dict(headers or {}), media_type=V11_JSON)


async def serve(shell: "Shell", name: str, flow: FlowFactory, request: Request) -> Response:
    """Answer one call of a translated endpoint as the routing says."""
    body = await request.body()
    bearer = bearer_token(request.headers.get("authorization", ""))
    if bearer is not None and is_app_only(bearer.token):
        raise V11Error(220)
    credentials = await shell.authenticate(request, body)
    routing = await shell.routing.current()
    user_id = ""
    if needs_user(routing, name):
        user_id = (await shell.caller(credentials)).user_id
    chosen = plan(routing, name, user_id)
    started = time.monotonic()
    with shell.slots.holding(digest(credentials.token)):
        response, served = await answer(shell, chosen.serve, flow, request, body, credentials)
    shell.metrics.served(name, chosen.serve, response.status_code, time.monotonic() - started)
    if chosen.shadow is not None:
        try:
            # Serving comes first: no queue of comparisons, none while the upstream struggles.
            if shell.upstream.breaker.state != "closed":
                raise V11Error(130)
            done = shell.shadows.take("comparisons")
        except V11Error:
            await skip(shell, name)
        else:
            response.background = BackgroundTask(
                compare, shell, name, chosen, flow, request, body, credentials, served, done
            )
    return response


async def skip(shell: "Shell", name: str) -> None:
    """A comparison not made: counted as skipped, never as a difference."""
    await shell.comparisons.skipped(name)
    shell.metrics.comparisons.labels(name, "skipped").inc()


async def answer(
    shell: "Shell",
    backend: Backend,
    flow: FlowFactory,
    request: Request,
    body: bytes,
    credentials: "Caught",
) -> tuple[Response, Outcome]:
    """One version's answer to the call, as the client would get it and as data to compare."""
    try:
        if backend == "v1":
            response, content = await passthrough.exchange(
                shell.upstream, request, body, credentials.auth()
            )
            return response, Outcome(response.status_code, _json(content))
        reply = await translate(shell, flow, request, body, credentials)
        return render(reply.status, reply.body, reply.headers), Outcome(reply.status, reply.body)
    except V11Error as error:
        return render(error.status, error.body(), error.headers), Outcome(
            error.status, error.body()
        )


async def translate(
    shell: "Shell", flow: FlowFactory, request: Request, body: bytes, credentials: "Caught"
) -> V11Reply:
    """The v2 translation of the call."""
    params = v11_params(request.url.query, body, request.headers.get("content-type", ""))
    v11 = V11Request(request.method, request.url.path, params)
    learned: list[Caller] = []
    context = Context(
        identify(await shell.cached_caller(credentials), learned),
        await shell.issued_cursors(v11.param("cursor")),
    )
    reply = await within(
        shell.settings.upstream_timeout, flow(v11, context), shell.sender(credentials)
    )
    for caller in learned:
        await shell.remember_caller(credentials, caller)
    for cursor, token in reply.cursors.items():
        await shell.cursors.put(cursor, token)
    return reply


async def compare(
    shell: "Shell",
    name: str,
    chosen: Plan,
    flow: FlowFactory,
    request: Request,
    body: bytes,
    credentials: "Caught",
    served: Outcome,
    done: Callable[[], None],
) -> None:
    """Call the other version, and v1.1 once more to tell noise from differences; record it.

    It holds one of the shell's COMPARISONS slots until `done`, and has twice
    SHIM_UPSTREAM_TIMEOUT in all, never more than 80% of SIGTERM's grace period, so pending
    comparisons are always over before a graceful stop would cut them off (with a traceback).
    An answer that is the shim's own failure (130, 131: the upstream was unavailable) says
    nothing of v1.1 against v2: such a comparison is skipped."""
    assert chosen.shadow is not None
    try:
        async with asyncio.timeout(min(2 * shell.settings.upstream_timeout, 0.8 * GRACE)):
            _, other = await answer(shell, chosen.shadow, flow, request, body, credentials)
            v1, v2 = (served, other) if chosen.serve == "v1" else (other, served)
            again = None
            # A second unmute would only see the first one's effect: no noise to tell.
            if not name.endswith("destroy"):
                _, again = await answer(shell, "v1", flow, request, body, credentials)
        if {v1.code, v2.code, again and again.code} & SHIM_FAILURES:
            await skip(shell, name)
            return
        found = differences(name, v1, v2, again)
        await shell.comparisons.record(name, found)
        shell.metrics.comparisons.labels(name, outcome(found)).inc()
    except TimeoutError:
        await skip(shell, name)
    except Exception:  # a failed comparison must never touch the answer already given
        log.exception("comparing %s failed", name)
    finally:
        done()


def v11_params(query: str, body: bytes, content_type: str) -> tuple[tuple[str, str], ...]:
    """The request's query and form parameters, without the OAuth ones."""
    pairs = parse_qsl(without_oauth(query), keep_blank_values=True)
    if content_type.startswith(FORM):
        pairs += parse_qsl(without_oauth(body.decode()), keep_blank_values=True)
    return tuple(pairs)


def _json(content: bytes) -> object:
    try:
        return json.loads(content)
    except ValueError:
        return None
