"""``@defer`` over HTTP: the initial payload, then each deferred part, as ``multipart/mixed``.

The incremental delivery format Apollo Router and Apollo Client use (``deferSpec=20220824``):
the first part is ``{"data", "errors"?, "hasNext": true}``, each later one
``{"incremental": [{"data", "path", "label"?, "errors"?}], "hasNext"}``. A part whose path
holds several objects (a list) gives one incremental item per object; its errors go with
its first item. A nested deferred fragment is sent after the part it sits in. A client that
does not accept ``multipart/mixed;deferSpec=20220824`` gets one ordinary response with the
deferred fragments inline, as does a mutation or subscription.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse

from router.errors import METHOD_NOT_ALLOWED, RouterError
from router.gateway import Gateway
from router.operation import receive
from router.operation.context import GraphQLRequest, HttpRequest, HttpResponse
from router.operation.respond import error_reply
from router.realtime.defer import DeferredPart, Split, objects_at, split_deferred

Send = Callable[[dict[str, Any]], Awaitable[None]]
BOUNDARY = "graphql"
CONTENT_TYPE = f'multipart/mixed;boundary="{BOUNDARY}";deferSpec=20220824'.encode()
# Each part ends with the delimiter, so a client (Apollo Client reads up to the next one)
# sees a part when it is sent, not when the next one starts.
DELIMITER = f"\r\n--{BOUNDARY}".encode()
PART_HEAD = b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
END = b"--\r\n"  # after the last part's delimiter: the close delimiter


def accepts_incremental(accept: str | None) -> bool:
    value = (accept or "").lower().replace(" ", "")
    return any(
        part.startswith("multipart/mixed") and "deferspec=20220824" in part
        for part in value.split(",")
    )


class Streamed:
    """``serve_deferred`` sent the response itself."""


STREAMED = Streamed()


async def serve_deferred(
    gateway: Gateway, http: HttpRequest, send: Send
) -> HttpResponse | Streamed | None:
    """Answer a request whose document uses ``@defer`` (POST or GET, its text or a persisted
    query's hash): the response to send, STREAMED when it was sent, or None when it is not
    ours (answer it as usual)."""
    request = await _deferring(gateway, http)
    if request is None:
        return None
    try:
        document = parse(request.query or "")
    except GraphQLError:
        return None  # the ordinary path reports it
    if http.method == "GET" and _kind(document, request.operation_name) != "query":
        return error_reply(
            RouterError(METHOD_NOT_ALLOWED, "Only queries may be sent with GET; use POST.",
                        headers={"allow": "POST"})
        )  # fmt: skip
    incremental = accepts_incremental(http.headers.get("accept"))
    try:
        split = split_deferred(document, request.operation_name, request.variables,
                               inline=not incremental)  # fmt: skip
    except RouterError as error:
        return error_reply(error)
    if split is None:
        return None

    def derived(query: str) -> HttpRequest:
        body = {"query": query, "variables": request.variables}
        if request.operation_name:
            body["operationName"] = request.operation_name
        headers = {**http.headers, "accept": receive.JSON, "content-type": receive.JSON}
        return replace(http, method="POST", body=orjson.dumps(body), headers=headers)

    initial = await gateway.handle(derived(split.initial), derived=True)
    if not split.parts or initial.status != 200:
        return initial
    await _stream(gateway, split, initial, derived, send)
    return STREAMED


async def _stream(
    gateway: Gateway,
    split: Split,
    initial: HttpResponse,
    derived: Callable[[str], HttpRequest],
    send: Send,
) -> None:
    headers = [(b"content-type", CONTENT_TYPE), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    first = orjson.loads(initial.body)
    first["hasNext"] = True
    await _part(send, first, opening=True)
    parts = split.parts
    running: dict[asyncio.Task[HttpResponse], int] = {}

    def start(parent: int | None) -> None:
        for index, part in enumerate(parts):
            if part.parent == parent:
                handled = gateway.handle(derived(part.query), derived=True)
                running[asyncio.create_task(handled)] = index

    start(None)
    try:
        while running:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                index = running.pop(task)
                start(index)
                items = _items(parts[index], orjson.loads(task.result().body))
                await _part(send, {"incremental": items, "hasNext": bool(running)})
    finally:
        for task in running:
            task.cancel()
    await send({"type": "http.response.body", "body": END, "more_body": False})


async def _deferring(gateway: Gateway, http: HttpRequest) -> GraphQLRequest | None:
    """``http``'s request with its document, when that document defers something: the
    receive stage's CSRF rule and the persisted stage (APQ, safelist) run on it here, as the
    operations derived from it skip them. None: not ours, or refused (the ordinary path
    answers with the same error)."""
    persisted = gateway.persisted
    try:
        request = receive.graphql_request(http)
        document = persisted.peek(request)  # not counted: most requests are not ours
        if document is None and persisted.shared is not None and request.extensions:
            document = (await persisted.lookup(request)).query  # another router's APQ hash
        if "@defer" not in (document or ""):
            return None
        if gateway.settings.csrf_headers is not None:
            receive.check_csrf(http, gateway.settings.csrf_headers)
        request = await persisted.lookup(request)
    except RouterError:
        return None
    return request


def _kind(document: DocumentNode, name: str | None) -> str | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition.operation.value
    return None


def _items(part: DeferredPart, body: dict[str, Any]) -> list[dict[str, Any]]:
    label = {"label": part.label} if part.label is not None else {}
    errors = body.get("errors") or []
    found = objects_at(body.get("data"), part.path)
    items: list[dict[str, Any]] = [
        {"data": data, "path": path, **label} for path, data in found if data
    ]
    if errors:
        if not items:
            items.append({"data": None, "path": list(part.path), **label})
        items[0]["errors"] = errors
    return items


async def _part(send: Send, payload: dict[str, Any], *, opening: bool = False) -> None:
    chunk = (DELIMITER if opening else b"") + PART_HEAD + orjson.dumps(payload) + DELIMITER
    await send({"type": "http.response.body", "body": chunk, "more_body": True})
