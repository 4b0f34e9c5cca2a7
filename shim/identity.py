"""Who calls: the caller's credentials checked, and the user they stand for."""

from starlette.requests import Request

from mappings.callers import caller_from_token, is_app_only, whoami
from mappings.errors import V11Error
from mappings.types import Caller
from shim.auth import SecretOf, Verifier
from shim.cached import Lookups
from shim.caches import TTLCache
from shim.limits import target
from shim.origins import Origins
from shim.shared import Cache
from shim.signing import Bearer, Credentials, bearer_token
from shim.upstream import Send, within

Caught = Credentials | Bearer
REFUSED_TTL = 300.0  # seconds an OAuth 2.0 token v2 refused is refused without asking again


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
    ) -> None:
        self.verifier = verifier
        self.secret_of = secret_of
        self.origins = origins
        self.callers = callers
        self.lookups = lookups
        self.timeout = timeout
        # OAuth 2.0 tokens v2 refused: a junk token costs one upstream call, not one a request.
        self.refused: TTLCache[str, bool] = TTLCache(cache_size, REFUSED_TTL)

    async def authenticate(self, request: Request, body: bytes) -> Caught:
        """The caller's credentials: a verified OAuth 1.0a signature, or an OAuth 2.0 token v2
        has accepted (a user's token checked once with /2/users/me, then cached). An app-only
        token names no user for v2 to check: it passes on as it came, for v1.1's app-only reads,
        under its own per-caller share like any other token."""
        bearer = bearer_token(request.headers.get("authorization", ""))
        if bearer is not None:
            if not is_app_only(bearer.token):
                await self.caller(bearer)
            return bearer
        return await self.verifier.verify(
            self.signed_url(request), request.method, body, request.headers, self.secret_of
        )

    def signed_url(self, request: Request) -> str:
        """The URL the client signed: on one of the shim's own origins, never another host's."""
        server = request.scope.get("server")
        base = self.origins.base(
            request.scope["scheme"],
            request.headers.get("host", ""),
            (str(server[0]), int(server[1])) if server else None,
        )
        if base is None:
            raise V11Error(32)
        # The path and query forwarded, as they came (never request.url: it is rebuilt from Host).
        path, query = target(request.scope)
        return base + path + (f"?{query}" if query else "")

    async def caller(self, credentials: Caught) -> Caller:
        """Who calls, asking v2 only when nothing here knows."""
        cached = await self.cached(credentials)
        if cached is not None:
            return cached
        key = credentials.key
        if await self.refused.get(key):
            raise V11Error(89)
        try:
            caller = await within(self.timeout, whoami(), self.sender(credentials))
        except V11Error as error:
            if error.code == 89:
                await self.refused.put(key, True)
            raise
        await self.callers.put(key, caller)
        return caller

    async def cached(self, credentials: Caught) -> Caller | None:
        """The caller, where it is known without asking v2. Only OAuth 1.0a tokens carry their
        user's id; an OAuth 2.0 token's text says nothing."""
        if isinstance(credentials, Credentials):
            known = caller_from_token(credentials.token)
            if known is not None:
                return known
        return await self.callers.get(credentials.key)

    async def remember(self, credentials: Caught, caller: Caller) -> None:
        await self.callers.put(credentials.key, caller)

    def sender(self, credentials: Caught) -> Send:
        """Send v2 calls as this caller; lookups marked cacheable come from the cache if there."""
        return self.lookups.sender(credentials.auth(), credentials.key)
