"""The router's Prometheus metrics; OpenTelemetry semantic-convention names where they exist.

``http_server_*`` and ``http_client_*`` are ``http.server.request.duration``,
``http.server.active_requests``, ``http.client.request.duration`` and
``http.client.active_requests`` as OpenTelemetry's Prometheus exporter names them (dots to
underscores, unit suffix); the rest are ``switchboard_router_*``. Label children are cached,
so recording is a dict lookup and an add.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from switchboard.telemetry.prometheus import BoundedLabel

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
PREFIX = "switchboard_router"


class _Children:
    """``metric.labels(*values)`` remembered per label tuple (prometheus_client locks on it)."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self.cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self.cache.get(values)
        if child is None:
            child = self.cache[values] = self.metric.labels(*values)
        return child


class RouterMetrics:
    """Every metric the router records, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry, max_operation_names: int = 500) -> None:
        self.registry = registry
        self.operation_name = BoundedLabel(max_operation_names)
        self.codes = BoundedLabel(200)  # subgraphs may invent codes
        r = registry
        self.request_duration = _Children(
            Histogram(
                "http_server_request_duration_seconds",
                "Duration of client requests to /graphql (http.server.request.duration).",
                [
                    "http_request_method",
                    "http_response_status_code",
                    "graphql_operation_type",
                    "graphql_operation_name",
                ],
                buckets=DURATION_BUCKETS,
                registry=r,
            )
        )
        self.active_requests = _Children(
            Gauge(
                "http_server_active_requests",
                "Client requests in flight (http.server.active_requests).",
                ["http_request_method"],
                multiprocess_mode="livesum",
                registry=r,
            )
        )
        self.operations = _Children(
            Counter(
                f"{PREFIX}_operations",
                "GraphQL requests by operation and outcome (success, partial: data with errors, "
                "failure: no data).",
                ["graphql_operation_type", "graphql_operation_name", "outcome"],
                registry=r,
            )
        )
        self.errors = _Children(
            Counter(
                f"{PREFIX}_errors",
                "GraphQL errors sent to clients, by extensions.code and subgraph.",
                ["code", "subgraph_name"],
                registry=r,
            )
        )
        self.limit_refusals = _Children(
            Counter(
                f"{PREFIX}_limit_refusals",
                "Requests refused by an operation limit, by its code.",
                ["code"],
                registry=r,
            )
        )
        self.rate_limited = Counter(
            f"{PREFIX}_rate_limited", "Requests refused with RATE_LIMITED.", registry=r
        )
        self.jwt_failures = _Children(
            Counter(
                f"{PREFIX}_jwt_failures",
                "Bearer tokens refused, by reason.",
                ["reason"],
                registry=r,
            )
        )
        self.fetch_duration = _Children(
            Histogram(
                "http_client_request_duration_seconds",
                "Duration of subgraph fetches, queueing included (http.client.request.duration).",
                ["subgraph_name", "error_type"],
                buckets=DURATION_BUCKETS,
                registry=r,
            )
        )
        self.fetches_active = _Children(
            Gauge(
                "http_client_active_requests",
                "Subgraph fetches in flight (http.client.active_requests).",
                ["subgraph_name"],
                multiprocess_mode="livesum",
                registry=r,
            )
        )
        self.fetch_errors = _Children(
            Counter(
                f"{PREFIX}_subgraph_errors",
                "Subgraph fetches that failed (transport code) or answered GraphQL errors "
                "(their code).",
                ["subgraph_name", "code"],
                registry=r,
            )
        )
        self._register_streams(r)
        self._register_synced(r)

    def _register_streams(self, r: CollectorRegistry) -> None:
        """Subscriptions: what clients hold open, what they are sent, what ends streams."""
        self.subscriptions_active = _Children(
            Gauge(
                f"{PREFIX}_subscriptions_active",
                "Subscriptions running, by client protocol (graphql-transport-ws, sse, multipart).",
                ["protocol"],
                multiprocess_mode="livesum",
                registry=r,
            )
        )
        self.subscription_events = _Children(
            Counter(
                f"{PREFIX}_subscription_events",
                "Subscription bodies sent to clients (events, and a last one saying why a "
                "stream ended), by client protocol.",
                ["protocol"],
                registry=r,
            )
        )
        self.subscription_errors = _Children(
            Counter(
                f"{PREFIX}_subscription_errors",
                "GraphQL errors of subscriptions, by extensions.code and client protocol: "
                "refusals, errors in events, and why streams ended (SUBSCRIPTION_STREAM_CLOSED, "
                "UNAUTHENTICATED for an expired token…).",
                ["code", "protocol"],
                registry=r,
            )
        )
        self.subgraph_streams_active = _Children(
            Gauge(
                f"{PREFIX}_subgraph_streams_active",
                "Subscription streams open to subgraphs (identical subscriptions share one).",
                ["subgraph_name"],
                multiprocess_mode="livesum",
                registry=r,
            )
        )

    def _register_synced(self, r: CollectorRegistry) -> None:
        """Metrics copied from the router's own counters once a second (``StatsSync``)."""
        self.cache_lookups = _Children(
            Counter(
                f"{PREFIX}_cache_lookups",
                "Cache lookups by cache (operation, apq) and result.",
                ["cache", "result"],
                registry=r,
            )
        )
        self.cache_entries = _Children(
            Gauge(
                f"{PREFIX}_cache_entries",
                "Entries held by each cache.",
                ["cache"],
                multiprocess_mode="livesum",
                registry=r,
            )
        )
        self.redis_fallbacks = _Children(
            Counter(
                f"{PREFIX}_redis_fallbacks",
                "Calls answered from local state because Redis failed, by use (apq, rate_limit).",
                ["use"],
                registry=r,
            )
        )
        self.redis_up = _Children(
            Gauge(
                f"{PREFIX}_redis_up",
                "1 while Redis answers, 0 while the router falls back (by use).",
                ["use"],
                multiprocess_mode="livemin",
                registry=r,
            )
        )
        self.reloads = _Children(
            Counter(
                f"{PREFIX}_supergraph_reloads",
                "Supergraph hot reloads by result (applied, rejected).",
                ["result"],
                registry=r,
            )
        )
        self.ready = Gauge(
            f"{PREFIX}_ready",
            "1 while the router has a supergraph and is not draining.",
            multiprocess_mode="livesum",
            registry=r,
        )


