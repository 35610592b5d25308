"""Subgraph telemetry: OpenTelemetry traces, Prometheus metrics and the readiness probe.

Traces (``<SERVICE>_TELEMETRY__TRACING__ENABLED=true``, endpoint and the rest as for the
router, see ``switchboard.telemetry.TracingSettings``) come from the official
instrumentations: FastAPI (a server span per request, joined to the router's trace by the
W3C ``traceparent`` it sends), SQLAlchemy (a span per statement) and httpx (a client span per
call to a peer or the bank, with ``traceparent`` passed on); the outbox dispatcher and the
billing scheduler add a span per delivery and per cycle. Off, nothing is installed and the
spans below go to OpenTelemetry's no-op tracer.

Metrics are process-wide counters in ``METRICS`` (one registry per process), served with the
outbox gauges on ``/metrics``. Names follow OpenTelemetry's semantic conventions where one
exists (``http.server.request.duration`` → ``http_server_request_duration_seconds``).
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.telemetry import ProcessTelemetry, setup_process

from .http_guard import OPERATION_NAME, ASGIApp, Message, Receive, Scope, Send
from .settings import SubgraphSettings

ROUTES = ("/graphql", "/health", "/ready", "/metrics")  # http.route labels; the rest is "other"
PROBES = "health,ready,metrics"  # not traced: scraped and probed every few seconds
UNLOGGED = frozenset({"/health", "/ready", "/metrics"})  # nor access-logged
ERROR_CODES = "switchboard.error_codes"  # the answer's extensions.code values, in the scope
INFO = logging.INFO
access_logger = logging.getLogger("switchboard.subgraph.access")
_PROPAGATOR = TraceContextTextMapPropagator()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TRACER = "switchboard.subgraph"


class SubgraphMetrics:
    """The counters a subgraph process keeps (its own registry, scraped on ``/metrics``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).",
            ["service", "http_request_method", "http_route", "http_response_status_code"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "switchboard_subgraph_graphql_errors",
            "GraphQL errors answered, by extensions.code.",
            ["service", "code"],
            registry=self.registry,
        )
        self.bank_attempts = Counter(
            "switchboard_payment_attempts",
            "Calls to the bank by operation (charge, refund, lookup) and outcome (ok, declined, "
            "rejected, http_error, timeout, network_error).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.billing_results = Counter(
            "switchboard_billing_results",
            "Billing-cycle results per subscription period, by outcome (PAID, DECLINED, "
            "CANCELED, ENDED, PENDING, ERROR).",
            ["outcome"],
            registry=self.registry,
        )
        self.billing_cycles = Counter(
            "switchboard_billing_cycles",
            "Billing cycles run (scheduler and runBillingCycle), by outcome (ok, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "switchboard_outbox_deliveries",
            "Outbox delivery attempts by outbox table and outcome (DELIVERED, REJECTED, FAILED).",
            ["outbox", "outcome"],
            registry=self.registry,
        )

    def exposition(self) -> str:
        return generate_latest(self.registry).decode()


METRICS = SubgraphMetrics()


def span(name: str, **attributes: str | int) -> AbstractContextManager[Any]:
    """A span of the process's tracer (no-op while tracing is off)."""
    return trace.get_tracer(TRACER).start_as_current_span(name, attributes=attributes)


class RequestTelemetry:
    """ASGI middleware: per HTTP request a histogram sample (method, route, status) and, with
    the access log on, one log line (operation, caller, status, duration, error codes).

    The request's trace is current while it runs, so every line it logs carries the trace id:
    the FastAPI instrumentation's server span with tracing on, else the trace of the caller's
    ``traceparent`` (joined, not recorded).
    """

    def __init__(self, app: ASGIApp, service: str, access_log: bool) -> None:
        self.app, self.service, self.access_log = app, service, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        joined = _join_callers_trace(scope)
        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            path = scope.get("path", "")
            route = path if path in ROUTES else "other"
            method = scope.get("method", "GET")
            METRICS.requests.labels(self.service, method, route, str(status)).observe(seconds)
            if self.access_log and route not in UNLOGGED and access_logger.isEnabledFor(INFO):
                _log_request(scope, method, path, status, seconds)
            if joined is not None:
                otel_context.detach(joined)


def _join_callers_trace(scope: Scope) -> Token[Context] | None:
    """Make the caller's ``traceparent`` current when no span is (tracing off), so log lines
    carry its trace id; the token to detach, or None."""
    if trace.get_current_span().get_span_context().is_valid:
        return None
    header = next((v for k, v in scope.get("headers", ()) if k == b"traceparent"), None)
    if header is None:
        return None
    context = _PROPAGATOR.extract({"traceparent": header.decode("latin-1")})
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return otel_context.attach(context)


def _log_request(scope: Scope, method: str, path: str, status: int, seconds: float) -> None:
    identity = scope.get("state", {}).get("identity")
    fields = {
        "method": method,
        "path": path[:200],
        "operation_name": scope.get(OPERATION_NAME),
        "caller": getattr(identity, "caller", None),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "error_codes": scope.get(ERROR_CODES) or None,
    }
    access_logger.info(
        "%s %s %d %.1fms", method, path[:200], status, seconds * 1000, extra={"fields": fields}
    )


class Telemetry:
    """Set up once per app: the process's tracer provider and the instrumentations."""

    def __init__(self, settings: SubgraphSettings) -> None:
        self.settings = settings
        self.process: ProcessTelemetry = setup_process(
            settings.name, settings.telemetry, dev=False, configure_logs=False
        )

    @property
    def tracing(self) -> bool:
        return self.process.provider is not None

    def instrument_app(self, app: Any) -> None:
        if not self.tracing:
            return
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        trace.set_tracer_provider(self.process.provider)
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.process.provider, excluded_urls=PROBES
        )
        HTTPXClientInstrumentor().instrument(tracer_provider=self.process.provider)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        if not self.tracing:
            return
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        # The instrumentation declares SQLAlchemy < 2.1; the engine events it listens to are
        # unchanged in 2.1 (tests/e2e/test_subgraph_telemetry.py checks the statement spans).
        SQLAlchemyInstrumentor().instrument(
            engine=engine.sync_engine, tracer_provider=self.process.provider, skip_dep_check=True
        )

    def shutdown(self) -> None:
        self.process.shutdown()  # exports the spans still buffered


def migration_heads(service: str) -> set[str]:
    """The newest revisions of ``service``'s migrations (what a ready database is at)."""
    from alembic.script import ScriptDirectory

    from .migrate import alembic_config

    return set(ScriptDirectory.from_config(alembic_config(service, "")).get_heads())


async def readiness(engine: AsyncEngine, heads: set[str]) -> tuple[bool, str]:
    """Whether the database answers and has every migration applied; the reason if not."""
    not_applied = "migrations: not applied (run the service's migrations)"
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            try:
                rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            except DBAPIError:  # no version table: never migrated
                return False, not_applied
    except Exception as exc:  # a probe reports, it does not raise
        return False, f"database: {type(exc).__name__}"
    if {row[0] for row in rows} != heads:
        return False, not_applied
    return True, "ok"
