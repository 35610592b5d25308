"""The router's error catalogue: every code a client can get from the router, defined once.

Each code has the HTTP status it is answered with and a one-line meaning; `docs/errors.md`
is generated from this module (`python -m router.errors_docs`) and checked for staleness.

    RouterError                  raised by a request stage to stop the request; carries a
                                 catalogue code, the message and what the client sees
    graphql_error()              the one function that builds a GraphQL error dict

Kinds of codes:

- *HTTP* errors (`http=True`): the request is not a well-formed GraphQL-over-HTTP request,
  or it is refused before any GraphQL work; always answered with their status.
- *Request* errors: the GraphQL request cannot be executed (syntax, validation, unknown
  persisted query…). GraphQL over HTTP answers them 200 under `application/json` and with
  the code's status under `application/graphql-response+json`.
- *Field* errors: part of an executed response (`data` plus `errors` with paths); the
  response is 200.

Errors a subgraph reports keep the subgraph's own `extensions.code` (as Apollo Router does)
and gain `serviceName`; only errors without a code get `DOWNSTREAM_SERVICE_ERROR`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

GraphQLErrorDict: TypeAlias = dict[str, Any]
ErrorPath: TypeAlias = list[str | int]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One entry of the catalogue."""

    code: str
    status: int
    meaning: str
    kind: str = "request"  # "http", "request", "field" or "server"

    @property
    def http(self) -> bool:
        """Answered with ``status`` whatever the negotiated media type."""
        return self.kind in ("http", "server")

    def __str__(self) -> str:
        return self.code


CATALOGUE: dict[str, ErrorCode] = {}


def _code(code: str, status: int, meaning: str, kind: str = "request") -> ErrorCode:
    entry = ErrorCode(code, status, meaning, kind)
    assert code not in CATALOGUE, code
    CATALOGUE[code] = entry
    return entry


