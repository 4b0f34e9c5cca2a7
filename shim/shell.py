"""What every route shares: settings, credentials, the verifier, the upstream client, the
caches, the routing, comparison records and metrics."""

import logging
import time
from collections.abc import Callable

import httpx2
from starlette.requests import Request
from starlette.responses import Response

from mappings import ENDPOINTS
from mappings.callers import caller_from_token, is_app_only, whoami
from mappings.errors import V11Error
from mappings.params import number
from mappings.types import Caller
from shim.auth import Verifier
from shim.breaker import CircuitBreaker
from shim.cached import Lookups
from shim.caches import TTLCache
from shim.config import Settings
from shim.credentials import digest
from shim.fairness import Slots
from shim.metrics import Metrics
from shim.origins import Origins
from shim.routing import RoutingFile
from shim.shared import state, token_store
from shim.signin import sign_in
from shim.signing import Bearer, Credentials, bearer_token
from shim.upstream import Send, Upstream, within

log = logging.getLogger("shim")

Caught = Credentials | Bearer
COMPARISONS = 8
REFUSED_TTL = 300.0  # seconds an OAuth 2.0 token v2 refused is refused without asking again


class Shell:
    """What the routes share: settings, the token store, the verifier, v2 and the caches."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx2.AsyncBaseTransport | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        store = token_store(settings)
        if settings.secret_key and store.plaintext():
            log.warning(
                "%d token secrets are stored in clear: run `shim tokens encrypt`",
                store.plaintext(),
            )
        store.close()
        self.kept = state(settings, clock)
        self.callers, self.users = self.kept.callers, self.kept.users
        self.cursors = self.kept.cursors
        # Between oauth/request_token and oauth/access_token: the request token's secret.
        self.request_tokens = self.kept.request_tokens
        self.comparisons = self.kept.comparisons
        # OAuth 2.0 tokens v2 refused: a junk token costs one upstream call, not one a request.
        self.refused: TTLCache[str, bool] = TTLCache(settings.cache_size, REFUSED_TTL)
        self.verifier = Verifier(
            settings.consumer_key, settings.consumer_secret, self.kept.nonces, clock
        )
        self.origins = Origins(settings.public_urls)
        self.upstream = Upstream(
            settings.upstream_url,
            settings.upstream_timeout,
            transport,
            CircuitBreaker(cooldown=settings.breaker_cooldown),
        )
        self.slots = Slots(settings.caller_concurrency)
        # Comparisons under way: a budget of their own, at most 3 upstream calls each.
        self.shadows = Slots(COMPARISONS)
        self.lookups = Lookups(self.upstream, self.users)
        endpoints = tuple(endpoint.name for endpoint in ENDPOINTS)
        self.routing = RoutingFile(settings.config_path, endpoints, self.kept.all_v1)
        self.metrics = Metrics(self.stats, lambda: self.upstream.breaker.state)

    async def token_secret(self, token: str) -> str | None:
        """The secret of a known token: SHIM_ACCESS_TOKEN's, else the store's."""
        if token == self.settings.access_token:
            return self.settings.access_token_secret
        return await self.kept.tokens.secret(token)

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
        url = self.signed_url(request)
        return await self.verifier.verify(
            url, request.method, body, request.headers, self.token_secret
        )

    def signed_url(self, request: Request) -> str:
        """The URL the client signed: on one of the shim's own origins, never another host's."""
        server = request.scope.get("server")
        base = self.origins.base(
            request.url.scheme,
            request.headers.get("host", ""),
            (str(server[0]), int(server[1])) if server else None,
        )
        if base is None:
            raise V11Error(32)
        query = request.url.query
        return base + request.url.path + (f"?{query}" if query else "")

    async def caller(self, credentials: Caught) -> Caller:
        """Who calls: from the token's numeric prefix, the callers cache, or v2 once a token."""
        cached = await self.cached_caller(credentials)
        if cached is not None:
            return cached
        key = digest(credentials.token)
        if await self.refused.get(key):
            raise V11Error(89)
        try:
            caller = await within(
                self.settings.upstream_timeout, whoami(), self.sender(credentials)
            )
        except V11Error as error:
            if error.code == 89:
                await self.refused.put(key, True)
            raise
        await self.callers.put(key, caller)
        return caller

    async def cached_caller(self, credentials: Caught) -> Caller | None:
        """The caller, where it is known without asking v2. Only OAuth 1.0a tokens carry their
        user's id; an OAuth 2.0 token's text says nothing."""
        if isinstance(credentials, Credentials):
            known = caller_from_token(credentials.token)
            if known is not None:
                return known
        return await self.callers.get(digest(credentials.token))

    async def remember_caller(self, credentials: Caught, caller: Caller) -> None:
        await self.callers.put(digest(credentials.token), caller)

    async def issued_cursors(self, cursor: str | None) -> dict[str, str]:
        """The v2 page token the request's cursor stands for, if the shim issued it."""
        issued = number((cursor or "").removeprefix("-"))
        if issued is None:
            return {}
        token = await self.cursors.get(str(issued))
        return {str(issued): token} if token is not None else {}

    def sender(self, credentials: Caught) -> Send:
        """Send v2 calls as this caller; lookups marked cacheable come from the cache if there."""
        return self.lookups.sender(credentials.auth(), digest(credentials.token))

    async def sign_in(self, step: str, request: Request, body: bytes) -> Response:
        """One step of OAuth 1.0a sign-in through the shim (see `app.SIGN_IN`)."""
        return await sign_in(
            step,
            self.signed_url(request),
            request,
            body,
            self.verifier,
            self.upstream,
            self.request_tokens,
            self.kept.tokens,
        )

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            "users": self.users.stats(),
            "callers": self.callers.stats(),
            "cursors": self.cursors.stats(),
        }

    async def aclose(self) -> None:
        await self.upstream.aclose()
        await self.kept.aclose()
