"""Prometheus metrics for `/metrics`, in a registry of the app's own so apps never share counts."""

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mappings.errors import ACCESS_CODES, NOT_ENROLLED_CODE
from mappings.unserved import RETIRED
from shim.serving.exchange import Exchange
from shim.upstream.breaker import CircuitBreaker

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class CacheCollector(Collector):
    """Cache hits and misses, read from the caches when scraped."""

    def __init__(self, stats: Callable[[], Mapping[str, Mapping[str, int]]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "shim_cache_lookups", "Cache lookups by cache and result", labels=["cache", "result"]
        )
        for cache, counts in self._stats().items():
            family.add_metric([cache, "hit"], counts["hits"])
            family.add_metric([cache, "miss"], counts["misses"])
        yield family


class BreakerCollector(Collector):
    """The upstream circuit breaker, read when scraped: 1 for the state it is in, and how many
    times it entered each state (a move to half-open is noticed at the next call or scrape)."""

    STATES = ("closed", "open", "half-open")

    def __init__(self, breaker: Callable[[], CircuitBreaker]) -> None:
        self._breaker = breaker

    def collect(self) -> Iterator[Metric]:
        breaker = self._breaker()
        family = GaugeMetricFamily(
            "shim_upstream_breaker", "The upstream circuit breaker's state", labels=["state"]
        )
        now = breaker.state
        for state in self.STATES:
            family.add_metric([state], 1.0 if state == now else 0.0)
        yield family
        moves = CounterMetricFamily(
            "shim_upstream_breaker_transitions",
            "The upstream circuit breaker's moves, by the state it entered",
            labels=["to"],
        )
        for state in self.STATES:
            moves.add_metric([state], breaker.transitions[state])
        yield moves


class SkewCollector(Collector):
    """Seconds this machine's clock is ahead of the shared store's (Redis `TIME`), read when
    scraped; no sample without a store (`shim.stores.clock`)."""

    def __init__(self, skew: Callable[[], float | None]) -> None:
        self._skew = skew

    def collect(self) -> Iterator[Metric]:
        skew = self._skew()
        if skew is not None:
            yield GaugeMetricFamily(
                "shim_clock_skew_seconds", "This machine's clock minus Redis's", value=skew
            )


class StoreCollector(Collector):
    """The shared store's problems by reason, read when scraped: 1 while one holds
    (`shim.stores.watch`); no samples without Redis."""

    def __init__(self, reasons: Callable[[], Mapping[str, bool]]) -> None:
        self._reasons = reasons

    def collect(self) -> Iterator[Metric]:
        reasons = self._reasons()
        if reasons:
            family = GaugeMetricFamily(
                "shim_store_problem", "Redis's problems by reason", labels=["reason"]
            )
            for reason, now in reasons.items():
                family.add_metric([reason], 1.0 if now else 0.0)
            yield family


class Metrics:
    def __init__(
        self,
        cache_stats: Callable[[], Mapping[str, Mapping[str, int]]],
        breaker: Callable[[], CircuitBreaker],
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shim_requests",
            "Translated-endpoint requests by endpoint, backend and status",
            ["endpoint", "backend", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "shim_upstream_seconds",
            "Time spent on the upstream per request",
            ["endpoint", "backend"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.comparisons = Counter(
            "shim_comparisons",
            "Compared requests by endpoint and outcome (match, differ)",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        self.refused = Counter(
            "shim_access_refused",
            "Translated requests v2 refused for the app's tier or the token's permissions",
            ["endpoint", "backend", "code"],
            registry=self.registry,
        )
        self.unserved = Counter(
            "shim_unserved",
            "Calls v2 offers no replacement for, answered 410 code 251, by endpoint and backend",
            ["endpoint", "backend"],
            registry=self.registry,
        )
        self.dry_runs = Counter(
            "shim_dry_runs",
            "Dry runs by endpoint and outcome (withheld: a write planned, not sent)",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        self.registry.register(CacheCollector(cache_stats))
        self.registry.register(BreakerCollector(breaker))

    def served(
        self, endpoint: str, backend: str, status: int, code: int | None, seconds: float
    ) -> None:
        self.requests.labels(endpoint, backend, str(status)).inc()
        self.latency.labels(endpoint, backend).observe(seconds)
        # 453 is v1.1's own word for a tier without access, so v1.1's answers count too.
        if code in ACCESS_CODES or code == NOT_ENROLLED_CODE:
            self.refused.labels(endpoint, backend, str(code)).inc()
        if code == RETIRED:
            self.unserved.labels(endpoint, backend).inc()

    async def after(self, exchange: Exchange) -> None:
        """A translated or unserved request counted; passed-through ones are not (their paths
        are many)."""
        if exchange.named:
            status = exchange.response.status_code
            self.served(exchange.name, exchange.backend, status, exchange.code, exchange.seconds)

    def watch_store(
        self, skew: Callable[[], float | None], reasons: Callable[[], Mapping[str, bool]]
    ) -> None:
        self.registry.register(SkewCollector(skew))
        self.registry.register(StoreCollector(reasons))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def by_endpoint(self) -> dict[str, dict[str, Any]]:
        """Per endpoint and backend: requests, errors and seconds spent, for the dashboard."""
        table: dict[str, dict[str, Any]] = defaultdict(
            lambda: {
                b: {"requests": 0, "errors": 0, "seconds": 0.0, "refused": {}, "unserved": 0}
                for b in ("v1", "v2")
            }
        )
        for metric in self.registry.collect():
            for sample in metric.samples:
                labels = sample.labels
                if sample.name == "shim_requests_total":
                    row = table[labels["endpoint"]][labels["backend"]]
                    row["requests"] += sample.value
                    row["errors"] += sample.value if int(labels["status"]) >= 400 else 0
                elif sample.name == "shim_access_refused_total":
                    row = table[labels["endpoint"]][labels["backend"]]
                    row["refused"][labels["code"]] = int(sample.value)
                elif sample.name == "shim_unserved_total":
                    row = table[labels["endpoint"]][labels["backend"]]
                    row["unserved"] = int(sample.value)
                elif sample.name == "shim_upstream_seconds_sum":
                    table[labels["endpoint"]][labels["backend"]]["seconds"] += sample.value
        return dict(table)
