"""Serving a translated endpoint: plan it from the routing, authenticate the call once with as
much of its caller as the plan needs (a per-user route: the caller's id, then the plan), answer
through v1.1 or the v2 translation, then give the exchange to the after-steps
(`shim.serving.exchange`). Nothing here goes back to `identity` once the `Call` is made."""

import hmac
import logging
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from mappings.endpoints import Endpoint
from mappings.routing import Backend, Plan, needs_user, plan
from mappings.types import V11Request
from shim.credentials.upstream_auth import FORM, without_oauth
from shim.edge.limits import target
from shim.errors import BadAuthData, BadOverride
from shim.serving.exchange import Exchange, follow_up
from shim.serving.identity import Call, Wanted
from shim.serving.lifespan import Resources

log = logging.getLogger("shim")

OVERRIDE, OVERRIDE_TOKEN = "x-shim-backend", "x-shim-admin-token"


@dataclass(frozen=True, slots=True)
class Translated:
    """A translated endpoint as its route serves it: its record, and what the lifespan opened."""

    endpoint: Endpoint[Any]
    resources: Resources

    async def serve(self, request: Request) -> Response:
        """Answer one call as the routing says, then give the exchange to the after-steps."""
        resources = self.resources
        body = await request.body()
        routing, now = await resources.routing.current(), resources.clock()
        chosen_backend = override(request, resources.settings.admin_token)
        # A per-user route is planned once the caller is known; any other is planned now, and
        # says how much of the caller authenticating must bring (`identity.Wanted`).
        per_user = chosen_backend is None and needs_user(routing, self.endpoint.name, now)
        chosen = None if per_user else plan(routing, self.endpoint.name, "", now, chosen_backend)
        anyone = self.endpoint.anyone
        call = await resources.identity.authenticate(
            request, body, app_only=anyone, wanted=wanted(chosen)
        )
        if chosen is None:
            # "asked": authenticate named the caller or raised, unless an app-only token came
            # where anyone may call: it names no user, and plans as the empty one.
            assert call.caller is not None or anyone
            user_id = call.caller.user_id if call.caller else ""
            chosen = plan(routing, self.endpoint.name, user_id, now, chosen_backend)
        call = replace(call, v11=self.v11(call))
        started = time.monotonic()
        with resources.slots.holding(call.credentials.key):
            response, served = await resources.backends.answer(self.endpoint, chosen.serve, call)
        seconds = time.monotonic() - started
        exchange = Exchange(call, chosen.serve, response, seconds, self.endpoint, chosen, served)
        await follow_up(resources.after, exchange)
        return response

    def v11(self, call: Call) -> V11Request:
        """The v1.1 request its flow reads: the query as it came and the route's own path (the
        fence let no other spelling by), never request.url, which Starlette rebuilds with the
        Host header."""
        query = target(call.request.scope)[1]
        content_type = call.request.headers.get("content-type", "")
        params = v11_params(query, call.body, content_type)
        # An id in the path (`statuses/destroy/:id`) is the request's `id`, ahead of any other.
        in_path = tuple(call.request.path_params.items())
        return V11Request(call.request.method, self.endpoint.path, (*in_path, *params))


def override(request: Request, token: str | None) -> Backend | None:
    """The backend an operator asks for in `X-Shim-Backend`, honoured only with the admin
    token in `X-Shim-Admin-Token`: a user cannot pick their own routing."""
    wanted = request.headers.get(OVERRIDE)
    if wanted is None:
        return None
    # As bytes: compare_digest refuses text with non-ASCII characters (a TypeError).
    given = request.headers.get(OVERRIDE_TOKEN, "").encode()
    if not token or not hmac.compare_digest(given, token.encode()):
        log.warning("%s ignored: no valid %s with it", OVERRIDE, OVERRIDE_TOKEN)
        return None
    if wanted not in ("v1", "v2"):
        raise BadOverride
    return "v1" if wanted == "v1" else "v2"


def wanted(chosen: Plan | None) -> Wanted:
    """How much of the caller a plan needs: asked of v2 when there is no plan yet (it depends
    on the user), what is known without asking when v2 serves, shadows or dry-runs the call
    (a translation starts from it), none when v1.1 alone answers it as it came."""
    if chosen is None:
        return "asked"
    return "known" if chosen.dry_run or "v2" in (chosen.serve, chosen.shadow) else "none"


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
