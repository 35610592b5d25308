"""Plugins the router end-to-end tests configure (imported by the router process)."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from router.plugins import (
    Operation,
    Plan,
    Plugin,
    Reject,
    RouterRequest,
    RouterResponse,
    SubgraphRequest,
    SubgraphResponse,
)


def _trace(request: RouterRequest, entry: str) -> None:
    request.context.setdefault("trace", []).append(entry)


class Recorder(Plugin):
    """Records every hook it sees, in order, and returns the record as an extension."""

    class Config(BaseModel):
        label: str

    async def on_request(self, request: RouterRequest) -> None:
        _trace(request, f"{self.config.label}:on_request")

    async def on_operation(self, operation: Operation) -> None:
        _trace(operation.request, f"{self.config.label}:on_operation:{operation.name}")

    async def on_plan(self, plan: Plan) -> None:
        _trace(plan.request, f"{self.config.label}:on_plan")

    async def on_subgraph_request(self, request: SubgraphRequest) -> None:
        _trace(request.request, f"{self.config.label}:on_subgraph_request:{request.subgraph}")

    async def on_subgraph_response(self, response: SubgraphResponse) -> None:
        entry = f"{self.config.label}:on_subgraph_response:{response.subgraph}:{response.status}"
        _trace(response.request, entry)

    async def on_response(self, response: RouterResponse) -> None:
        _trace(response.request, f"{self.config.label}:on_response")
        response.extensions["trace"] = response.request.context["trace"]
        response.headers[f"x-{self.config.label}"] = "seen"


class Raiser(Plugin):
    """Raises in the hook named by the request's `x-raise` header (a plugin bug)."""

    async def on_request(self, request: RouterRequest) -> None:
        self._maybe(request, "on_request")

    async def on_operation(self, operation: Operation) -> None:
        self._maybe(operation.request, "on_operation")

    async def on_subgraph_request(self, request: SubgraphRequest) -> None:
        self._maybe(request.request, "on_subgraph_request")

    async def on_response(self, response: RouterResponse) -> None:
        self._maybe(response.request, "on_response")

    @staticmethod
    def _maybe(request: RouterRequest, hook: str) -> None:
        if request.headers.get("x-raise") == hook:
            raise RuntimeError(f"secret internals of {hook}")


class Gatekeeper(Plugin):
    """Rejects by header at each stage: `x-reject: <hook>`; rewrites operations named Rewrite."""

    async def on_request(self, request: RouterRequest) -> None:
        if request.headers.get("x-reject") == "on_request":
            raise Reject("No entry.", code="NO_ENTRY", status=401)

    async def on_operation(self, operation: Operation) -> None:
        if operation.request.headers.get("x-reject") == "on_operation":
            raise Reject("Not this operation.")
        if operation.name == "Rewrite":
            operation.rewrite("query Rewritten { plans { code } }")

    async def on_subgraph_request(self, request: SubgraphRequest) -> None:
        if request.request.headers.get("x-reject") == request.subgraph:
            raise Reject(f"No fetches to {request.subgraph}.", code="FETCH_REFUSED")


class Hold(Plugin):
    """Holds a request with `x-hold: K` until a request with `x-release: K` was answered.

    The releasing request waits until the held one is being held, and releases it from its
    own `on_response`. If a waiting hook blocked the event loop, neither could finish: the
    test proves the opposite without measuring time.
    """

    events: dict[str, asyncio.Event] = {}

    def _event(self, key: str) -> asyncio.Event:
        return self.events.setdefault(key, asyncio.Event())

    async def on_request(self, request: RouterRequest) -> None:
        held = request.headers.get("x-hold")
        if held is not None:
            self._event(f"{held}:started").set()
            await self._event(held).wait()
            request.context["held"] = True
        release = request.headers.get("x-release")
        if release is not None:
            await self._event(f"{release}:started").wait()

    async def on_response(self, response: RouterResponse) -> None:
        key = response.request.headers.get("x-release")
        if key is not None:
            self._event(key).set()
        response.extensions["held"] = response.request.context.get("held", False)


class Strict(Plugin):
    """Only for config validation tests."""

    class Config(BaseModel):
        model_config = {"extra": "forbid"}
        limit: int

    async def on_request(self, request: RouterRequest) -> None:
        del request


class SyncHook(Plugin):
    def on_request(self, request: RouterRequest) -> None:  # type: ignore[override]
        del request


def describe(value: Any) -> str:
    return repr(value)
