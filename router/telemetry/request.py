"""Telemetry of one client request: its spans, its metrics and its access-log line.

The conductor calls ``stage(name)`` at each stage boundary (ending the previous stage's
span), ``operation`` once the operation is known, ``refused``/``executed`` with the outcome
and ``finish`` with the reply. With telemetry off a request gets ``NULL_TELEMETRY``
(``router.operation.context``) instead: a handful of empty method calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from router.errors import CATALOGUE, INTERNAL_SERVER_ERROR, RATE_LIMITED, RouterError
from router.executor.fetcher import Fetcher
from router.operation.context import HttpRequest, HttpResponse, NullTelemetry
from switchboard.telemetry.logs import redact

if TYPE_CHECKING:
    from router.operation.plan import PreparedOperation
    from router.operation.validate import ValidOperation
    from router.telemetry import Telemetry

access_logger = logging.getLogger("switchboard.router.access")
LIMIT_CODES = frozenset(code for code in CATALOGUE if code.endswith("_LIMIT"))
CLIENT_NAME = "apollographql-client-name"
CLIENT_VERSION = "apollographql-client-version"
_NULL_CONTEXT: AbstractContextManager[None] = contextlib.nullcontext()


class RequestTelemetry(NullTelemetry):
    """Telemetry on: spans (when tracing), metrics (when metrics), a log line (when logging)."""

    __slots__ = (
        "current", "errors", "http", "kind", "name", "outcome", "recording", "root", "started",
        "telemetry", "token",
    )  # fmt: skip

    def __init__(self, telemetry: Telemetry, http: HttpRequest) -> None:
        self.telemetry = telemetry
        self.http = http
        self.started = time.perf_counter()
        self.kind = ""
        self.name = ""
        self.outcome = "success"
        self.errors: list[tuple[str, str]] = []  # (code, subgraph or "")
        self.root: Span | None = None
        self.current: Span | None = None
        self.token: object | None = None
        self.recording = False
        if telemetry.tracer is not None:
            self._start_trace(telemetry, http)
        if telemetry.metrics is not None:
            telemetry.metrics.active_requests(http.method).inc()

    def _start_trace(self, telemetry: Telemetry, http: HttpRequest) -> None:
        assert telemetry.tracer is not None
        parent = telemetry.propagator.extract(http.headers) if telemetry.trust_incoming else None
        self.root = telemetry.tracer.start_span(
            f"{http.method} {http.path}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": http.method, "url.path": http.path},
        )
        self.token = otel_context.attach(trace.set_span_in_context(self.root))
        self.recording = self.root.is_recording()  # unsampled: no child spans, only propagation

    # Spans --------------------------------------------------------------------------------

    def stage(self, name: str) -> None:
        """End the running stage's span and start ``name``'s (a child of the request's)."""
        if not self.recording:
            return
        if self.current is not None:
            self.current.end()
        assert self.telemetry.tracer is not None
        assert self.root is not None
        parent = trace.set_span_in_context(self.root)
        self.current = self.telemetry.tracer.start_span(name, context=parent)

    def child(self, name: str) -> AbstractContextManager[None]:
        """A span under the running stage, also from a worker thread (parse, validate)."""
        if not self.recording:
            return _NULL_CONTEXT
        return self._child(name)

    @contextlib.contextmanager
    def _child(self, name: str) -> Iterator[None]:
        assert self.telemetry.tracer is not None
        parent = trace.set_span_in_context(self.current or self.root)  # type: ignore[arg-type]
        span = self.telemetry.tracer.start_span(name, context=parent)
        try:
            yield
        except RouterError as error:
            _fail(span, error.code.code, error.message)
            raise
        finally:
            span.end()

    def parent_span(self) -> Span | None:
        return self.current or self.root

    # Outcome ------------------------------------------------------------------------------

    def operation(self, valid: ValidOperation) -> None:
        self.kind = valid.kind
        self.name = valid.operation.name.value if valid.operation.name else ""

    def refused(self, error: RouterError) -> None:
        self.outcome = "failure"
        code = error.code.code
        self.errors = [(code, "")]
        metrics = self.telemetry.metrics
        if metrics is not None:
            if code in LIMIT_CODES:
                metrics.limit_refusals(code).inc()
            elif code == RATE_LIMITED.code:
                metrics.rate_limited.inc()
        span = self.current or self.root
        if span is not None:
            _fail(span, code, error.message)

    def executed(self, body: Mapping[str, Any]) -> None:
        errors = body.get("errors")
        if not errors:
            return
        self.outcome = "partial" if body.get("data") is not None else "failure"
        for error in errors:
            extensions = error.get("extensions") if isinstance(error, dict) else None
            if isinstance(extensions, dict):
                code, service = extensions.get("code"), extensions.get("serviceName")
                self.errors.append((str(code or ""), str(service or "")))

    def fetcher(self, fetcher: Fetcher, prepared: PreparedOperation) -> Fetcher:
        from router.telemetry.fetch import InstrumentedFetcher

        return InstrumentedFetcher(fetcher, self, prepared)

    def crashed(self, exc: BaseException) -> None:
        """The request raised (a router bug: 500) or was cancelled (its client left: 499)."""
        cancelled = isinstance(exc, asyncio.CancelledError)
        self.outcome = "cancelled" if cancelled else "failure"
        if not cancelled:
            self.errors = [(INTERNAL_SERVER_ERROR.code, "")]
        if self.root is not None:
            self.root.set_attribute("error.type", type(exc).__name__)
        self._close(499 if cancelled else 500)

    def finish(self, reply: HttpResponse) -> HttpResponse:
        self._close(reply.status)
        return reply

    def _close(self, status: int) -> None:
        seconds = time.perf_counter() - self.started
        telemetry = self.telemetry
        if telemetry.metrics is not None:
            self._record(seconds, status)
        trace_id = self._end_trace(status)
        if telemetry.access_log:
            self._log(seconds, status, trace_id)

    def _record(self, seconds: float, status: int) -> None:
        metrics = self.telemetry.metrics
        assert metrics is not None
        method = self.http.method
        name = metrics.operation_name(self.name) if self.name else ""
        metrics.request_duration(method, str(status), self.kind, name).observe(seconds)
        metrics.operations(self.kind, name, self.outcome).inc()
        for code, service in self.errors:
            metrics.errors(metrics.codes(code), service).inc()
        metrics.active_requests(method).dec()

    def _end_trace(self, status: int) -> str:
        root = self.root
        if root is None:
            return ""
        if self.current is not None:
            self.current.end()
        root.set_attribute("http.response.status_code", status)
        if self.kind:
            root.set_attribute("graphql.operation.type", self.kind)
            root.update_name(f"{self.kind} {self.name}".rstrip())
        if self.name:
            root.set_attribute("graphql.operation.name", self.name)
        if status >= 500:
            root.set_status(Status(StatusCode.ERROR))
        root.end()
        if self.token is not None:
            otel_context.detach(self.token)  # type: ignore[arg-type]
        context = root.get_span_context()
        return format(context.trace_id, "032x") if context.trace_flags.sampled else ""

    def _log(self, seconds: float, status: int, trace_id: str) -> None:
        http = self.http
        fields: dict[str, Any] = {
            "operation_name": self.name or None,
            "operation_type": self.kind or None,
            "outcome": self.outcome,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client_name": _short(http.headers.get(CLIENT_NAME)),
            "client_version": _short(http.headers.get(CLIENT_VERSION)),
            "client_address": http.client,
        }
        if self.errors:
            fields["error_codes"] = sorted({code for code, _ in self.errors})
        if trace_id:
            fields["trace_id"] = trace_id
        access_logger.info(
            "%s %s %d %.1fms", http.method, http.path, status, seconds * 1000,
            extra={"fields": fields},
        )  # fmt: skip


def _fail(span: Span, code: str, message: str) -> None:
    span.set_attribute("error.type", code)
    span.set_status(Status(StatusCode.ERROR, redact(message)[:200]))


def _short(value: str | None) -> str | None:
    return value[:64] if value else None
