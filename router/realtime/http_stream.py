"""Streamed HTTP answers on ``/graphql``: GraphQL over SSE and Apollo's multipart subscriptions.

``Accept: text/event-stream`` (GraphQL over SSE, distinct connections mode): one ``next``
event per body, then ``complete``; a comment line every heartbeat. ``Accept:
multipart/mixed;subscriptionSpec="1.0"`` (Apollo Client, Apollo Router): one part per body
as ``{"payload": body}``, an empty ``{}`` part every heartbeat, then the closing boundary.
A request the stages refuse is answered as an ordinary GraphQL-over-HTTP error, with its
status; a client that goes away ends its subscription (and the subgraph's stream).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import orjson

from router.errors import RouterError
from router.gateway import Gateway
from router.operation.context import HttpRequest
from router.operation.receive import JSON
from router.operation.respond import error_reply
from router.realtime.stream import Realtime
from router.telemetry.streams import StreamTelemetry

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
SSE = "text/event-stream"
MULTIPART = "multipart/mixed"
BOUNDARY = "graphql"


@dataclass(frozen=True, slots=True)
class Framing:
    """How one transport writes its events."""

    protocol: str  # its name in telemetry
    content_type: bytes
    start: bytes  # before the first event
    heartbeat: bytes
    end: bytes
    frame: Callable[[dict[str, Any]], bytes]


SSE_FRAMING = Framing(
    "sse",
    b"text/event-stream; charset=utf-8",
    b"",
    b":\n\n",
    b"event: complete\ndata:\n\n",
    lambda body: b"event: next\ndata: " + orjson.dumps(body) + b"\n\n",
)
# Each part ends with the delimiter: a client reading up to the next delimiter (Apollo
# Client does) sees each part when it is sent, not when the next one (a heartbeat) starts.
_DELIMITER = f"\r\n--{BOUNDARY}".encode()
_PART_HEAD = b"\r\ncontent-type: application/json\r\n\r\n"
MULTIPART_FRAMING = Framing(
    "multipart",
    f'multipart/mixed;boundary="{BOUNDARY}";subscriptionSpec="1.0"'.encode(),
    _DELIMITER,
    _PART_HEAD + b"{}" + _DELIMITER,
    b"--\r\n",
    lambda body: _PART_HEAD + orjson.dumps({"payload": body}) + _DELIMITER,
)


def streaming_framing(accept: str | None) -> Framing | None:
    """The framing an Accept header asks for, if it asks for a stream."""
    ranges = [part.strip().lower() for part in (accept or "").split(",")]
    for value in ranges:
        media = value.split(";")[0].strip()
        if media == SSE:
            return SSE_FRAMING
        if media == MULTIPART and "subscriptionspec" in value.replace(" ", ""):
            return MULTIPART_FRAMING
    return None


async def serve_stream(
    gateway: Gateway,
    realtime: Realtime,
    http: HttpRequest,
    framing: Framing,
    receive: Receive,
    send: Send,
) -> None:
    """Answer ``http`` with a stream of bodies in ``framing``."""
    try:
        stream = await gateway.open_stream(http)
        with realtime.hold(
            stream.client, framing.protocol, stream.operation_name, http.headers
        ) as record:
            await _send_events(stream.events, realtime, framing, receive, send, record)
    except RouterError as error:
        realtime.telemetry.stream_refused(framing.protocol, error.code.code)
        reply = error_reply(error, JSON, error.headers)
        start = {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        await send(start)
        await send({"type": "http.response.body", "body": reply.body})


async def _send_events(
    events: AsyncGenerator[dict[str, Any], None],
    realtime: Realtime,
    framing: Framing,
    receive: Receive,
    send: Send,
    record: StreamTelemetry,
) -> None:
    headers = [
        (b"content-type", framing.content_type),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if framing.start:
        await send({"type": "http.response.body", "body": framing.start, "more_body": True})
    interval = realtime.settings.ping_interval_seconds

    async def chunk(data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})

    async def pump() -> None:
        async with aclosing(events) as bodies:
            async for body in bodies:
                await chunk(framing.frame(body))
                record.sent(body)

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            await chunk(framing.heartbeat)

    tasks = [asyncio.ensure_future(pump()), asyncio.ensure_future(_disconnected(receive))]
    heartbeat = asyncio.ensure_future(beat())
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (*tasks, heartbeat):
            task.cancel()
        for task in (*tasks, heartbeat):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if tasks[0].done() and not tasks[0].cancelled() and tasks[0].exception() is None:
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": framing.end, "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
