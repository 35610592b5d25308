"""Drive a Gateway in this process: HTTP requests in, status and JSON body out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from router.executor.fetcher import FetchResult
from router.gateway import Gateway
from router.operation.context import HttpRequest

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


class StaticFetcher:
    """Answers every fetch with the same data (enough for `{ plans { code } }`)."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data or {"plans": [{"code": "starter"}]}
        self.calls: list[tuple[str, str, Mapping[str, str]]] = []

    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        mutation: bool = False,
    ) -> FetchResult:
        self.calls.append((service, query, dict(headers or {})))
        return FetchResult(data=self.data)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def codes(self) -> list[str]:
        return [e["extensions"]["code"] for e in self.body.get("errors", [])]


async def ask(
    gateway: Gateway,
    query: str | None = None,
    *,
    variables: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
    operation_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    get: bool = False,
) -> Answer:
    """Send one GraphQL request through ``gateway.handle`` as POST JSON (or GET)."""
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if extensions is not None:
        payload["extensions"] = extensions
    if operation_name is not None:
        payload["operationName"] = operation_name
    sent = {
        "content-type": "application/json",
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    if get:
        params = {
            k: v if isinstance(v, str) else orjson.dumps(v).decode()
            for k, v in payload.items()
            if v is not None
        }
        http = HttpRequest("GET", "/graphql", sent, urlencode(params).encode())
    else:
        http = HttpRequest("POST", "/graphql", sent, orjson.dumps(payload))
    response = await gateway.handle(http)
    decoded = {k.decode(): v.decode() for k, v in response.headers}
    return Answer(response.status, orjson.loads(response.body), decoded)
