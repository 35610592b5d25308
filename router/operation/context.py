"""What one client request carries through the stages: the HTTP request and per-request state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(slots=True)
class RequestContext:
    """Per-request state the stages fill in; plugins may keep their own in ``scratch``."""

    http: HttpRequest
    media_type: str
    scratch: dict[str, Any] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)
