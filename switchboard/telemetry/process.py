"""One process's telemetry: logging configured, a tracer provider (or none), a registry."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry

from . import prometheus
from .logs import configure_logging
from .settings import TelemetrySettings

logger = logging.getLogger("switchboard.telemetry")


@dataclass
class ProcessTelemetry:
    """What ``setup_process`` made; ``provider`` is None while tracing is off."""

    service: str
    settings: TelemetrySettings
    registry: CollectorRegistry
    provider: Any = None  # opentelemetry.sdk.trace.TracerProvider, imported only when on
    log_format: str = "text"
    metrics_server: Any = field(default=None, repr=False)

    def tracer(self, name: str) -> Tracer:
        """A tracer of this process's provider; a no-op tracer while tracing is off."""
        if self.provider is None:
            return trace.NoOpTracer()
        tracer: Tracer = self.provider.get_tracer(name)
        return tracer

    def serve_metrics(self, registry: CollectorRegistry | None = None) -> None:
        """Serve ``/metrics`` on the configured port (when metrics are enabled)."""
        metrics = self.settings.metrics
        if not metrics.enabled or self.metrics_server is not None:
            return
        self.metrics_server = prometheus.serve(
            registry or self.registry, metrics.host, metrics.port
        )
        logger.info("metrics on http://%s:%d/metrics", metrics.host, metrics.port)

    def shutdown(self) -> None:
        """Export the spans still buffered and stop the metrics server."""
        if self.provider is not None:
            self.provider.shutdown()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server = None


def setup_process(
    service: str, settings: TelemetrySettings, *, dev: bool, configure_logs: bool = True
) -> ProcessTelemetry:
    """Configure logs and build this process's tracer provider and metrics registry."""
    log_format = (
        configure_logging(settings.logs, service=service, dev=dev) if configure_logs else "text"
    )
    provider = tracer_provider(service, settings) if settings.tracing.enabled else None
    return ProcessTelemetry(
        service, settings, prometheus.new_registry(), provider=provider, log_format=log_format
    )


def tracer_provider(service: str, settings: TelemetrySettings) -> Any:
    """A TracerProvider exporting over OTLP/HTTP in batches, sampling parent-based."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    tracing = settings.tracing
    resource = Resource.create(
        {
            "service.name": settings.service_name or service,
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
            **settings.resource_attributes,
        }
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(tracing.sample_ratio))
    )
    exporter = OTLPSpanExporter(
        endpoint=tracing.endpoint, headers=dict(tracing.headers), timeout=tracing.timeout_seconds
    )
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter,
            max_queue_size=tracing.max_queue_size,
            schedule_delay_millis=tracing.schedule_delay_seconds * 1000,
        )
    )
    return provider
