"""Stage 1, receive: an HTTP request (POST JSON or GET query string) → a GraphQLRequest.

Also negotiates the response media type and reads the body within ``max_request_bytes``.
Everything refused here is an HTTP error: the request is not GraphQL over HTTP yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from router.errors import (
    BAD_REQUEST,
    CSRF_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    RouterError,
)
from router.operation.context import GraphQLRequest, HttpRequest

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
Receive = Callable[[], Awaitable[dict[str, Any]]]


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


def negotiate(http: HttpRequest) -> str:
    """The response media type for ``http``; refuses methods and Accept headers we cannot serve."""
    if http.method not in ("GET", "POST"):
        raise RouterError(METHOD_NOT_ALLOWED, "Use GET or POST.", headers={"allow": "GET, POST"})
    media_type = response_media_type(http.headers.get("accept"))
    if media_type is None:
        raise RouterError(
            NOT_ACCEPTABLE, "Accept application/graphql-response+json or application/json."
        )
    return media_type


SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)


def check_csrf(http: HttpRequest, required_headers: tuple[str, ...]) -> None:
    """Apollo Router's CSRF rule: a request a browser sends without a CORS preflight (no
    content type, or a form/text one) must carry one of ``required_headers``, which no page
    can add without a preflight."""
    content_type = http.headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";")[0].strip().lower()
        if media and media not in SIMPLE_CONTENT_TYPES:
            return
    if any(http.headers.get(name) for name in required_headers):
        return
    raise RouterError(
        CSRF_ERROR,
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
        "Send a content-type that is not application/x-www-form-urlencoded, "
        "multipart/form-data or text/plain, or a non-empty header: "
        + ", ".join(required_headers)
        + ".",
    )


async def read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes:
    """The whole request body from ASGI ``receive``; at most ``limit`` bytes are held."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RouterError(PAYLOAD_TOO_LARGE, f"The request body exceeds {limit} bytes.")
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RouterError(BAD_REQUEST, "The client disconnected before sending the whole body.")
        chunk: bytes = message.get("body", b"")
        body += chunk
        if len(body) > limit:
            raise RouterError(PAYLOAD_TOO_LARGE, f"The request body exceeds {limit} bytes.")
        if not message.get("more_body"):
            return body


def graphql_request(http: HttpRequest) -> GraphQLRequest:
    """The GraphQL request in ``http``'s body (POST) or query string (GET)."""
    if http.method == "GET":
        return from_get(dict(parse_qsl(http.body.decode("latin-1"), keep_blank_values=True)))
    return from_post(http.headers.get("content-type"), http.body)


def from_post(content_type: str | None, body: bytes) -> GraphQLRequest:
    media = (content_type or "").split(";")[0].strip().lower()
    if media != JSON:
        raise RouterError(
            UNSUPPORTED_MEDIA_TYPE,
            "Send GraphQL requests as application/json.",
            headers={"accept-post": JSON},
        )
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RouterError(BAD_REQUEST, "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise RouterError(BAD_REQUEST, "The request body must be a JSON object.")
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
                raise RouterError(BAD_REQUEST, f"The {name} parameter is not valid JSON.") from None
    return _build(payload, via_get=True)


def _build(payload: dict[str, Any], *, via_get: bool) -> GraphQLRequest:
    query = payload.get("query")
    variables = payload.get("variables")
    operation_name = payload.get("operationName")
    extensions = payload.get("extensions")
    if query is not None and not isinstance(query, str):
        raise RouterError(BAD_REQUEST, "query must be a string.")
    if variables is not None and not isinstance(variables, dict):
        raise RouterError(BAD_REQUEST, "variables must be a JSON object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RouterError(BAD_REQUEST, "operationName must be a string.")
    if extensions is not None and not isinstance(extensions, dict):
        raise RouterError(BAD_REQUEST, "extensions must be a JSON object.")
    if query is None and not (extensions or {}).get("persistedQuery"):
        raise RouterError(BAD_REQUEST, "The request has no query.")
    return GraphQLRequest(
        query=query,
        variables=variables or {},
        operation_name=operation_name or None,
        extensions=extensions or {},
        via_get=via_get,
    )
