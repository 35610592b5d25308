"""The REST endpoints as ASGI apps: bind the request, run it through the gateway, translate.

A REST call becomes the GraphQL request a client would send for the route's trusted
operation (by its manifest hash, with the bound variables, and the client's headers), and
goes through ``Gateway.handle`` like any ``/graphql`` request: the same identification,
rate limits, persisted-document rules, limits, authorization, plugins and telemetry. Only
binding happens before, and translating the answer after.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from router.errors import (
    BAD_REQUEST,
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    UNSUPPORTED_MEDIA_TYPE,
    RouterError,
)
from router.gateway import Gateway
from router.operation import receive
from router.operation.context import HttpRequest, HttpResponse
from router.operation.manifest import Manifest
from router.rest.mapping import Mapping as RestMapping
from router.rest.mapping import MappingError, MappingSpec, Route, compile_mapping
from router.rest.openapi import openapi_document
from router.rest.params import ParamError, backwards, bind
from router.rest.replies import code_reply, error_reply, router_error_reply, translate
from router.server.endpoint import Scope, Send, _headers, send_response
from router.supergraph import Supergraph

logger = logging.getLogger("switchboard.router")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DROPPED_HEADERS = ("content-type", "content-length", "accept", "transfer-encoding")
# A browser cannot send these cross-site without a CORS preflight: like csrf.required_headers.
PREFLIGHT_HEADERS = ("authorization", "idempotency-key")


@dataclass(frozen=True, slots=True)
class Compiled:
    """The mapping resolved against one supergraph's API schema, and its OpenAPI document."""

    supergraph: object
    mapping: RestMapping
    by_key: Mapping[tuple[str, str], Route]
    openapi: bytes


class RestApi:
    """The REST routes of one mapping; recompiled when the gateway's supergraph changes."""

    def __init__(self, path: Path, spec: MappingSpec, state: Any, max_request_bytes: int,
                 require_authentication: bool) -> None:  # fmt: skip
        self.path, self.spec, self.state = path, spec, state
        self.max_request_bytes = max_request_bytes
        self.require_authentication = require_authentication
        self._compiled: Compiled | None = None

    @property
    def templates(self) -> dict[str, list[str]]:
        """Path template → its methods, in mapping order."""
        found: dict[str, list[str]] = {}
        for route in self.spec.routes:
            found.setdefault(route.path, []).append(route.method)
        return found

    def compile(self, gateway: Gateway) -> Compiled:
        """The mapping for ``gateway``'s supergraph (MappingError if it does not fit)."""
        return self.compile_for(gateway.supergraph, gateway.persisted.manifest)

    def compile_for(self, supergraph: Supergraph, manifest: Manifest) -> Compiled:
        compiled = self._compiled
        if compiled is not None and compiled.supergraph is supergraph:
            return compiled
        schema = supergraph.api_schema
        try:
            mapping = compile_mapping(self.path, self.spec, manifest, schema)
        except MappingError:
            if compiled is None:
                raise
            logger.exception("the REST mapping does not fit the new supergraph; kept the old")
            return compiled
        by_key = {(str(r.spec.method), r.spec.path): r for r in mapping.routes}
        document = openapi_document(mapping, schema, self.require_authentication)
        self._compiled = Compiled(supergraph, mapping, by_key, orjson.dumps(document))
        return self._compiled

    def endpoint(self, template: str) -> RestEndpoint:
        return RestEndpoint(self, template)


class RestEndpoint:
    """The ASGI app for one path template (all its methods)."""

    def __init__(self, api: RestApi, template: str) -> None:
        self.api, self.template = api, template
        self.methods = api.templates[template]

    async def __call__(self, scope: Scope, receive_: receive.Receive, send: Send) -> None:
        try:
            reply = await self._serve(scope, receive_)
        except RouterError as error:
            reply = router_error_reply(error)
        except Exception:  # a router bug: logged, answered as a JSON error
            logger.exception("unexpected error while serving a REST request")
            reply = code_reply(INTERNAL_SERVER_ERROR, "Internal router error.")
        if self.api.state.draining:  # the client reconnects, to a router that is not stopping
            reply = replace(reply, headers=(*reply.headers, (b"connection", b"close")))
        await send_response(reply, send)

    async def _serve(self, scope: Scope, receive_: receive.Receive) -> HttpResponse:
        method = scope["method"]
        if method not in self.methods:
            allow = ", ".join(self.methods)
            raise RouterError(METHOD_NOT_ALLOWED, f"{self.template} takes {allow}.",
                              headers={"allow": allow})  # fmt: skip
        gateway: Gateway = self.api.state.gateway
        route = self.api.compile(gateway).by_key[(method, self.template)]
        headers = _headers(scope)
        body = None
        if method in BODY_METHODS:
            raw = await receive.read_body(receive_, headers, self.api.max_request_bytes)
            body = _json_body(raw, headers)
            if body is None:
                _check_csrf(gateway, headers)
        query = parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"),
                          keep_blank_values=True)  # fmt: skip
        spec, path, client = self.api.spec, scope["path"], scope.get("client")
        peer = client[0] if client else None
        try:
            variables = bind(route, scope.get("path_params", {}), query, body, headers,
                             spec.cursor, spec.scalars)  # fmt: skip
        except ParamError as error:  # nothing ran; telemetry still counts and logs it
            refused = HttpRequest("POST", path, _forwarded(headers), b"", peer)
            reply = error_reply(400, error.code.code, error.message, param=error.param)
            return gateway.telemetry.request(refused).finish(reply)
        body_bytes = _graphql_body(route, variables)
        http = HttpRequest("POST", path, _forwarded(headers), body_bytes, peer)
        backward = backwards(route, variables)
        return await gateway.handle(
            http, lambda reply: translate(route, reply, path, backward=backward)
        )


def _json_body(raw: bytes, headers: Mapping[str, str]) -> Any:
    if not raw.strip():
        return None
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != receive.JSON:
        raise RouterError(UNSUPPORTED_MEDIA_TYPE, "Send request bodies as application/json.",
                          headers={"accept-post": receive.JSON})  # fmt: skip
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RouterError(BAD_REQUEST, "The request body is not valid JSON.") from None


def _check_csrf(gateway: Gateway, headers: Mapping[str, str]) -> None:
    """A bodiless POST/DELETE is a simple request: it needs a header no page can add."""
    required = gateway.settings.csrf_headers
    if required is None:
        return
    http = HttpRequest("POST", "", headers, b"")
    receive.check_csrf(http, (*required, *PREFLIGHT_HEADERS))


def _forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    forwarded = {k: v for k, v in headers.items() if k not in DROPPED_HEADERS}
    forwarded["content-type"] = receive.JSON
    forwarded["accept"] = receive.GRAPHQL_RESPONSE_JSON
    return forwarded


def _graphql_body(route: Route, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({
        "operationName": route.spec.operation,
        "variables": variables,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": route.operation_id}},
    })  # fmt: skip
