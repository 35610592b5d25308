"""Telemetry of one streamed subscription: a span for its life, metrics for its events.

The span (``subscription <name>``, kind SERVER, a child of the client's ``traceparent`` when
trusted) starts when the subscription is accepted and ends when it does; each body sent is
a span event ``graphql.subscription.event`` with its error codes. A stream that ends on an
error (a last body without data: SUBSCRIPTION_STREAM_CLOSED, UNAUTHENTICATED…) sets the
span's status and ``error.type``. Metrics (``RouterMetrics``): subscriptions active and
bodies sent by client protocol, errors by code and protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from router.telemetry import Telemetry

EVENT = "graphql.subscription.event"


class StreamTelemetry:
    """What one subscription records; every method is cheap when telemetry is off."""

    __slots__ = ("ended_with", "metrics", "protocol", "span")

    def __init__(
        self,
        telemetry: Telemetry | None,
        protocol: str,
        operation_name: str | None,
        headers: Mapping[str, str],
    ) -> None:
        self.protocol = protocol
        self.metrics = telemetry.metrics if telemetry is not None else None
        self.span: Span | None = None
        self.ended_with: str | None = None  # the code of a body without data (a stream end)
        if telemetry is not None and telemetry.tracer is not None:
            trusted = telemetry.trust_incoming
            parent = telemetry.propagator.extract(headers) if trusted else None
            attributes: dict[str, Any] = {
                "graphql.operation.type": "subscription",
                "network.protocol.name": protocol,
            }
            if operation_name:
                attributes["graphql.operation.name"] = operation_name[:64]
            name = f"subscription {operation_name}" if operation_name else "subscription"
            self.span = telemetry.tracer.start_span(
                name, context=parent, kind=SpanKind.SERVER, attributes=attributes
            )
        if self.metrics is not None:
            self.metrics.subscriptions_active(protocol).inc()

    def sent(self, body: Mapping[str, Any]) -> None:
        """One body went to the client."""
        codes = _codes(body)
        self.ended_with = codes[-1] if codes and body.get("data") is None else None
        if self.metrics is not None:
            self.metrics.subscription_events(self.protocol).inc()
            for code in codes:
                self.metrics.subscription_errors(self.metrics.codes(code), self.protocol).inc()
        if self.span is not None:
            self.span.add_event(EVENT, {"graphql.error.codes": codes})

    def finish(self) -> None:
        if self.metrics is not None:
            self.metrics.subscriptions_active(self.protocol).dec()
        if self.span is None:
            return
        if self.ended_with is not None:  # the stream ended on an error, saying why
            self.span.set_attribute("error.type", self.ended_with)
            self.span.set_status(Status(StatusCode.ERROR, self.ended_with))
        self.span.end()


def _codes(body: Mapping[str, Any]) -> list[str]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) else "UNKNOWN")
    return codes
