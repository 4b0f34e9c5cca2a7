"""`application/rate_limit_status` answered by the shim (v2 has no replacement): the
`x-rate-limit-*` windows seen per caller and v1.1 read, recorded by an after-step, and the
answer `mappings.ratelimits` makes of them, with X's published limits for reads not seen yet.

Kept in this process, bounded (`PerCaller`: a handful of windows per caller, one caller able to
push out only its own): each instance, and each worker, knows the windows of the answers it
gave. The windows are advisory (every answer carries the live ones in its headers), so writing
them to Redis on every answer would cost a round trip for little; an instance that has seen
nothing of a caller answers with the published limits.
"""

from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.responses import Response

from mappings import ratelimits
from shim.credentials.upstream_auth import Credentials
from shim.edge.limits import target
from shim.responses import render
from shim.serving.exchange import Exchange
from shim.serving.identity import Call
from shim.stores.memory import PerCaller

PER_CALLER = 32  # reads' windows kept per caller; v1.1 apps call a handful of reads


class RateLimits:
    """The windows seen, per caller (its credentials' key) and rate_limit_status key."""

    def __init__(self, callers: int, clock: Callable[[], float]) -> None:
        self.windows: PerCaller[ratelimits.Seen] = PerCaller(callers, PER_CALLER)
        self.clock = clock

    async def after(self, exchange: Exchange) -> None:
        """Keep the window an answer to a v1.1 read stated, under its endpoint's key."""
        key = self.key(exchange)
        if key is None:
            return
        window = ratelimits.seen(exchange.response.headers)
        if window is not None:
            self.windows.put(exchange.call.credentials.key, key, window)

    @staticmethod
    def key(exchange: Exchange) -> str | None:
        """The rate_limit_status key of a v1.1 read: v1.1 listed its GET endpoints only."""
        endpoint = exchange.endpoint
        if endpoint is not None:
            return ratelimits.key(endpoint.name) if "GET" in endpoint.methods else None
        if exchange.call.request.method != "GET":
            return None
        found = ratelimits.path_name(target(exchange.call.request.scope)[0])
        return ratelimits.key(found) if found is not None else None

    def answer(self, call: Call) -> Response:
        """v1.1's rate_limit_status for this caller. The context names the access token as
        v1.1 did for OAuth 1.0a (its public half); an OAuth 2.0 token is a secret, so only its
        user's id stands there."""
        credentials = call.credentials
        if isinstance(credentials, Credentials):
            context = {"access_token": credentials.token}
        else:
            context = {"user_id": call.caller.user_id if call.caller else ""}
        query = target(call.request.scope)[1]
        resources = dict(parse_qsl(query, keep_blank_values=True)).get("resources")
        body = ratelimits.status(
            context, self.windows.items(credentials.key), resources, self.clock()
        )
        return render(200, body)
