"""The v1.1 calls v2 cannot serve (`mappings/unserved.py`): a route each, routed as the routing
file says, never answered with the upstream's bare 453.

Where the routing serves v2 (the default), the shim answers without an upstream call: 410, code 251,
saying that v2 offers no replacement, except `application/rate_limit_status`, which the shim answers
itself from the rate limits it has seen (`shim.serving.ratelimits`). Where it serves v1.1 (`v1`, the
all-v1 switch, a compare's v1 primary, a dry run, users outside a rollout), the call passes through
as it came; an upstream answer refusing the endpoint itself (453, 251, a 410) becomes the same 410,
code 251, and any other answer (an app with enterprise v1.1 access) reaches the client as it came.
Either way the exchange goes to the after-steps under the endpoint's name, so the dashboard and
`/metrics` count it per endpoint.
"""

import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from mappings.callers import is_app_only
from mappings.compare import Outcome
from mappings.routing import needs_user, plan
from mappings.unserved import RATE_LIMIT_STATUS, name, refuses_endpoint, unserved
from shim.credentials.upstream_auth import Bearer
from shim.errors import AppOnly, rendered
from shim.responses import decoded
from shim.serving import passthrough
from shim.serving.exchange import Exchange, follow_up
from shim.serving.identity import Call
from shim.serving.lifespan import Resources
from shim.serving.translated import override


@dataclass(frozen=True, slots=True)
class Unserved:
    """One call v2 cannot serve, as its route serves it."""

    method: str
    path: str
    resources: Resources

    async def serve(self, request: Request) -> Response:
        resources, label = self.resources, name(self.path)
        body = await request.body()
        routing, now = await resources.routing.current(), resources.clock()
        chosen = override(request, resources.settings.admin_token)
        # As a translated route: the caller is asked for once, while authenticating, where the
        # plan depends on the user (an app-only token names nobody: outside every rollout).
        per_user = chosen is None and needs_user(routing, label, now)
        call = await resources.identity.authenticate(
            request, body, wanted="asked" if per_user else "none"
        )
        user_id = call.caller.user_id if per_user and call.caller else ""
        served = plan(routing, label, user_id, now, chosen)
        started = time.monotonic()
        if served.serve == "v1":
            done = resources.slot(call.credentials, request)  # app-only: the unverified share
            try:
                response = await self.passed(call)
            finally:
                done()
        elif (self.method, self.path) == RATE_LIMIT_STATUS:
            if isinstance(call.credentials, Bearer) and is_app_only(call.credentials.token):
                raise AppOnly
            response = resources.rate_limits.answer(call)
        else:
            response = rendered(unserved(self.method, self.path))
        seconds = time.monotonic() - started
        outcome = Outcome(response.status_code, decoded(bytes(response.body)))
        exchange = Exchange(
            call, served.serve, response, seconds, plan=served, served=outcome, label=label
        )
        await follow_up(resources.after, exchange)
        return response

    async def passed(self, call: Call) -> Response:
        """v1.1's own answer, unless it refuses the endpoint itself: then the clear error."""
        response, content = await passthrough.exchange(
            self.resources.upstream, call.request, call.body, call.credentials.auth()
        )
        if refuses_endpoint(response.status_code, decoded(content)):
            return rendered(unserved(self.method, self.path))
        return response
