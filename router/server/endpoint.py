"""``/graphql`` as a plain ASGI app: the router's hot path, without per-request framework objects.

GET and POST GraphQL-over-HTTP requests go straight from the ASGI scope to the gateway;
browsers asking for HTML get GraphiQL. With ``dedupe_requests`` on, identical concurrent
queries (same body or query string, same negotiated media type, same headers forwarded to
the subgraphs) run once and every waiter gets the same response bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from router.config import RouterConfig
from router.gateway import Gateway, Outcome
from router.headers import HeaderRules
from router.inflight import Inflight
from router.request import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    GraphQLRequest,
    RequestError,
    from_get,
    from_post,
    response_media_type,
)

logger = logging.getLogger("switchboard.router")
EXPOSE_PLAN_HEADER = "switchboard-expose-query-plan"
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A finished HTTP response: immutable, so concurrent identical requests can share it."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


class GraphQLEndpoint:
    """The ASGI app for ``/graphql``; ``state`` is the Starlette app state holding the gateway."""

    def __init__(self, config: RouterConfig, rules: HeaderRules, state: Any) -> None:
        self.config = config
        self.rules = rules
        self.state = state
        self.dedupe = config.traffic.dedupe_requests
        self.inflight: Inflight[Reply] = Inflight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        method = scope["method"]
        if method == "GET":
            graphiql = self.state.graphiql
            if graphiql is not None and graphiql.wanted(Request(scope)):
                await graphiql.response()(scope, receive, send)
                return
        elif method != "POST":
            await error_reply(
                405, "Use GET or POST.", "BAD_REQUEST", extra={"allow": "GET, POST"}
            ).send(send)
            return
        media_type = response_media_type(headers.get("accept"))
        if media_type is None:
            message = "Accept application/graphql-response+json or application/json."
            await error_reply(406, message, "BAD_REQUEST").send(send)
            return
        try:
            raw = await self._body(method, scope, receive, headers)
        except RequestError as exc:
            await error_reply(exc.status, exc.message, exc.code, exc.headers, media_type).send(send)
            return
        reply = await self._answer(method, raw, headers, media_type)
        await reply.send(send)

    async def _body(
        self, method: str, scope: Scope, receive: Receive, headers: Mapping[str, str]
    ) -> bytes:
        if method == "GET":
            return bytes(scope.get("query_string", b""))
        limit = self.config.max_request_bytes
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise RequestError(413, f"The request body exceeds {limit} bytes.")
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestError(400, "The client disconnected before sending the whole body.")
            chunk: bytes = message.get("body", b"")
            body += chunk
            if len(body) > limit:
                raise RequestError(413, f"The request body exceeds {limit} bytes.")
            if not message.get("more_body"):
                return body

    async def _answer(
        self, method: str, raw: bytes, headers: Mapping[str, str], media_type: str
    ) -> Reply:
        try:
            request = _parse(method, raw, headers)
        except RequestError as exc:
            return error_reply(exc.status, exc.message, exc.code, exc.headers, media_type)
        gateway: Gateway = self.state.gateway
        expose = self.config.dev and headers.get(EXPOSE_PLAN_HEADER, "").lower() == "true"
        headers_for = None if self.rules.empty else self.rules.bind(headers)

        async def run() -> Reply:
            return await self._execute(gateway, request, headers, headers_for, expose, media_type)

        if self.dedupe and gateway.is_query(request):
            key = (method, raw, media_type, expose, gateway, self._forwarded(headers))
            return await self.inflight.run(key, run)
        return await run()

    def _forwarded(self, headers: Mapping[str, str]) -> tuple[Any, ...]:
        """Everything that makes two identical documents differ in what the subgraphs see."""
        if self.rules.empty:
            return ()
        bound = self.rules.bind(headers)
        names = sorted(self.state.gateway.fetcher.urls)
        return tuple(tuple(sorted(bound(name).items())) for name in names)

    async def _execute(
        self,
        gateway: Gateway,
        request: GraphQLRequest,
        headers: Mapping[str, str],
        headers_for: Any,
        expose: bool,
        media_type: str,
    ) -> Reply:
        try:
            outcome = await gateway.execute(
                request, expose_plan=expose, headers_for=headers_for, client_headers=headers
            )
        except Exception:  # a router bug: logged, answered as a GraphQL error
            logger.exception("unexpected error while executing a request")
            return error_reply(
                500, "Internal router error.", "INTERNAL_SERVER_ERROR", None, media_type
            )
        return outcome_reply(outcome, media_type)


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (ASGI names are lower-case already); repeats joined."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _parse(method: str, raw: bytes, headers: Mapping[str, str]) -> GraphQLRequest:
    if method == "GET":
        return from_get(dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)))
    request: GraphQLRequest = from_post(headers.get("content-type"), raw)
    return request


def outcome_reply(outcome: Outcome, media_type: str) -> Reply:
    status = outcome.http_status or 200
    if outcome.request_error and media_type == GRAPHQL_RESPONSE_JSON and status == 200:
        status = 400  # the spec's status for request errors with the new media type
    extra = dict(outcome.headers)
    if status == 405:
        extra["allow"] = "POST"
    return _reply(status, orjson.dumps(outcome.body), media_type, extra)


def error_reply(
    status: int,
    message: str,
    code: str,
    extra: Mapping[str, str] | None = None,
    media_type: str = JSON,
) -> Reply:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return _reply(status, orjson.dumps(body), media_type, extra or {})


def _reply(status: int, body: bytes, media_type: str, extra: Mapping[str, str]) -> Reply:
    headers = [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
    ]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    return Reply(status, tuple(headers), body)
