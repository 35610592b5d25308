"""Send one GraphQL request to one subgraph over a shared, pooled HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson

from .errors import (
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
    GraphQLErrorDict,
    router_error,
)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a subgraph answered: ``data`` and its raw ``errors``, or a transport ``failure``."""

    data: dict[str, Any] | None
    errors: list[Any] = field(default_factory=list)
    failure: GraphQLErrorDict | None = None


class Fetcher(Protocol):
    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
    ) -> FetchResult: ...


class HttpFetcher:
    """Posts GraphQL requests with one pooled ``httpx.AsyncClient`` for all subgraphs."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.urls = dict(urls)
        self._headers = {
            "content-type": "application/json",
            "accept": "application/graphql-response+json, application/json",
            **(headers or {}),
        }
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
    ) -> FetchResult:
        body: dict[str, Any] = {"query": query, "variables": variables}
        if operation_name:
            body["operationName"] = operation_name
        try:
            response = await self._client.post(
                self.urls[service], content=orjson.dumps(body), headers=self._headers
            )
        except httpx.TimeoutException:
            return _failure(service, f"Request to subgraph {service!r} timed out.")
        except httpx.HTTPError as exc:
            return _failure(service, f"Could not reach subgraph {service!r}: {_reason(exc)}.")
        return _interpret(service, response)


def _interpret(service: str, response: httpx.Response) -> FetchResult:
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        payload = None
    graphql_shaped = isinstance(payload, dict) and ("data" in payload or "errors" in payload)
    if not graphql_shaped:
        if response.is_success:
            return _failure(
                service,
                f"Subgraph {service!r} returned an invalid GraphQL response.",
                SUBREQUEST_MALFORMED_RESPONSE,
            )
        return _failure(service, f"Subgraph {service!r} answered HTTP {response.status_code}.")
    assert isinstance(payload, dict)
    data = payload.get("data")
    errors = payload.get("errors") or []
    if (data is not None and not isinstance(data, dict)) or not isinstance(errors, list):
        return _failure(
            service,
            f"Subgraph {service!r} returned an invalid GraphQL response.",
            SUBREQUEST_MALFORMED_RESPONSE,
        )
    if not response.is_success and data is None and not errors:
        return _failure(service, f"Subgraph {service!r} answered HTTP {response.status_code}.")
    return FetchResult(data=data, errors=errors)


def _failure(service: str, message: str, code: str = SUBREQUEST_HTTP_ERROR) -> FetchResult:
    return FetchResult(data=None, failure=router_error(message, code, service=service))


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
