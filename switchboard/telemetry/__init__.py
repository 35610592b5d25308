"""Telemetry every Switchboard process shares: settings, JSON logs, OpenTelemetry, Prometheus.

A service (the router, a subgraph) configures it once at startup::

    from switchboard.telemetry import TelemetrySettings, setup_process

    process = setup_process("customers", settings.telemetry, dev=settings.dev)
    tracer = process.tracer("subgraphs.customers")     # a no-op tracer when tracing is off
    registry = process.registry                        # register Prometheus metrics here
    process.serve_metrics()                            # /metrics on telemetry.metrics.port
    ...
    process.shutdown()                                 # flush spans before exit

Nothing here imports the router or the subgraphs.
"""

from __future__ import annotations

from .logs import JsonFormatter, TextFormatter, configure_logging, redact
from .process import ProcessTelemetry, setup_process
from .settings import LogSettings, MetricsSettings, TelemetrySettings, TracingSettings

__all__ = [
    "JsonFormatter",
    "LogSettings",
    "MetricsSettings",
    "ProcessTelemetry",
    "TelemetrySettings",
    "TextFormatter",
    "TracingSettings",
    "configure_logging",
    "redact",
    "setup_process",
]
