"""Serving a translated endpoint: authenticate the call, route it to v1.1 or to the v2
translation, answer, then give the exchange to the after-steps (`shim.serving.exchange`)."""

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
from shim.edge.fairness import address
from shim.edge.limits import target
from shim.errors import BadAuthData, BadOverride
from shim.serving.exchange import Exchange, follow_up
from shim.serving.identity import Call
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
        call = await resources.identity.authenticate(request, body, app_only=False)
        call, chosen = await self.planned(call)
        started = time.monotonic()
        with resources.slots.holding(call.credentials.key):
            response, served = await resources.backends.answer(self.endpoint, chosen.serve, call)
        seconds = time.monotonic() - started
        exchange = Exchange(call, chosen.serve, response, seconds, self.endpoint, chosen, served)
        await follow_up(resources.after, exchange)
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
        identity = self.resources.identity
        routing, now = await self.resources.routing.current(), self.resources.clock()
        chosen_backend = override(request, self.resources.settings.admin_token)
        caller, user_id = call.caller, ""
        if chosen_backend is None and needs_user(routing, name, now):
            if caller is None:
                caller = await identity.caller(call.credentials, address(request.scope))
            user_id = caller.user_id
        chosen = plan(routing, name, user_id, now, chosen_backend)
        if caller is None and (chosen.dry_run or "v2" in (chosen.serve, chosen.shadow)):
            caller = await identity.cached(call.credentials)
        return replace(call, caller=caller), chosen


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
