"""Who calls: the caller's credentials checked, and the user they stand for."""

import asyncio
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from mappings.callers import caller_from_token, is_app_only, whoami
from mappings.errors import V11Error
from mappings.types import Caller, V11Request
from shim.credentials.upstream_auth import Bearer, Credentials, bearer_token
from shim.credentials.verifier import SecretOf, Verifier
from shim.edge.fairness import Slots, address
from shim.edge.limits import count_parameters, target
from shim.edge.origins import Origins
from shim.errors import AppOnly, NotAuthenticated, UnknownToken
from shim.stores.memory import TTLCache
from shim.stores.protocols import Cache
from shim.upstream.client import Send, within
from shim.upstream.lookups import Lookups

Caught = Credentials | Bearer
Wanted = Literal["asked", "known", "none"]
"""How much of the caller a route needs before it serves: asked of v2 if nothing here knows
(a per-user route decides by the user's id), whatever is known without asking (a v2
translation starts from it), or none (v1.1 as it came)."""
REFUSED_TTL = 300.0  # seconds an OAuth 2.0 token v2 refused is refused without asking again


@dataclass(frozen=True, slots=True)
class Call:
    """One request past the edge, authenticated once: the HTTP request and its body, whose
    credentials signed it and how to send v2 calls as them, the caller as far as its route
    wanted it (`Wanted`), and on a translated route the v1.1 request its flow reads. Every
    later step reads these rather than parse them, look them up or come back here again."""

    request: Request
    body: bytes
    credentials: Caught
    # Sends v2 calls as this caller; lookups marked cacheable come from the cache if there.
    send: Send
    caller: Caller | None = None
    v11: V11Request | None = None


class Identity:
    """Checks credentials (OAuth 1.0a signatures, OAuth 2.0 tokens v2 accepts) and names the
    caller: from the token's numeric prefix, the callers cache, or v2 once a token."""

    def __init__(
        self,
        verifier: Verifier,
        secret_of: SecretOf,
        origins: Origins,
        callers: Cache[Caller],
        lookups: Lookups,
        timeout: float,
        cache_size: int,
        unverified: Slots,
    ) -> None:
        self.verifier = verifier
        self.secret_of = secret_of
        self.origins = origins
        self.callers = callers
        self.lookups = lookups
        self.timeout = timeout
        # OAuth 2.0 tokens v2 refused: a junk token costs one upstream call, not one a request.
        self.refused: TTLCache[str, bool] = TTLCache(cache_size, REFUSED_TTL)
        # Asking v2 about a bearer token: anyone can make new ones, so no caller's own share.
        self.unverified = unverified
        # Tokens v2 is being asked about now: bounded by the requests under way (bearer tokens
        # by the unverified share).
        self.asking: dict[str, asyncio.Event] = {}

    async def authenticate(
        self, request: Request, body: bytes, app_only: bool = True, wanted: Wanted = "none"
    ) -> Call:
        """The request as a `Call`, with as much of its caller as the route `wanted`: a
        verified OAuth 1.0a signature, or an OAuth 2.0 token v2 has accepted (a user's token
        checked once with /2/users/me, then cached: its caller comes with it). An app-only
        token names no user for v2 to check: where `app_only` allows it, it passes on as it
        came, for v1.1's app-only reads, in the unverified share (`Resources.slot`); elsewhere
        it is refused. Too many parameters are refused first. Nothing later comes back here:
        the `Call` is all a route learns of who calls."""
        count_parameters(request.scope, body)
        bearer = bearer_token(request.headers.get("authorization", ""))
        if bearer is None:
            credentials = await self.verifier.verify(
                self.signed_url(request), request.method, body, request.headers, self.secret_of
            )
            caller = None
            if wanted == "asked":
                caller = await self.caller(credentials, address(request.scope))
            elif wanted == "known":
                caller = await self.cached(credentials)
            return Call(request, body, credentials, self.sender(credentials), caller)
        if not is_app_only(bearer.token):
            caller = await self.caller(bearer, address(request.scope))
            return Call(request, body, bearer, self.sender(bearer), caller)
        if not app_only:
            raise AppOnly
        return Call(request, body, bearer, self.sender(bearer))

    def signed_url(self, request: Request) -> str:
        """The URL the client signed: on one of the shim's own origins, never another host's."""
        server = request.scope.get("server")
        base = self.origins.base(
            request.scope["scheme"],
            request.headers.get("host", ""),
            (str(server[0]), int(server[1])) if server else None,
        )
        if base is None:
            raise NotAuthenticated
        # The path and query forwarded, as they came (never request.url: it is rebuilt from Host).
        path, query = target(request.scope)
        return base + path + (f"?{query}" if query else "")

    async def caller(self, credentials: Caught, client: str) -> Caller:
        """Who calls, asking v2 only when nothing here knows. While v2 is asked about a token,
        its other requests wait for that answer rather than each asking (and each taking a slot
        of the unverified share); if it brings none, they ask themselves."""
        known = await self.known(credentials)
        if known is None and (asking := self.asking.get(credentials.key)) is not None:
            await asking.wait()
            known = await self.known(credentials)
        return known if known is not None else await self.ask(credentials, client)

    async def known(self, credentials: Caught) -> Caller | None:
        """The caller if known here; `UnknownToken` if v2 refused the token lately."""
        cached = await self.cached(credentials)
        if cached is None and await self.refused.get(credentials.key):
            raise UnknownToken
        return cached

    async def ask(self, credentials: Caught, client: str) -> Caller:
        """Ask v2 who the token's user is: for a bearer token, in the unverified share, as a
        call from the `client` address (a signature verified here vouches for OAuth 1.0a
        credentials; nothing has vouched for a bearer token yet)."""
        key, answered = credentials.key, asyncio.Event()
        unverified = isinstance(credentials, Bearer)
        try:
            with self.unverified.holding(client) if unverified else nullcontext():
                self.asking.setdefault(key, answered)
                caller = await within(self.timeout, whoami(), self.sender(credentials))
            await self.callers.put(key, caller)
            return caller
        except V11Error as error:
            if error.code == 89:
                await self.refused.put(key, True)
            raise
        finally:
            if self.asking.get(key) is answered:
                del self.asking[key]
            answered.set()

    async def cached(self, credentials: Caught) -> Caller | None:
        """The caller, where it is known without asking v2. Only OAuth 1.0a tokens carry their
        user's id; an OAuth 2.0 token's text says nothing."""
        if isinstance(credentials, Credentials):
            known = caller_from_token(credentials.token)
            if known is not None:
                return known
        return await self.callers.get(credentials.key)

    def sender(self, credentials: Caught) -> Send:
        return self.lookups.sender(credentials.auth(), credentials.key)
