"""Send one GraphQL request to one subgraph; identical in-flight queries share one request."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import orjson

from router.errors import (
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
    ErrorCode,
    GraphQLErrorDict,
    graphql_error,
)
from router.executor.inflight import Inflight

from .gate import Gate, Overloaded
from .http1 import (
    RESERVED,
    ConnectFailed,
    Http1Client,
    HttpClientError,
    Origin,
    RequestTimedOut,
    Response,
)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a subgraph answered: ``data`` and its raw ``errors``, or a transport ``failure``.

    ``status`` and ``raw_headers`` are the HTTP response's, when there was one.
    """

    data: dict[str, Any] | None
    errors: list[Any] = field(default_factory=list)
    failure: GraphQLErrorDict | None = None
    status: int | None = None
    raw_headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def headers(self) -> dict[str, str]:
        """Response headers by lower-case name (repeats joined), decoded on demand."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in self.raw_headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers


class Fetcher(Protocol):
    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        mutation: bool = False,
    ) -> FetchResult: ...


_BASE_HEADERS = (
    b"Content-Type: application/json\r\n"
    b"Accept: application/graphql-response+json, application/json\r\n"
)


class HttpFetcher:
    """Posts GraphQL requests to subgraphs over one keep-alive pool per origin.

    With ``dedupe`` on, a query whose exact request (subgraph, body, headers) is already in
    flight waits for that request's answer instead of sending its own; each waiter decodes
    the shared bytes itself, so no two requests ever share mutable response data.
    Mutations are never de-duplicated and never retried.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
        headers: Mapping[str, str] | None = None,
        dedupe: bool = True,
        max_connections_per_origin: int = 100,
        concurrency: Mapping[str, tuple[int, int]] | None = None,
        default_concurrency: tuple[int, int] = (100, 500),
    ) -> None:
        self.urls: dict[str, str] = {}
        self._origins: dict[str, Origin] = {}
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})
        self._static = _BASE_HEADERS + encode_headers(headers or {})
        self._dedupe = dedupe
        self._client = Http1Client(max_connections_per_origin=max_connections_per_origin)
        self._in_flight: Inflight[Response] = Inflight()
        self._concurrency = dict(concurrency or {})
        self._default_concurrency = default_concurrency
        self._gates: dict[str, Gate] = {}
        self.set_urls(urls)

    def set_urls(self, urls: Mapping[str, str]) -> None:
        """Point subgraphs at (new) URLs; requests already sent are not affected."""
        self._origins = {name: Origin.parse(url) for name, url in urls.items()}
        self.urls = dict(urls)
        for name in urls:
            if name not in self._gates:
                limit, queue = self._concurrency.get(name, self._default_concurrency)
                self._gates[name] = Gate(limit, queue)

    async def aclose(self) -> None:
        await self._client.aclose()

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
        body: dict[str, Any] = {"query": query, "variables": variables}
        if operation_name:
            body["operationName"] = operation_name
        payload = orjson.dumps(body)
        extra = encode_headers(headers) if headers else b""
        try:
            if mutation or not self._dedupe:
                response = await self._send(service, extra, payload, idempotent=not mutation)
            else:
                response = await self._shared(service, extra, payload)
        except RequestTimedOut:
            return _failure(service, f"Request to subgraph {service!r} timed out.")
        except Overloaded as exc:
            return _failure(
                service, f"Subgraph {service!r} is overloaded: {exc}.", reason="overloaded"
            )
        except ConnectFailed as exc:
            return _failure(service, f"Could not reach subgraph {service!r}: {exc}.")
        except HttpClientError as exc:
            return _failure(service, f"Subgraph {service!r} failed: {exc}.")
        return _interpret(service, response)

    async def _shared(self, service: str, extra: bytes, payload: bytes) -> Response:
        return await self._in_flight.run(
            (service, extra, payload),
            lambda: self._send(service, extra, payload, idempotent=True),
        )

    async def _send(
        self, service: str, extra: bytes, payload: bytes, *, idempotent: bool
    ) -> Response:
        origin = self._origins[service]
        timeout = self.timeouts.get(service, self.timeout)
        gate = self._gates[service]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with gate.slot(deadline):
            return await self._client.post(
                origin,
                self._static + extra,
                payload,
                timeout=max(deadline - loop.time(), 0.001),
                retry_stale=idempotent,
            )


def encode_headers(headers: Mapping[str, str]) -> bytes:
    """``Name: value`` lines for forwarding; unsafe names and values are left out.

    ``RESERVED`` (framing, negotiation, hop-by-hop) is the list header rules refuse too.
    """
    lines = []
    for name, value in headers.items():
        if name.lower() in RESERVED or not _safe(name) or not _safe(value):
            continue
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1", errors="replace")


def _safe(text: str) -> bool:
    return "\r" not in text and "\n" not in text and "\0" not in text


def _interpret(service: str, response: Response) -> FetchResult:
    result = _decode(service, response)
    return replace(result, status=response.status, raw_headers=response.headers)


def _decode(service: str, response: Response) -> FetchResult:
    try:
        payload = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        payload = None
    success = 200 <= response.status < 300
    graphql_shaped = isinstance(payload, dict) and ("data" in payload or "errors" in payload)
    if not graphql_shaped:
        if success:
            return _failure(
                service,
                f"Subgraph {service!r} returned an invalid GraphQL response.",
                SUBREQUEST_MALFORMED_RESPONSE,
            )
        return _failure(service, f"Subgraph {service!r} answered HTTP {response.status}.")
    assert isinstance(payload, dict)
    data = payload.get("data")
    errors = payload.get("errors") or []
    if (data is not None and not isinstance(data, dict)) or not isinstance(errors, list):
        return _failure(
            service,
            f"Subgraph {service!r} returned an invalid GraphQL response.",
            SUBREQUEST_MALFORMED_RESPONSE,
        )
    if not success and data is None and not errors:
        return _failure(service, f"Subgraph {service!r} answered HTTP {response.status}.")
    return FetchResult(data=data, errors=errors)


def _failure(
    service: str, message: str, code: ErrorCode = SUBREQUEST_HTTP_ERROR, reason: str | None = None
) -> FetchResult:
    extensions = {"reason": reason} if reason else None
    failure = graphql_error(message, code, service=service, extensions=extensions)
    return FetchResult(data=None, failure=failure)
