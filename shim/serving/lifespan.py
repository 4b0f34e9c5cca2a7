"""What every route shares: settings, credentials, the verifier, the upstream client, the
caches, the routing, comparison records and metrics."""

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx2
from starlette.requests import Request
from starlette.responses import Response

from mappings import ENDPOINTS
from mappings.callers import is_app_only
from mappings.endpoints import Endpoint
from shim.config import Settings
from shim.credentials.upstream_auth import Bearer
from shim.credentials.verifier import Verifier
from shim.edge.fairness import Slots, address
from shim.edge.limits import count_parameters
from shim.edge.origins import Origins
from shim.serving.backends import Versions
from shim.serving.dryrun import DryRuns
from shim.serving.exchange import AfterStep, log_line
from shim.serving.identity import Caught, Identity
from shim.serving.metrics import Metrics
from shim.serving.sign_in import sign_in
from shim.serving.translated import Comparer, Translated
from shim.stores.routes import RoutingFile
from shim.stores.state import open_state
from shim.stores.tokens import token_store
from shim.upstream.breaker import CircuitBreaker
from shim.upstream.client import Upstream
from shim.upstream.lookups import Lookups

log = logging.getLogger("shim")

COMPARISONS = 8


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
        self.kept = open_state(settings, clock)
        self.callers, self.users = self.kept.callers, self.kept.users
        self.cursors = self.kept.cursors
        # Between oauth/request_token and oauth/access_token: the request token's secret.
        self.request_tokens = self.kept.request_tokens
        self.comparisons = self.kept.comparisons
        self.verifier = Verifier(
            settings.consumer_key,
            settings.consumer_secret,
            self.kept.nonces,
            self.kept.clock,
            settings.speedups,
        )
        self.origins = Origins(settings.public_urls)
        self.upstream = Upstream(
            settings.upstream_url,
            settings.upstream_timeout,
            transport,
            CircuitBreaker(cooldown=settings.breaker_cooldown),
            settings.speedups,
        )
        self.slots = Slots(settings.caller_concurrency)
        # Work no user credential vouches for: one share, a part of it per client address.
        self.unverified = Slots(settings.unverified_per_address, settings.unverified_concurrency)
        # Comparisons under way: a budget of their own, at most 3 upstream calls each.
        self.shadows = Slots(COMPARISONS)
        self.lookups = Lookups(self.upstream, self.users)
        self.identity = Identity(
            self.verifier,
            self.token_secret,
            self.origins,
            self.callers,
            self.lookups,
            settings.upstream_timeout,
            settings.cache_size,
            self.unverified,
        )
        endpoints = tuple(endpoint.name for endpoint in ENDPOINTS)
        self.routing = RoutingFile(
            settings.config_path, endpoints, self.kept.all_v1, store=self.kept.routes
        )
        self.metrics = Metrics(self.stats, lambda: self.upstream.breaker.state)
        self.versions = Versions(
            self.upstream, self.identity, self.cursors, settings.upstream_timeout
        )
        self.comparer = Comparer(
            self.versions, self.comparisons, self.shadows, self.upstream.breaker, self.metrics
        )
        # Dry runs share the comparisons' budget: both are work done after answering.
        self.dry_runs = DryRuns(self.versions, self.shadows, self.metrics)
        # What follows every answer, in this order (`shim.serving.exchange`).
        self.after: tuple[AfterStep, ...] = (
            self.metrics.after,
            log_line,
            self.comparer.after,
            self.dry_runs.after,
        )
        self.clock = clock

    def translated(self, endpoint: Endpoint[Any]) -> Translated:
        """The endpoint as its route serves it, holding only what that uses."""
        return Translated(
            endpoint,
            self.identity,
            self.routing,
            self.slots,
            self.versions,
            self.after,
            self.settings.admin_token,
            self.clock,
        )

    async def token_secret(self, token: str) -> str | None:
        """The secret of a known token: SHIM_ACCESS_TOKEN's, else the store's."""
        if token == self.settings.access_token:
            return self.settings.access_token_secret
        return await self.kept.tokens.secret(token)

    def slot(self, credentials: Caught, request: Request) -> Callable[[], None]:
        """A slot at the upstream for a call passed through, or `Busy`: the caller's own,
        but an app-only token's in the unverified share (nothing here can check one, and new
        ones cost nothing to make). Returns what gives the slot back."""
        if isinstance(credentials, Bearer) and is_app_only(credentials.token):
            return self.unverified.take(address(request.scope))
        return self.slots.take(credentials.key)

    async def sign_in(self, step: str, request: Request, body: bytes) -> Response:
        """One step of OAuth 1.0a sign-in through the shim (see `app.SIGN_IN`), in the
        unverified share: it is signed with the app's keys, which every client holds."""
        count_parameters(request.scope, body)
        with self.unverified.holding(address(request.scope)):
            return await sign_in(
                step,
                self.identity.signed_url(request),
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
