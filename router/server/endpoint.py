"""``/graphql`` as a plain ASGI app: the router's hot path, without per-request framework objects.

Browsers asking for HTML get GraphiQL; everything else is read into an ``HttpRequest`` and
answered by the current gateway (``router.gateway``), which runs the request stages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request

from router.errors import INTERNAL_SERVER_ERROR, OPERATION_NOT_SUPPORTED, RouterError
from router.gateway import Gateway
from router.operation import receive
from router.operation.context import HttpRequest, HttpResponse
from router.operation.respond import error_reply
from router.realtime.defer_http import serve_deferred
from router.realtime.http_stream import Framing, serve_stream, streaming_framing

logger = logging.getLogger("switchboard.router")
Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def send_response(response: HttpResponse, send: Send) -> None:
    start = {"type": "http.response.start", "status": response.status, "headers": response.headers}
    await send(start)
    await send({"type": "http.response.body", "body": response.body})


class GraphQLEndpoint:
    """The ASGI app for ``/graphql``; ``state`` is the Starlette app state holding the gateway."""

    def __init__(self, max_request_bytes: int, state: Any) -> None:
        self.max_request_bytes = max_request_bytes
        self.state = state

    async def __call__(self, scope: Scope, receive_: receive.Receive, send: Send) -> None:
        headers = _headers(scope)
        method = scope["method"]
        if method == "GET":
            graphiql = self.state.graphiql
            if graphiql is not None and graphiql.wanted(Request(scope)):
                await graphiql.response()(scope, receive_, send)
                return
        try:
            if method == "POST":
                body = await receive.read_body(receive_, headers, self.max_request_bytes)
            else:
                body = bytes(scope.get("query_string", b""))
        except RouterError as error:
            media_type = receive.response_media_type(headers.get("accept")) or receive.JSON
            await send_response(error_reply(error, media_type), send)
            return
        client = scope.get("client")
        http = HttpRequest(method, scope["path"], headers, body, client[0] if client else None)
        gateway: Gateway = self.state.gateway  # a reload swaps it; this request keeps its own
        framing = streaming_framing(headers.get("accept"))
        if framing is not None:
            await self._stream(gateway, http, framing, receive_, send)
            return
        if b"defer" in body or b"persistedQuery" in body:  # @defer, or maybe behind a hash
            try:
                deferred = await serve_deferred(gateway, http, send)
            except Exception:
                logger.exception("unexpected error while deferring")
                deferred = error_reply(RouterError(INTERNAL_SERVER_ERROR, "Internal router error."))
            if isinstance(deferred, HttpResponse):
                await send_response(deferred, send)
            if deferred is not None:
                return
        try:
            response = await gateway.handle(http)
        except Exception:  # a router bug: logged, answered as a GraphQL error
            logger.exception("unexpected error while executing a request")
            response = error_reply(RouterError(INTERNAL_SERVER_ERROR, "Internal router error."))
        if self.state.draining:  # the client reconnects, to a router that is not stopping
            response = replace(response, headers=(*response.headers, (b"connection", b"close")))
        await send_response(response, send)

    async def _stream(
        self,
        gateway: Gateway,
        http: HttpRequest,
        framing: Framing,
        receive_: receive.Receive,
        send: Send,
    ) -> None:
        realtime = gateway.realtime
        if realtime is None:
            error = RouterError(OPERATION_NOT_SUPPORTED, "Subscriptions are off on this router.")
            await send_response(error_reply(error), send)
            return
        try:
            await serve_stream(gateway, realtime, http, framing, receive_, send)
        except Exception:  # a router bug; the response may have started: end it
            logger.exception("unexpected error while streaming a response")


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (ASGI names are lower-case already); repeats joined."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
