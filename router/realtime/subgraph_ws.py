"""The router's side of a subgraph subscription: graphql-transport-ws over one WebSocket.

One WebSocket per client subscription (as Apollo Router does without deduplication): the
handshake carries the subgraph request headers (the signed ``X-Switchboard-Identity``
included), and ``connection_init``'s payload repeats them under ``headers`` for subgraphs
that read identity there. ``subgraph_events`` yields each ``next`` payload; the stream ends
with the subgraph's ``complete``; anything else (refused handshake, no ack in time, a
dropped connection, an ``error`` message) raises ``StreamClosed``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

PROTOCOL = "graphql-transport-ws"
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


class StreamClosed(Exception):
    """The subgraph refused the subscription or dropped its stream; ``errors`` are the
    subgraph's own GraphQL errors when it sent some (an ``error`` message)."""

    def __init__(self, reason: str, errors: list[Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or []


def websocket_url(url: str) -> str:
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


async def subgraph_events(
    url: str,
    operation: str,
    variables: Mapping[str, Any],
    operation_name: str | None,
    headers: Mapping[str, str],
    *,
    connect_timeout: float,
) -> AsyncGenerator[dict[str, Any], None]:
    """Each ``next`` payload of one subscription to the subgraph at ``url``."""
    try:
        socket = await asyncio.wait_for(_open(url, headers), connect_timeout)
    except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed) as exc:
        raise StreamClosed(f"cannot open the subgraph's WebSocket ({type(exc).__name__})") from None
    completed = False
    try:
        init = {"type": "connection_init", "payload": {"headers": dict(headers)}}
        await socket.send(orjson.dumps(init).decode())
        await asyncio.wait_for(_acknowledged(socket), connect_timeout)
        payload: dict[str, Any] = {"query": operation, "variables": dict(variables)}
        if operation_name:
            payload["operationName"] = operation_name
        subscribe = {"id": "1", "type": "subscribe", "payload": payload}
        await socket.send(orjson.dumps(subscribe).decode())
        while True:
            message = await _message(socket)
            kind = message.get("type")
            if kind == "next" and isinstance(message.get("payload"), dict):
                yield message["payload"]
            elif kind == "complete":
                completed = True
                return
            elif kind == "error":
                completed = True
                errors = message.get("payload")
                raise StreamClosed("the subgraph refused the subscription",
                                   errors if isinstance(errors, list) else [])  # fmt: skip
            elif kind == "ping":
                await socket.send('{"type":"pong"}')
    except TimeoutError:
        raise StreamClosed("the subgraph did not acknowledge the connection in time") from None
    except ConnectionClosed as exc:
        raise StreamClosed(f"the subgraph closed the stream (code {exc.code})") from None
    finally:
        if not completed:
            with contextlib.suppress(Exception):
                await socket.send('{"id":"1","type":"complete"}')
        with contextlib.suppress(Exception):
            await socket.close()


async def _open(url: str, headers: Mapping[str, str]) -> ClientConnection:
    return await connect(
        websocket_url(url),
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        additional_headers=dict(headers),
        max_size=MAX_MESSAGE_BYTES,
        open_timeout=None,
        proxy=None,
        compression=None,
    )


async def _acknowledged(socket: ClientConnection) -> None:
    while True:
        message = await _message(socket)
        if message.get("type") == "connection_ack":
            return
        if message.get("type") == "ping":
            await socket.send('{"type":"pong"}')


async def _message(socket: ClientConnection) -> dict[str, Any]:
    raw = await socket.recv()
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise StreamClosed("the subgraph sent a message that is not JSON") from None
    if not isinstance(message, dict):
        raise StreamClosed("the subgraph sent a message that is not a JSON object")
    return message
