"""Read a GraphQL-over-HTTP request (POST JSON or GET query string) into a GraphQLRequest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str | None
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    via_get: bool = False


@dataclass(frozen=True, slots=True)
class RequestError(Exception):
    """A request that is not a well-formed GraphQL-over-HTTP request."""

    status: int
    message: str
    code: str = "BAD_REQUEST"
    headers: Mapping[str, str] = field(default_factory=dict)


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither JSON form."""
    if not accept:
        return JSON
    ranges = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE_JSON in ranges:
        return GRAPHQL_RESPONSE_JSON
    if any(r in (JSON, "application/*", "*/*") for r in ranges):
        return JSON
    return None


def from_post(content_type: str | None, body: bytes) -> GraphQLRequest:
    media = (content_type or "").split(";")[0].strip().lower()
    if media != JSON:
        raise RequestError(
            415, "Send GraphQL requests as application/json.", "BAD_REQUEST", {"accept-post": JSON}
        )
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError(400, "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    return _build(payload, via_get=False)


def from_get(params: Mapping[str, str]) -> GraphQLRequest:
    payload: dict[str, Any] = {"query": params.get("query")}
    payload["operationName"] = params.get("operationName")
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                payload[name] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise RequestError(400, f"The {name} parameter is not valid JSON.") from None
    return _build(payload, via_get=True)


def _build(payload: dict[str, Any], *, via_get: bool) -> GraphQLRequest:
    query = payload.get("query")
    variables = payload.get("variables")
    operation_name = payload.get("operationName")
    extensions = payload.get("extensions")
    if query is not None and not isinstance(query, str):
        raise RequestError(400, "query must be a string.")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "variables must be a JSON object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "operationName must be a string.")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "extensions must be a JSON object.")
    if query is None and not (extensions or {}).get("persistedQuery"):
        raise RequestError(400, "The request has no query.")
    return GraphQLRequest(
        query=query,
        variables=variables or {},
        operation_name=operation_name or None,
        extensions=extensions or {},
        via_get=via_get,
    )