# Receiving the HTTP request -------------------------------------------------------------
BAD_REQUEST = _code(
    "BAD_REQUEST", 400, "The body or query string is not a GraphQL-over-HTTP request.", "http"
)
METHOD_NOT_ALLOWED = _code(
    "METHOD_NOT_ALLOWED", 405, "Use GET or POST; mutations only with POST.", "http"
)
NOT_ACCEPTABLE = _code(
    "NOT_ACCEPTABLE",
    406,
    "The Accept header allows neither application/graphql-response+json nor application/json.",
    "http",
)
PAYLOAD_TOO_LARGE = _code(
    "PAYLOAD_TOO_LARGE", 413, "The request body is larger than `max_request_bytes`.", "http"
)
UNSUPPORTED_MEDIA_TYPE = _code(
    "UNSUPPORTED_MEDIA_TYPE", 415, "POST bodies must be application/json.", "http"
)
CSRF_ERROR = _code(
    "CSRF_ERROR",
    400,
    "A GET, or a POST with a form or text content type, without a preflight-forcing header "
    "(`csrf.required_headers`).",
    "http",
)
RATE_LIMITED = _code(
    "RATE_LIMITED", 429, "Too many requests from this client; retry after `Retry-After`.", "http"
)
OVERLOADED = _code(
    "OVERLOADED",
    503,
    "The router has too many new operations waiting to be prepared; retry shortly.",
    "http",
)
# Persisted documents ----------------------------------------------------------------------
PERSISTED_QUERY_NOT_FOUND = _code(
    "PERSISTED_QUERY_NOT_FOUND",
    400,
    "The hash is not known (yet): send the query with its hash to register it.",
)
PERSISTED_QUERY_NOT_SUPPORTED = _code(
    "PERSISTED_QUERY_NOT_SUPPORTED", 400, "Persisted queries are turned off on this router."
)
PERSISTED_QUERY_HASH_MISMATCH = _code(
    "PERSISTED_QUERY_HASH_MISMATCH", 400, "The query's SHA-256 is not the hash sent.", "http"
)
PERSISTED_QUERY_INVALID = _code(
    "PERSISTED_QUERY_INVALID",
    400,
    "`extensions.persistedQuery` is not version 1 with a hex SHA-256.",
    "http",
)
PERSISTED_QUERY_NOT_IN_LIST = _code(
    "PERSISTED_QUERY_NOT_IN_LIST",
    400,
    "The safelist is enforced and this operation is not in the manifest.",
)
# The document -------------------------------------------------------------------------------
GRAPHQL_PARSE_FAILED = _code(
    "GRAPHQL_PARSE_FAILED", 400, "The document is not valid GraphQL syntax (see `locations`)."
)
GRAPHQL_VALIDATION_FAILED = _code(
    "GRAPHQL_VALIDATION_FAILED",
    400,
    "The document is not valid against the API schema (see `locations`).",
)
GRAPHQL_UNKNOWN_OPERATION_NAME = _code(
    "GRAPHQL_UNKNOWN_OPERATION_NAME",
    400,
    "`operationName` names no operation of the document, or is missing with several.",
)
OPERATION_NOT_SUPPORTED = _code(
    "OPERATION_NOT_SUPPORTED",
    400,
    "A subscription sent as a plain HTTP request: subscribe over WebSocket "
    "(graphql-transport-ws) or with `Accept: text/event-stream`, or subscriptions are off.",
)
# Subscriptions ------------------------------------------------------------------------------
SUBSCRIPTION_LIMIT = _code(
    "SUBSCRIPTION_LIMIT",
    429,
    "Too many subscriptions: `subscriptions.max_per_connection` on one WebSocket, or "
    "`subscriptions.max_per_client` open for one client (subject, else address).",
)
SUBSCRIPTION_STREAM_CLOSED = _code(
    "SUBSCRIPTION_STREAM_CLOSED",
    502,
    "The subgraph serving the subscription refused it or dropped its stream; the "
    "subscription is over (subscribe again).",
    kind="field",
)
SUBSCRIPTION_SCHEMA_RELOAD = _code(
    "SUBSCRIPTION_SCHEMA_RELOAD",
    503,
    "The router loaded a new supergraph and ended the subscription planned on the old one; "
    "subscribe again.",
    kind="field",
)
SUBSCRIPTION_ROUTER_SHUTDOWN = _code(
    "SUBSCRIPTION_ROUTER_SHUTDOWN",
    503,
    "The router is shutting down and ended the subscription; subscribe again (to another router).",
    kind="field",
)
INTROSPECTION_DISABLED = _code(
    "INTROSPECTION_DISABLED", 400, "`__schema`/`__type` are refused: introspection is off."
)
BAD_USER_INPUT = _code(
    "BAD_USER_INPUT", 400, "A variable is missing or does not match its declared type."
)
# Operation limits -----------------------------------------------------------------------------
MAX_TOKENS_LIMIT = _code(
    "MAX_TOKENS_LIMIT", 400, "The document has more lexical tokens than `limits.max_tokens`."
)
MAX_DEPTH_LIMIT = _code(
    "MAX_DEPTH_LIMIT", 400, "Selection sets (or fragments) nest deeper than `limits.max_depth`."
)
MAX_HEIGHT_LIMIT = _code(
    "MAX_HEIGHT_LIMIT", 400, "The operation has more unique fields than `limits.max_height`."
)
MAX_ALIASES_LIMIT = _code(
    "MAX_ALIASES_LIMIT", 400, "The operation has more aliases than `limits.max_aliases`."
)
MAX_ROOT_FIELDS_LIMIT = _code(
    "MAX_ROOT_FIELDS_LIMIT",
    400,
    "The operation has more root fields than `limits.max_root_fields`.",
)
MAX_FIELDS_LIMIT = _code(
    "MAX_FIELDS_LIMIT",
    400,
    "With fragments expanded the operation has more fields than `limits.max_fields`.",
)
MAX_FETCHES_LIMIT = _code(
    "MAX_FETCHES_LIMIT",
    400,
    "The query plan needs more subgraph fetches than `limits.max_fetches`.",
)
MAX_VARIABLES_LIMIT = _code(
    "MAX_VARIABLES_LIMIT",
    400,
    "`variables` hold more JSON values than `limits.max_variable_values`.",
)
# Identity and authorization ------------------------------------------------------------------
UNAUTHENTICATED = _code(
    "UNAUTHENTICATED",
    401,
    "The bearer token is missing where required, malformed, expired, not yet valid, or not "
    "for this router (issuer, audience, signature); a running subscription ends with it when "
    "its token expires (`extensions.reason: expired`).",
    "http",
)
UNAUTHORIZED_FIELD_OR_TYPE = _code(
    "UNAUTHORIZED_FIELD_OR_TYPE",
    200,
    "The identity may not see this field or type (@authenticated, @requiresScopes, @policy): "
    "it is null and was never sent to a subgraph.",
    "field",
)
# Planning -------------------------------------------------------------------------------------
QUERY_PLANNING_FAILED = _code(
    "QUERY_PLANNING_FAILED", 400, "The router cannot plan this operation over the supergraph."
)
QUERY_PLANNING_BUDGET_EXCEEDED = _code(
    "QUERY_PLANNING_BUDGET_EXCEEDED",
    400,
    "Planning this operation needs more time or memory than `planning.budget` allows.",
)
# Plugins --------------------------------------------------------------------------------------
REQUEST_REJECTED = _code(
    "REQUEST_REJECTED", 403, "A router plugin refused the request (its default code).", "http"
)
PLUGIN_FAILED = _code(
    "PLUGIN_FAILED",
    500,
    "A router plugin raised; the router logged it with the plugin's name.",
    "server",
)
# REST endpoints (docs/rest.md) ------------------------------------------------------------
REST_PARAMETER_INVALID = _code(
    "REST_PARAMETER_INVALID",
    400,
    "A REST parameter does not fit its variable's type (`param` names it).",
    "http",
)
REST_PARAMETER_MISSING = _code(
    "REST_PARAMETER_MISSING",
    400,
    "A required REST parameter is missing (`param` names it).",
    "http",
)
REST_PARAMETER_UNKNOWN = _code(
    "REST_PARAMETER_UNKNOWN",
    400,
    "The query string or body has a parameter the endpoint does not take (`param`).",
    "http",
)
REST_ROUTE_NOT_FOUND = _code("REST_ROUTE_NOT_FOUND", 404, "No REST endpoint has this path.", "http")
RESOURCE_NOT_FOUND = _code(
    "RESOURCE_NOT_FOUND",
    404,
    "The REST endpoint's operation answered null for the resource: nothing has this id.",
    "http",
)
# Executing the plan ---------------------------------------------------------------------------
SUBREQUEST_HTTP_ERROR = _code(
    "SUBREQUEST_HTTP_ERROR",
    200,
    "A subgraph could not be reached, timed out or answered a non-2xx status.",
    "field",
)
SUBREQUEST_MALFORMED_RESPONSE = _code(
    "SUBREQUEST_MALFORMED_RESPONSE",
    200,
    "A subgraph answered something that is not a GraphQL response.",
    "field",
)
DOWNSTREAM_SERVICE_ERROR = _code(
    "DOWNSTREAM_SERVICE_ERROR",
    200,
    "A subgraph reported an error without an `extensions.code` of its own.",
    "field",
)
RESPONSE_VALIDATION_FAILED = _code(
    "RESPONSE_VALIDATION_FAILED",
    200,
    "Merged subgraph data breaks the API schema (null for non-null, unknown enum or type).",
    "field",
)
INTERNAL_SERVER_ERROR = _code(
    "INTERNAL_SERVER_ERROR", 500, "A router bug; it is logged with its stack trace.", "server"
)


