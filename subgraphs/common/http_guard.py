"""Refuse malformed GraphQL-over-HTTP requests before strawberry sees them, with a code.

A subgraph is reachable without the router (services call each other directly), so its
``/graphql`` checks what a client sends as the router does: POST only, an ``application/json``
body of at most ``max_body_bytes``, a JSON object whose ``query`` is a string and whose
``variables``, ``operationName`` and ``extensions`` have the right types. Anything else is a
4xx whose body is a GraphQL error with a stable ``extensions.code`` (``BAD_REQUEST``,
``METHOD_NOT_ALLOWED``, ``UNSUPPORTED_MEDIA_TYPE``, ``PAYLOAD_TOO_LARGE``), never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_OPTIONAL: dict[str, tuple[type, str]] = {
    "variables": (dict, "an object"),
    "operationName": (str, "a string"),
    "extensions": (dict, "an object"),
}
# Where the guard leaves the request's operation name in the ASGI scope (for the access log).
OPERATION_NAME = "switchboard.operation_name"
_NAMED = re.compile(r"\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,63})")


class RequestRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_body(body: bytes) -> dict[str, Any]:
    """The GraphQL request object ``body`` holds, or RequestRefused."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestRefused(400, "BAD_REQUEST", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise RequestRefused(400, "BAD_REQUEST", "The body must be one JSON object.")
    if not isinstance(data.get("query"), str):
        raise RequestRefused(400, "BAD_REQUEST", "query must be a string.")
    for key, (kind, name) in _OPTIONAL.items():
        value = data.get(key)
        if value is not None and not isinstance(value, kind):
            raise RequestRefused(400, "BAD_REQUEST", f"{key} must be {name} or null.")
    return data


def operation_name(request: dict[str, Any]) -> str | None:
    """``operationName``, else the name of a document that starts with a named operation."""
    name = request.get("operationName")
    if name:
        return str(name)[:64]
    named = _NAMED.match(request["query"])
    return named.group(1) if named else None


def refusal(status: int, code: str, message: str) -> tuple[int, bytes]:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return status, orjson.dumps(body)


class GraphQLRequestGuard:
    """ASGI middleware guarding one path (``/graphql``)."""

    def __init__(self, app: ASGIApp, *, path: str, max_body_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._checked(scope, receive)
        except RequestRefused as refused:
            await _answer(send, refused)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, _coded(send))

    async def _checked(self, scope: Scope, receive: Receive) -> bytes:
        if scope["method"] != "POST":
            raise RequestRefused(405, "METHOD_NOT_ALLOWED", "Send GraphQL requests as POST.")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise RequestRefused(
                415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json."
            )
        body = await self._read(receive)
        scope[OPERATION_NAME] = operation_name(check_body(body))
        return body

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestRefused(400, "BAD_REQUEST", "The client went away.")
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise RequestRefused(
                    413, "PAYLOAD_TOO_LARGE", f"The body exceeds {self.max_body_bytes} bytes."
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _coded(send: Send) -> Send:
    """``send``, with a plain-text 4xx (strawberry's "Unknown operation named …") turned into
    a GraphQL error body with code BAD_REQUEST."""
    held: list[Message] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            plain = headers.get(b"content-type", b"").startswith(b"text/plain")
            if plain and 400 <= message["status"] < 500:
                held.append(message)
                return
        elif held and message["type"] == "http.response.body":
            start = held[0]
            text = message.get("body", b"").decode(errors="replace")
            await _answer(
                send, RequestRefused(start["status"], "BAD_REQUEST", text or "Bad request.")
            )
            return
        await send(message)

    return wrapped


async def _answer(send: Send, refused: RequestRefused) -> None:
    status, body = refusal(refused.status, refused.code, refused.message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 405:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
