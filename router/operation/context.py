"""What one client request carries through the stages: the HTTP request and per-request state."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from router.errors import RouterError
    from router.executor.fetcher import Fetcher
    from router.operation.plan import PreparedOperation
    from router.operation.validate import ValidOperation


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """The HTTP request as received: ``headers`` by lower-case name, repeats joined by ``, ``."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes  # the POST body, or the raw query string of a GET
    client: str | None = None  # the peer's address


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """A GraphQL-over-HTTP request's parameters."""

    query: str | None
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    via_get: bool = False


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A finished HTTP response: immutable, so identical concurrent requests can share it."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


_NULL_CONTEXT: AbstractContextManager[None] = contextlib.nullcontext()


class NullTelemetry:
    """A request's telemetry while it is off: every call does nothing.

    ``router.telemetry.RequestTelemetry`` is the recording one; the conductor calls these
    at stage boundaries (``stage``), around work on threads (``child``) and with outcomes.
    """

    __slots__ = ()

    def stage(self, name: str) -> None:
        pass

    def child(self, name: str) -> AbstractContextManager[None]:
        return _NULL_CONTEXT

    def operation(self, valid: ValidOperation) -> None:
        pass

    def refused(self, error: RouterError) -> None:
        pass

    def executed(self, body: Mapping[str, Any]) -> None:
        pass

    def fetcher(self, fetcher: Fetcher, prepared: PreparedOperation) -> Fetcher:
        return fetcher

    def finish(self, reply: HttpResponse) -> HttpResponse:
        return reply

    def crashed(self, exc: BaseException) -> None:
        pass


NULL_TELEMETRY = NullTelemetry()


@dataclass(slots=True)
class RequestContext:
    """Per-request state the stages fill in; plugins may keep their own in ``scratch``."""

    http: HttpRequest
    media_type: str
    scratch: dict[str, Any] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)
    telemetry: NullTelemetry = NULL_TELEMETRY
