"""Errors the executor reports to clients, each with a stable ``extensions.code``.

    SUBREQUEST_HTTP_ERROR           the subgraph could not be reached, timed out or
                                    answered a non-2xx status
    SUBREQUEST_MALFORMED_RESPONSE   the subgraph answered something that is not a GraphQL
                                    response (invalid JSON, wrong shape)
    DOWNSTREAM_SERVICE_ERROR        the subgraph answered GraphQL errors (its own code, if
                                    any, is kept in ``extensions.downstreamCode``)
    RESPONSE_VALIDATION_FAILED      merged data breaks the API schema: null for a non-null
                                    field, a value outside an enum, an unknown runtime type

Every one carries ``serviceName``. The executor never raises for a subgraph failure: these
are values collected next to the data.
"""

from __future__ import annotations

from typing import Any, TypeAlias

GraphQLErrorDict: TypeAlias = dict[str, Any]
Path: TypeAlias = list[str | int]
LinkedPath: TypeAlias = "tuple[LinkedPath, str | int] | None"  # (parent, key): cheap to extend


def flatten_path(path: LinkedPath) -> Path:
    """The list form of a linked path."""
    keys: Path = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


SUBREQUEST_HTTP_ERROR = "SUBREQUEST_HTTP_ERROR"
SUBREQUEST_MALFORMED_RESPONSE = "SUBREQUEST_MALFORMED_RESPONSE"
DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"
RESPONSE_VALIDATION_FAILED = "RESPONSE_VALIDATION_FAILED"


def router_error(
    message: str, code: str, *, service: str | None = None, path: Path | None = None
) -> GraphQLErrorDict:
    extensions: dict[str, Any] = {"code": code}
    if service is not None:
        extensions["serviceName"] = service
    error: GraphQLErrorDict = {"message": message}
    if path:
        error["path"] = path
    error["extensions"] = extensions
    return error


def downstream_error(raw: Any, service: str, path: Path | None) -> GraphQLErrorDict:
    """A subgraph's GraphQL error, re-pathed to the client's response and tagged."""
    if not isinstance(raw, dict):
        return router_error(
            f"Subgraph {service!r} returned a malformed error.",
            SUBREQUEST_MALFORMED_RESPONSE,
            service=service,
            path=path,
        )
    message = raw.get("message")
    extensions = (
        dict(raw.get("extensions") or {}) if isinstance(raw.get("extensions"), dict) else {}
    )
    downstream_code = extensions.pop("code", None)
    extensions["code"] = DOWNSTREAM_SERVICE_ERROR
    if downstream_code is not None:
        extensions["downstreamCode"] = downstream_code
    extensions["serviceName"] = service
    error: GraphQLErrorDict = {"message": message if isinstance(message, str) else "Error"}
    if path:
        error["path"] = path
    error["extensions"] = extensions
    return error
