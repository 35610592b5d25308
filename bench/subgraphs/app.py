"""One cheap ASGI app for a workload's subgraphs: a distinct request runs once, then is cached."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from graphql import GraphQLSchema, graphql_sync

from bench.subgraphs.schemas import SUBGRAPH_SDL, build_subgraph_schema
from bench.subgraphs.world import World, load_world

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_CACHED_RESPONSES = 10_000
JSON_HEADERS = [(b"content-type", b"application/json")]


class SubgraphsApp:
    """POST /NAME is subgraph NAME; GET /health; GET /stats counts requests per subgraph.

    Answers are deterministic, so a response is cached by the raw request body and, for
    bodies that differ only in formatting, by (query, operation name, sorted variables).
    ``delay_ms`` holds every answer back that long (a subgraph's own latency); `/stats` also
    counts the requests that carried an `authorization` header (forwarded by the gateway).
    """

    def __init__(self, schemas: dict[str, GraphQLSchema], delay_ms: float = 0.0) -> None:
        self.schemas = schemas
        self.delay = delay_ms / 1000
        self.requests: Counter[str] = Counter()
        self.executions: Counter[str] = Counter()
        self.authorized: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()  # answers with GraphQL errors (first few logged)
        self._by_body: dict[tuple[str, bytes], bytes] = {}
        self._by_operation: dict[tuple[str, str, str | None, bytes], bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"].strip("/")
        if scope["method"] == "POST" and path in self.schemas:
            body = await _read_body(receive)
            self.requests[path] += 1
            if any(name == b"authorization" for name, _ in scope["headers"]):
                self.authorized[path] += 1
            answer = self.answer(path, body)
            if self.delay:
                await asyncio.sleep(self.delay)
            await _respond(send, 200, answer)
        elif path == "health":
            await _respond(send, 200, b'{"status":"ok"}')
        elif path == "stats":
            stats = {
                "requests": self.requests,
                "executions": self.executions,
                "authorized": self.authorized,
                "errors": self.errors,
            }
            await _respond(send, 200, orjson.dumps(stats))
        else:
            await _respond(send, 404, b'{"errors":[{"message":"not found"}]}')

    def answer(self, name: str, body: bytes) -> bytes:
        cached = self._by_body.get((name, body))
        if cached is None:
            cached = self._answer_operation(name, body)
            self._remember(self._by_body, (name, body), cached)
        return cached

    def _answer_operation(self, name: str, body: bytes) -> bytes:
        try:
            request = orjson.loads(body)
            query = request["query"]
            operation_name = request.get("operationName")
            variables = request.get("variables") or {}
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return b'{"errors":[{"message":"expected a JSON GraphQL request"}]}'
        key = (name, query, operation_name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
        cached = self._by_operation.get(key)
        if cached is None:
            self.executions[name] += 1
            result = graphql_sync(
                self.schemas[name],
                query,
                variable_values=variables,
                operation_name=operation_name,
            )
            cached = orjson.dumps(result.formatted)
            if result.errors:
                self.errors[name] += 1
                if sum(self.errors.values()) <= 3:
                    print(f"{name}: {body[:2000]!r} -> {cached[:2000]!r}", file=sys.stderr)
            self._remember(self._by_operation, key, cached)
        return cached

    @staticmethod
    def _remember(cache: dict[Any, bytes], key: Any, value: bytes) -> None:
        if len(cache) >= MAX_CACHED_RESPONSES:
            cache.clear()  # a bench run sends a handful of distinct requests; this is a guard
        cache[key] = value


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def gateways_schemas(world: World) -> dict[str, GraphQLSchema]:
    """The gateways benchmark's four subgraphs over ``world``."""
    return {name: build_subgraph_schema(name, world) for name in SUBGRAPH_SDL}


def create_app(world: World | None = None, delay_ms: float = 0.0) -> SubgraphsApp:
    return SubgraphsApp(gateways_schemas(world or load_world()), delay_ms)