def graphql_error(
    message: str,
    code: ErrorCode | str,
    *,
    path: Sequence[str | int] | None = None,
    locations: Sequence[Mapping[str, int]] | None = None,
    service: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> GraphQLErrorDict:
    """A GraphQL error: ``message``, ``locations``, ``path``, then ``extensions.code`` first."""
    error: GraphQLErrorDict = {"message": message}
    if locations:
        error["locations"] = [dict(location) for location in locations]
    if path:
        error["path"] = list(path)
    ext: dict[str, Any] = {"code": str(code)}
    if extensions:
        ext.update({k: v for k, v in extensions.items() if k != "code"})
    if service is not None:
        ext["serviceName"] = service
    error["extensions"] = ext
    return error


def downstream_error(raw: Any, service: str, path: ErrorPath | None) -> GraphQLErrorDict:
    """A subgraph's GraphQL error, re-pathed to the client's response and tagged.

    The subgraph's own ``extensions`` (its ``code`` included) are kept as sent, in their
    order; ``serviceName`` says where it came from.
    """
    if not isinstance(raw, dict):
        return graphql_error(
            f"Subgraph {service!r} returned a malformed error.",
            SUBREQUEST_MALFORMED_RESPONSE,
            service=service,
            path=path,
        )
    message = raw.get("message")
    given = raw.get("extensions")
    extensions = dict(given) if isinstance(given, dict) else {}
    code = extensions.get("code")
    if not (isinstance(code, str) and code):
        extensions["code"] = DOWNSTREAM_SERVICE_ERROR.code
    extensions["serviceName"] = service
    error: GraphQLErrorDict = {"message": message if isinstance(message, str) else "Error"}
    if path:
        error["path"] = path
    error["extensions"] = extensions
    return error


@dataclass(eq=False)
class RouterError(Exception):
    """Stops a request at the stage that raised it; answered as one (or more) GraphQL errors.

    ``errors`` replaces the single error built from ``message`` when a stage reports several
    (e.g. validation). ``status`` overrides the code's status (rarely: a plugin's choice).
    """

    code: ErrorCode
    message: str
    locations: Sequence[Mapping[str, int]] | None = None
    errors: list[GraphQLErrorDict] | None = None
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def graphql_errors(self) -> list[GraphQLErrorDict]:
        if self.errors is not None:
            return self.errors
        return [
            graphql_error(
                self.message, self.code, locations=self.locations, extensions=self.extensions
            )
        ]

    def http_status(self, media_type_is_graphql_response: bool) -> int:
        """The status for this error under the negotiated media type (GraphQL over HTTP)."""
        if self.status is not None:
            return self.status
        if self.code.http or media_type_is_graphql_response:
            return self.code.status
        return 200
