"""Per-fetch telemetry: a span per subgraph request (its plan path too) and fetch metrics.

``InstrumentedFetcher`` wraps the request's fetcher. While a fetch runs its span is the
current one, so ``trace_headers`` (called by ``HttpFetcher`` right before sending, after
de-duplication has compared requests) writes that span's W3C ``traceparent``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from router.errors import DOWNSTREAM_SERVICE_ERROR
from router.executor.fetcher import Fetcher, FetchResult, encode_headers
from router.planner import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    SequenceNode,
)

if TYPE_CHECKING:
    from router.operation.plan import PreparedOperation
    from router.telemetry.request import RequestTelemetry

PROPAGATOR = TraceContextTextMapPropagator()


def trace_headers() -> bytes:
    """``traceparent`` (and ``tracestate``) of the current span, as header lines."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return encode_headers(carrier) if carrier else b""


def fetch_paths(node: PlanNode | None, path: str = "") -> dict[tuple[str, str], str]:
    """(subgraph, operation text) → the plan path its fetch runs at (``""`` for the root)."""
    found: dict[tuple[str, str], str] = {}
    if isinstance(node, FetchNode):
        key = (node.service_name, node.operation)
        found[key] = f"{found[key]} | {path}" if key in found else path
    elif isinstance(node, FlattenNode):
        found.update(fetch_paths(node.node, ".".join(node.path)))
    elif isinstance(node, SequenceNode | ParallelNode):
        for child in node.nodes:
            for key, value in fetch_paths(child, path).items():
                found[key] = f"{found[key]} | {value}" if key in found else value
    elif isinstance(node, ConditionNode):
        for branch in (node.if_clause, node.else_clause):
            found.update(fetch_paths(branch, path))
    return found


class InstrumentedFetcher:
    """The request's fetcher, measured: spans when tracing, metrics when metrics are on."""

    def __init__(
        self, inner: Fetcher, request: RequestTelemetry, prepared: PreparedOperation
    ) -> None:
        self.inner = inner
        self.request = request
        self.prepared = prepared
        self._paths: dict[tuple[str, str], str] | None = None

    def path_of(self, service: str, query: str) -> str:
        if self._paths is None:
            self._paths = fetch_paths(self.prepared.plan.node)
        return self._paths.get((service, query), "")

    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        mutation: bool = False,
    ) -> FetchResult:
        telemetry = self.request.telemetry
        metrics = telemetry.metrics
        span, token = None, None
        parent = self.request.parent_span()
        if parent is not None and not self.request.recording:  # unsampled: propagate the root
            token = otel_context.attach(trace.set_span_in_context(parent))
        elif parent is not None and telemetry.tracer is not None:
            span = telemetry.tracer.start_span(
                f"subgraph {service}",
                context=trace.set_span_in_context(parent),
                kind=SpanKind.CLIENT,
                attributes=self._attributes(service, query, operation_name, mutation),
            )
            token = otel_context.attach(trace.set_span_in_context(span))
        active = metrics.fetches_active(service) if metrics is not None else None
        if active is not None:
            active.inc()
        started = time.perf_counter()
        try:
            result = await self.inner.fetch(
                service, query, variables, operation_name, headers=headers, mutation=mutation
            )
        finally:
            if active is not None:
                active.dec()
            if token is not None:
                otel_context.detach(token)
        failure = _failure_code(result)
        if metrics is not None:
            metrics.fetch_duration(service, failure).observe(time.perf_counter() - started)
            for code in _error_codes(result, failure):
                metrics.fetch_errors(service, metrics.codes(code)).inc()
        if span is not None:
            if result.status is not None:
                span.set_attribute("http.response.status_code", result.status)
            if failure:
                span.set_attribute("error.type", failure)
                span.set_status(Status(StatusCode.ERROR, failure))
            span.end()
        return result

    def _attributes(
        self, service: str, query: str, operation_name: str | None, mutation: bool
    ) -> dict[str, str]:
        attributes = {
            "subgraph.name": service,
            "graphql.operation.type": "mutation" if mutation else "query",
            "switchboard.plan.path": self.path_of(service, query),
        }
        if operation_name:
            attributes["graphql.operation.name"] = operation_name
        return attributes


def _failure_code(result: FetchResult) -> str:
    if result.failure is None:
        return ""
    code = result.failure.get("extensions", {}).get("code")
    return str(code or "")


def _error_codes(result: FetchResult, failure: str) -> list[str]:
    if failure:
        return [failure]
    codes = []
    for error in result.errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(str(code) if code else DOWNSTREAM_SERVICE_ERROR.code)
    return codes
