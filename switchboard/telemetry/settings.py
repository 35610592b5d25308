"""Telemetry settings (pydantic sections): tracing, metrics and logs, shared by every service."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TracingSettings(_Section):
    """OpenTelemetry traces, exported over OTLP/HTTP (protobuf) in batches."""

    enabled: bool = Field(default=False, description="Record and export spans.")
    endpoint: str = Field(
        default="http://127.0.0.1:4318/v1/traces",
        description="OTLP/HTTP traces endpoint (an OpenTelemetry Collector's `/v1/traces`).",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Headers sent with each export (e.g. a collector's API key); never logged.",
    )
    sample_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of new traces recorded; a request with a sampled `traceparent` "
        "is always recorded (parent-based sampling).",
    )
    propagate: bool = Field(
        default=True,
        description="Send W3C `traceparent` to downstream services (subgraphs), so their "
        "spans join the trace.",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of one export.")
    max_queue_size: int = Field(
        default=2048, ge=1, description="Spans buffered for export; more are dropped."
    )
    schedule_delay_seconds: float = Field(
        default=1.0, gt=0, description="How often buffered spans are exported."
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class MetricsSettings(_Section):
    """Prometheus metrics, served on a port of their own (scraped, never public)."""

    enabled: bool = Field(default=False, description="Serve `/metrics` in Prometheus format.")
    host: str = Field(default="127.0.0.1", description="Listen address of the metrics server.")
    port: int = Field(
        default=9464, ge=0, le=65535, description="Port of the metrics server (not the API's)."
    )
    max_operation_names: int = Field(
        default=500,
        ge=1,
        description="Distinct operation names kept as metric labels; later ones are counted "
        "as `other` (operation names are client-chosen: unbounded labels would exhaust "
        "Prometheus).",
    )


class LogSettings(_Section):
    """Log lines: JSON for machines, or text for people."""

    format: Literal["json", "text"] | None = Field(
        default=None, description="`json` (one object per line) or `text`; unset means text "
        "in dev mode, json otherwise."
    )  # fmt: skip
    level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Lowest level logged."
    )
    access_log: bool | None = Field(
        default=None,
        description="One line per request (operation, client, status, duration, trace id; "
        "never variables, headers or tokens); unset means on outside dev mode.",
    )


class TelemetrySettings(_Section):
    """Traces, metrics and logs of one service."""

    service_name: str | None = Field(
        default=None, description="`service.name` of spans; unset means the service's own name."
    )
    resource_attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Extra OpenTelemetry resource attributes (e.g. `deployment.environment`).",
    )
    tracing: TracingSettings = Field(
        default_factory=TracingSettings, description="OpenTelemetry tracing."
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, description="Prometheus metrics."
    )
    logs: LogSettings = Field(default_factory=LogSettings, description="Log format and level.")
