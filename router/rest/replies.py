"""REST answers: the operation's data unwrapped to the resource, errors as HTTP statuses.

Error bodies follow Stripe's shape, which merchants' code already handles:

    {"error": {"type": "invalid_request_error", "code": "NOT_FOUND", "message": "…",
               "param": "id"}}

``code`` is the GraphQL ``extensions.code`` (docs/errors.md); ``type`` groups the statuses.
Any GraphQL error fails the whole request: a REST resource is all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from router.errors import (
    BAD_USER_INPUT,
    CATALOGUE,
    DOWNSTREAM_SERVICE_ERROR,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_UNKNOWN_OPERATION_NAME,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    OPERATION_NOT_SUPPORTED,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_LIST,
    PERSISTED_QUERY_NOT_SUPPORTED,
    QUERY_PLANNING_FAILED,
    REQUEST_REJECTED,
    RESOURCE_NOT_FOUND,
    RESPONSE_VALIDATION_FAILED,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
    UNAUTHORIZED_FIELD_OR_TYPE,
    ErrorCode,
    RouterError,
)
from router.operation.context import HttpResponse
from router.operation.respond import http_response
from router.rest.mapping import Route
from router.rest.shapes import apply

JSON = "application/json"

# Codes subgraphs (and the router) answer, by the status a REST client gets.
STATUS_OF_CODE: dict[str, int] = {
    **{str(code): 403 for code in (UNAUTHORIZED_FIELD_OR_TYPE, REQUEST_REJECTED)},
    **{str(code): 502 for code in (SUBREQUEST_HTTP_ERROR, SUBREQUEST_MALFORMED_RESPONSE,
                                   DOWNSTREAM_SERVICE_ERROR, RESPONSE_VALIDATION_FAILED)},
    str(BAD_USER_INPUT): 422,  # from a subgraph: a domain rule; the router's own is 400
    str(INTERNAL_SERVER_ERROR): 500,
    # the subgraphs' codes (subgraphs/common/errors.py)
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "CONFLICT": 409,
    "OUT_OF_STOCK": 422,
    "SERVICE_UNAVAILABLE": 503,
}  # fmt: skip
# A trusted operation that no longer fits the schema is the mapping's fault, not the client's.
MAPPING_FAULTS = frozenset(str(code) for code in (
    GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, GRAPHQL_UNKNOWN_OPERATION_NAME,
    PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_NOT_IN_LIST, PERSISTED_QUERY_NOT_SUPPORTED,
    QUERY_PLANNING_FAILED, OPERATION_NOT_SUPPORTED,
))  # fmt: skip
ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}
KEPT_HEADERS = ("content-type", "content-length")


def status_of(error: Mapping[str, Any], refused: int | None = None) -> int:
    """The REST status for ``error``; ``refused`` is the gateway's status when a stage refused
    the request (a plugin's choice included), None for errors of an executed operation."""
    extensions = error.get("extensions")
    extensions = extensions if isinstance(extensions, Mapping) else {}
    code = str(extensions.get("code", ""))
    if code in MAPPING_FAULTS:
        return 500
    if refused is not None and refused >= 400:
        return refused
    if code == BAD_USER_INPUT.code and "serviceName" not in extensions:
        return 400  # the router's variable coercion
    if code == SUBREQUEST_HTTP_ERROR.code and extensions.get("reason") == "overloaded":
        return 503
    if code in STATUS_OF_CODE:
        return STATUS_OF_CODE[code]
    entry = CATALOGUE.get(code)
    if entry is not None and entry.status >= 400:
        return entry.status
    return 500


def error_type(status: int, code: str) -> str:
    if code == "IDEMPOTENCY_KEY_REUSED":
        return "idempotency_error"
    if status >= 500:
        return "api_error"
    return ERROR_TYPES.get(status, "invalid_request_error")


def error_reply(
    status: int,
    code: str,
    message: str,
    *,
    param: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    error: dict[str, Any] = {"type": error_type(status, code), "code": code, "message": message}
    if param is not None:
        error["param"] = param
    for key, value in (extra or {}).items():
        error.setdefault(key, value)
    return http_response(status, orjson.dumps({"error": error}), JSON, headers or {})


def router_error_reply(error: RouterError) -> HttpResponse:
    extensions = dict(error.extensions or {})
    param = extensions.pop("param", None)
    return error_reply(
        error.status or error.code.status, error.code.code, error.message, param=param,
        extra=extensions, headers=error.headers,
    )  # fmt: skip


def code_reply(code: ErrorCode, message: str, param: str | None = None) -> HttpResponse:
    return error_reply(code.status, code.code, message, param=param)


def translate(
    route: Route, reply: HttpResponse, url_path: str, *, backward: bool = False
) -> HttpResponse:
    """The REST answer for the gateway's GraphQL ``reply`` to ``route``'s operation.

    ``backward``: the list was read newest first from ``ending_before``; its page is put
    back in the list's order, and ``has_more`` says whether more objects precede it."""
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in reply.headers
        if name.decode("latin-1").lower() not in KEPT_HEADERS
    }
    try:
        body = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return error_reply(502, INTERNAL_SERVER_ERROR.code, "The router answered no JSON.")
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        return _graphql_error_reply(route, errors, headers, reply.status)
    resource = _walk(body.get("data"), route.result)
    if resource is None:
        names = [p.name for p in route.params if p.location == "path"]
        return error_reply(
            RESOURCE_NOT_FOUND.status, RESOURCE_NOT_FOUND.code,
            f"No such resource: {url_path}.", param=names[-1] if names else None, headers=headers,
        )  # fmt: skip
    if route.spec.pagination is not None and isinstance(resource, dict):
        body = _page(route, resource, url_path, backward)
        return http_response(route.spec.status, orjson.dumps(body), JSON, headers)
    resource = apply(resource, route.shape, top=True)
    if isinstance(resource, dict) and route.spec.outcome_statuses:
        outcome = resource.get("outcome")
        status = route.spec.outcome_statuses.get(outcome) if isinstance(outcome, str) else None
        if status is not None:
            return outcome_reply(status, str(outcome), resource, headers)
    if route.spec.redirect and isinstance(resource, str):
        return http_response(302, b"", JSON, {**headers, "location": resource})
    if isinstance(resource, list):  # a plain list is one page
        resource = {"object": "list", "url": url_path, "has_more": False, "data": resource}
    return http_response(route.spec.status, orjson.dumps(resource), JSON, headers)


def _page(
    route: Route, connection: Mapping[str, Any], url_path: str, backward: bool
) -> dict[str, Any]:
    """Stripe's list object of one page of a connection, in the list's order."""
    page_info = connection.get("pageInfo") or {}
    items = [apply(item, route.shape, top=True) for item in connection.get("nodes") or []]
    return {"object": "list", "url": url_path, "has_more": bool(page_info.get("hasNextPage")),
            "data": items[::-1] if backward else items}  # fmt: skip


def outcome_code(outcome: str) -> str:
    """``PaymentDeclined`` → ``PAYMENT_DECLINED``: a result type as an error code."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", outcome).upper()


def outcome_reply(
    status: int, outcome: str, resource: Mapping[str, Any], headers: Mapping[str, str]
) -> HttpResponse:
    """A result the mapping answers as an error (a declined card: 402 ``card_error``)."""
    code = outcome_code(outcome)
    kind = "card_error" if status == 402 else error_type(status, code)
    error: dict[str, Any] = {"type": kind, "code": code,
                             "message": str(resource.get("message") or outcome)}  # fmt: skip
    for key, value in resource.items():
        if key not in ("object", "outcome", "message"):
            error.setdefault(key, value)
    return http_response(status, orjson.dumps({"error": error}), JSON, headers)


def _graphql_error_reply(
    route: Route, errors: Sequence[Any], headers: Mapping[str, str], refused: int
) -> HttpResponse:
    first: dict[str, Any] = errors[0] if isinstance(errors[0], dict) else {"message": "Error"}
    status = status_of(first, refused)
    extensions = dict(first.get("extensions") or {})
    code = str(extensions.pop("code", INTERNAL_SERVER_ERROR.code))
    field = extensions.pop("field", None)
    service = extensions.pop("serviceName", None)
    if service is not None:
        extensions["service"] = service
    param = _param_for(route, field) if isinstance(field, str) else None
    message = str(first.get("message") or "Error")
    if status >= 500 and code in MAPPING_FAULTS:
        message = f"The endpoint's operation cannot run: {message}"
    return error_reply(status, code, message, param=param, extra=extensions, headers=headers)


def _param_for(route: Route, field: str) -> str:
    """The REST parameter a subgraph's ``extensions.field`` (an argument or input field) is."""
    variable = route.arguments.get(field, field)
    for param in route.params:
        if param.target == (variable,) or param.target[-1] == field:
            return param.name
    return route.naming.field(field)


def _walk(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