class StatsSync:
    """Copies counters the router keeps anyway (cache hits, Redis fallbacks) into metrics.

    Reading them once a second keeps the hot path free of metric calls; a source that is
    replaced (a reload builds a new operation cache) starts from zero again.
    """

    def __init__(self, metrics: RouterMetrics) -> None:
        self.metrics = metrics
        self._last: dict[tuple[str, ...], tuple[int, int]] = {}

    def counter(self, child: Any, key: tuple[str, ...], source: object, value: int) -> None:
        last_source, last_value = self._last.get(key, (0, 0))
        delta = value - last_value if last_source == id(source) else value
        if delta > 0:
            child.inc(delta)
        self._last[key] = (id(source), value)

    def cache(self, name: str, cache: Any) -> None:
        lookups = self.metrics.cache_lookups
        self.counter(lookups(name, "hit"), (name, "hit"), cache, cache.hits)
        self.counter(lookups(name, "miss"), (name, "miss"), cache, cache.misses)
        self.metrics.cache_entries(name).set(len(cache))

    def redis(self, use: str, source: Any) -> None:
        fallbacks = getattr(source, "fallbacks", None)
        if fallbacks is None:
            return
        self.counter(self.metrics.redis_fallbacks(use), ("redis", use), source, fallbacks)
        self.metrics.redis_up(use).set(0 if source.down else 1)


Sync = Callable[[StatsSync], None]
