"""The router's telemetry: spans per stage and per fetch, Prometheus metrics, access logs.

``Telemetry`` is built once per process from ``telemetry:`` in router.yaml and handed to
every ``Gateway``; ``Telemetry.request(http)`` gives a request its ``RequestTelemetry``,
or ``NULL_TELEMETRY`` when tracing, metrics and the access log are all off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Tracer

from router.operation.context import NULL_TELEMETRY, HttpRequest, NullTelemetry
from router.telemetry.fetch import PROPAGATOR, trace_headers
from router.telemetry.metrics import RouterMetrics, StatsSync
from router.telemetry.request import RequestTelemetry
from router.telemetry.streams import StreamTelemetry
from switchboard.telemetry import ProcessTelemetry

if TYPE_CHECKING:
    from router.config import RouterConfig
    from router.gateway import Gateway

logger = logging.getLogger("switchboard.router")
__all__ = [
    "NO_TELEMETRY", "NULL_TELEMETRY", "NullTelemetry", "RequestTelemetry", "StreamTelemetry",
    "Telemetry",
]  # fmt: skip
SYNC_SECONDS = 1.0


class Telemetry:
    """What the router records; each part is None (or False) when it is off."""

    def __init__(
        self,
        *,
        tracer: Tracer | None = None,
        metrics: RouterMetrics | None = None,
        access_log: bool = False,
        propagate: bool = True,
        trust_incoming: bool = True,
        process: ProcessTelemetry | None = None,
    ) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.access_log = access_log
        self.propagator = PROPAGATOR
        self.trust_incoming = trust_incoming
        self.process = process
        self.trace_headers: Callable[[], bytes] | None = (
            trace_headers if tracer is not None and propagate else None
        )
        self.enabled = tracer is not None or metrics is not None or access_log
        self._sync = StatsSync(metrics) if metrics is not None else None

    @classmethod
    def of(cls, config: RouterConfig, process: ProcessTelemetry) -> Telemetry:
        settings = config.telemetry
        metrics = None
        if settings.metrics.enabled:
            metrics = RouterMetrics(process.registry, settings.metrics.max_operation_names)
        access_log = settings.logs.access_log
        return cls(
            tracer=process.tracer("switchboard.router") if process.provider is not None else None,
            metrics=metrics,
            access_log=not config.dev if access_log is None else access_log,
            propagate=settings.tracing.propagate,
            process=process,
        )

    def request(self, http: HttpRequest) -> NullTelemetry:
        return RequestTelemetry(self, http) if self.enabled else NULL_TELEMETRY

    # Events outside requests ------------------------------------------------------------------

    def jwt_failure(self, reason: str) -> None:
        """A bearer token was refused (``reason``: expired, signature, issuer…)."""
        if self.metrics is not None:
            self.metrics.jwt_failures(reason).inc()

    def stream(
        self, protocol: str, operation_name: str | None, headers: Mapping[str, str]
    ) -> StreamTelemetry:
        """A subscription's span and metrics, from when it is accepted to its end."""
        return StreamTelemetry(self if self.enabled else None, protocol, operation_name, headers)

    def stream_refused(self, protocol: str, code: str) -> None:
        if self.metrics is not None:
            self.metrics.subscription_errors(self.metrics.codes(code), protocol).inc()

    def subgraph_stream(self, subgraph: str, opened: bool) -> None:
        """A subscription stream to ``subgraph`` opened (or, ``opened=False``, closed)."""
        if self.metrics is not None:
            gauge = self.metrics.subgraph_streams_active(subgraph)
            if opened:
                gauge.inc()
            else:
                gauge.dec()

    def reloaded(self, applied: bool) -> None:
        if self.metrics is not None:
            self.metrics.reloads("applied" if applied else "rejected").inc()

    def ready(self, ready: bool) -> None:
        if self.metrics is not None:
            self.metrics.ready.set(1 if ready else 0)

    def sync(self, gateway: Gateway) -> None:
        """Copy the gateway's cache and Redis counters into the metrics."""
        if self._sync is None:
            return
        self._sync.cache("operation", gateway.operations)
        self._sync.cache("apq", gateway.persisted.cache)
        self._sync.redis("apq", gateway.persisted.shared)
        self._sync.redis("rate_limit", gateway.security.limiter)

    async def sync_forever(self, current: Callable[[], Any]) -> None:
        """``sync(current())`` every second until cancelled."""
        while self._sync is not None:
            await asyncio.sleep(SYNC_SECONDS)
            try:
                self.sync(current())
            except Exception:  # metrics must never take the router down
                logger.exception("telemetry: copying counters into metrics failed")

    def shutdown(self) -> None:
        if self.process is not None:
            self.process.shutdown()


NO_TELEMETRY = Telemetry()
