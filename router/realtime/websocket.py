"""``/graphql`` over WebSocket: the graphql-transport-ws protocol (graphql-ws, Apollo Client).

One connection runs many subscriptions, each through the same stages as an HTTP request
(``Gateway.open_stream``): the upgrade's headers plus ``connection_init``'s payload
(``authorization``, or a ``headers`` object) are the request's headers, so a bearer token
may come either way. Close codes, as the protocol names them: 4400 bad message, 4406 no
graphql-transport-ws subprotocol, 4408 no ``connection_init`` in time or no ``pong`` to a
heartbeat ``ping``, 4409 a subscription id already running, 4429 a second
``connection_init``; 1000 idle (no subscription for ``idle_timeout_seconds``); 1001 router
shutdown (after each subscription got SUBSCRIPTION_ROUTER_SHUTDOWN); 4403 the connection's
token expired (after each subscription got UNAUTHENTICATED, reason ``expired``).

The protocol has no message that replaces a connection's credentials (a second
``connection_init`` is 4429), so a token is refreshed by reconnecting: graphql-ws retries
on 4403 and re-reads ``connectionParams`` when it is a function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, MutableMapping
from contextlib import aclosing
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from router.errors import INTERNAL_SERVER_ERROR, SUBSCRIPTION_LIMIT, RouterError, graphql_error
from router.gateway import Gateway
from router.operation.context import HttpRequest
from router.realtime.settings import SubscriptionsConfig
from router.realtime.stream import Realtime

logger = logging.getLogger("switchboard.router")
PROTOCOL = "graphql-transport-ws"
Scope = MutableMapping[str, Any]


class GraphQLWebSocket:
    """The ASGI app for WebSocket upgrades of ``/graphql``; ``state`` holds the gateway."""

    def __init__(self, state: Any, realtime: Realtime) -> None:
        self.state = state
        self.realtime = realtime

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        socket = WebSocket(scope, receive, send)
        if PROTOCOL not in scope.get("subprotocols", ()):
            await socket.accept()
            await socket.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
            return
        await socket.accept(subprotocol=PROTOCOL)
        await _Connection(socket, self.state, self.realtime).run()


class _Connection:
    def __init__(self, socket: WebSocket, state: Any, realtime: Realtime) -> None:
        self.socket = socket
        self.state = state
        self.realtime = realtime
        self.settings: SubscriptionsConfig = realtime.settings
        self.headers = _headers(socket.scope)
        client = socket.scope.get("client")
        self.peer = client[0] if client else None
        self.running: dict[str, asyncio.Task[None]] = {}
        self.lock = asyncio.Lock()
        self.answered = True  # the last ping got its pong
        self.idle_since = self.pinged_at = asyncio.get_running_loop().time()
        self.closed = False
        self.expires_at: float | None = None  # the earliest token expiry of its streams

    async def run(self) -> None:
        timers = [asyncio.create_task(self._watch())]
        try:
            if await self._initialised():
                await self._serve()
        except WebSocketDisconnect:
            pass
        finally:
            for task in [*timers, *self.running.values()]:
                task.cancel()
            for task in [*timers, *self.running.values()]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _initialised(self) -> bool:
        try:
            message = await asyncio.wait_for(
                self._receive(), self.settings.connection_init_timeout_seconds
            )
        except TimeoutError:
            await self._close(4408, "Connection initialisation timeout")
            return False
        if message is None or message.get("type") != "connection_init":
            await self._close(4400, "Expected connection_init")
            return False
        payload = message.get("payload")
        if isinstance(payload, dict):
            self.headers.update(_init_headers(payload))
        await self._send({"type": "connection_ack"})
        return True

    async def _serve(self) -> None:
        while not self.closed:
            message = await self._receive()
            if message is None:
                await self._close(4400, "Invalid message")
                return
            kind = message.get("type")
            if kind == "ping":
                await self._send({"type": "pong"})
            elif kind == "pong":
                self.answered = True
            elif kind == "subscribe":
                await self._subscribe(message)
            elif kind == "complete":
                task = self.running.pop(str(message.get("id")), None)
                if task is not None:
                    task.cancel()
            elif kind == "connection_init":
                await self._close(4429, "Too many initialisation requests")
                return
            else:
                await self._close(4400, f"Unknown message type {kind!r}")
                return

    async def _subscribe(self, message: dict[str, Any]) -> None:
        id_, payload = message.get("id"), message.get("payload")
        if not isinstance(id_, str) or not id_ or not isinstance(payload, dict):
            await self._close(4400, "subscribe needs a string id and a payload object")
            return
        if id_ in self.running:
            await self._close(4409, f"Subscriber for {id_} already exists")
            return
        if len(self.running) >= self.settings.max_per_connection:
            limit = self.settings.max_per_connection
            error = RouterError(
                SUBSCRIPTION_LIMIT,
                f"At most {limit} subscriptions per connection.",
                extensions={"limit": "max_per_connection"},
            )
            self.realtime.telemetry.stream_refused(PROTOCOL, error.code.code)
            await self._send({"id": id_, "type": "error", "payload": error.graphql_errors()})
            return
        body = orjson.dumps(payload)
        headers = {**self.headers, "content-type": "application/json"}
        http = HttpRequest("WEBSOCKET", "/graphql", headers, body, self.peer)
        self.running[id_] = asyncio.create_task(self._operation(id_, http))

    async def _operation(self, id_: str, http: HttpRequest) -> None:
        gateway: Gateway = self.state.gateway
        try:
            stream = await gateway.open_stream(http)
            if stream.expires_at is not None:
                self.expires_at = min(stream.expires_at, self.expires_at or stream.expires_at)
            with self.realtime.hold(
                stream.client, PROTOCOL, stream.operation_name, http.headers
            ) as record:
                async with aclosing(stream.events) as events:
                    async for body in events:
                        await self._send({"id": id_, "type": "next", "payload": body})
                        record.sent(body)
        except RouterError as error:
            self.realtime.telemetry.stream_refused(PROTOCOL, error.code.code)
            await self._send({"id": id_, "type": "error", "payload": error.graphql_errors()})
            return
        except asyncio.CancelledError:  # the client completed it, or the connection ended
            raise
        except Exception:
            logger.exception("unexpected error in a subscription")
            error_ = graphql_error("Internal router error.", INTERNAL_SERVER_ERROR)
            await self._send({"id": id_, "type": "error", "payload": [error_]})
            return
        finally:
            if self.running.get(id_) is asyncio.current_task():
                del self.running[id_]
                self.idle_since = asyncio.get_running_loop().time()
        await self._send({"id": id_, "type": "complete"})
        if self.realtime.stopping.is_set() and not self.running:
            await self._close(1001, "Router shutting down")

    async def _watch(self) -> None:
        """Heartbeat pings, the idle timeout and the router's shutdown."""
        loop = asyncio.get_running_loop()
        interval = self.settings.ping_interval_seconds
        stopping = asyncio.ensure_future(self.realtime.stopping.wait())
        try:
            while not self.closed:
                await asyncio.wait({stopping}, timeout=min(interval, 1.0))
                if stopping.done() and not self.running:
                    await self._close(1001, "Router shutting down")
                    return
                if not self.running and self.expires_at and time.time() >= self.expires_at:
                    await self._close(4403, "Forbidden: the token has expired")
                    return
                now = loop.time()
                if not self.running and now - self.idle_since >= self.settings.idle_timeout_seconds:
                    await self._close(1000, "Idle timeout")
                    return
                if now - self.pinged_at >= interval:
                    if not self.answered:
                        await self._close(4408, "No pong to the heartbeat ping")
                        return
                    self.answered = False
                    self.pinged_at = now
                    await self._send({"type": "ping"})
        finally:
            stopping.cancel()

    async def _receive(self) -> dict[str, Any] | None:
        text = await self.socket.receive_text()
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        return message if isinstance(message, dict) else None

    async def _send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        async with self.lock:
            with contextlib.suppress(Exception):
                await self.socket.send_text(orjson.dumps(message).decode())

    async def _close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        async with self.lock:
            self.closed = True
            with contextlib.suppress(Exception):
                await self.socket.close(code, reason)


def _init_headers(payload: Mapping[str, Any]) -> dict[str, str]:
    """Headers a client put in ``connection_init``: ``{"headers": {…}}`` or top-level
    ``authorization`` (Apollo Client's ``connectionParams``)."""
    found: dict[str, str] = {}
    nested = payload.get("headers")
    for source in (payload, nested if isinstance(nested, dict) else {}):
        for name, value in source.items():
            if isinstance(value, str) and name.lower() == "authorization":
                found["authorization"] = value
            elif source is nested and isinstance(value, str) and isinstance(name, str):
                found[name.lower()] = value
    return found


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        if key.startswith("sec-websocket") or key in ("upgrade", "connection"):
            continue
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
