"""What the lifespan opens for the routes, as one frozen value (`Resources`, made by
`open_resources`): settings, the stores, the verifier, the upstream client, the slots, the
routing, the metrics, the two backends, the rate limits seen, the migration report's counts and
the after-steps. Each route reads what it needs from it; nothing in it is replaced while the app
runs."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from mappings import ROUTABLE
from mappings.callers import is_app_only
from shim.config import Settings
from shim.credentials.upstream_auth import Bearer
from shim.credentials.verifier import SecretOf, Verifier
from shim.edge.fairness import Slots, address
from shim.edge.limits import count_parameters
from shim.edge.origins import Origins
from shim.serving.backends import Backends
from shim.serving.comparison import Comparer
from shim.serving.dryrun import DryRuns
from shim.serving.exchange import AfterStep, log_line
from shim.serving.identity import Caught, Identity
from shim.serving.metrics import Metrics
from shim.serving.ratelimits import RateLimits
from shim.serving.sign_in import sign_in
from shim.serving.traffic import Traffic
from shim.stores.protocols import Comparisons
from shim.stores.routes import RoutingFile
from shim.stores.state import State, open_state
from shim.upstream.breaker import CircuitBreaker
from shim.upstream.client import Upstream
from shim.upstream.lookups import Lookups

log = logging.getLogger("shim")

COMPARISONS = 8


@dataclass(frozen=True, slots=True)
class Resources:
    """What the routes share, opened once by the lifespan."""

    settings: Settings
    kept: State
    verifier: Verifier
    upstream: Upstream
    slots: Slots
    # Work no user credential vouches for: one share, a part of it per client address.
    unverified: Slots
    # Comparisons and dry runs under way: a budget of their own, at most 3 upstream calls each.
    shadows: Slots
    identity: Identity
    routing: RoutingFile
    metrics: Metrics
    backends: Backends
    dry_runs: DryRuns
    # The rate-limit windows seen per caller, for application/rate_limit_status.
    rate_limits: RateLimits
    # What live traffic asks of v1.1 and how it is served: the migration report's counts.
    traffic: Traffic
    # What follows every answer, in this order (`shim.serving.exchange`).
    after: tuple[AfterStep, ...]
    clock: Callable[[], float]

    @property
    def comparisons(self) -> Comparisons:
        return self.kept.comparisons

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
                self.kept.request_tokens,
                self.kept.tokens,
            )

    def stats(self) -> dict[str, dict[str, int]]:
        return cache_stats(self.kept)

    async def warn_of_plaintext(self) -> None:
        """At start: secrets a key is set for but still stored in clear."""
        if self.settings.secret_key and (clear := await self.kept.tokens.plaintext()):
            log.warning("%d token secrets are stored in clear: run `shim tokens encrypt`", clear)

    async def aclose(self) -> None:
        await self.traffic.flush_logged()  # the counts since the last batch
        await self.upstream.aclose()
        await self.kept.aclose()


def open_resources(
    settings: Settings,
    clock: Callable[[], float] = time.time,
) -> Resources:
    """Open the stores and make what the routes share from them."""
    kept = open_state(settings, clock)
    verifier = Verifier(
        settings.consumer_key, settings.consumer_secret, kept.nonces, kept.clock, settings.speedups
    )
    breaker = CircuitBreaker(
        settings.breaker_window,
        settings.breaker_min_calls,
        settings.breaker_failure_rate / 100,
        settings.breaker_cooldown,
        settings.breaker_probes,
    )
    upstream = Upstream(
        settings.upstream_url, settings.upstream_timeout, breaker, settings.speedups
    )
    unverified = Slots(settings.unverified_per_address, settings.unverified_concurrency)
    shadows = Slots(COMPARISONS)
    identity = Identity(
        verifier,
        secret_of(settings, kept),
        Origins(settings.public_urls),
        kept.callers,
        Lookups(upstream, kept.users),
        settings.upstream_timeout,
        settings.cache_size,
        unverified,
    )
    names = ROUTABLE
    routing = RoutingFile(settings.config_path, names, kept.all_v1, store=kept.routes)
    metrics = Metrics(lambda: cache_stats(kept), lambda: upstream.breaker)
    metrics.watch_store(kept.skew, kept.reasons)
    backends = Backends(upstream, kept.callers, kept.cursors, settings.upstream_timeout)
    comparer = Comparer(backends, kept.comparisons, shadows, breaker, metrics)
    # Dry runs share the comparisons' budget: both are work done after answering.
    dry_runs = DryRuns(backends, shadows, metrics)
    rate_limits = RateLimits(settings.cache_size, clock)
    traffic = Traffic(kept.traffic)
    return Resources(
        settings,
        kept,
        verifier,
        upstream,
        Slots(settings.caller_concurrency),
        unverified,
        shadows,
        identity,
        routing,
        metrics,
        backends,
        dry_runs,
        rate_limits,
        traffic,
        (metrics.after, log_line, rate_limits.after, traffic.after, comparer.after, dry_runs.after),
        clock,
    )


def secret_of(settings: Settings, kept: State) -> SecretOf:
    """The secret of a known token: SHIM_ACCESS_TOKEN's, else the store's."""

    async def secret(token: str) -> str | None:
        if token == settings.access_token:
            return settings.access_token_secret
        return await kept.tokens.secret(token)

    return secret


def cache_stats(kept: State) -> dict[str, dict[str, int]]:
    return {
        "users": kept.users.stats(),
        "callers": kept.callers.stats(),
        "cursors": kept.cursors.stats(),
    }
