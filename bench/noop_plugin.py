"""Plugins that do nothing: `make bench` measures what configured plugins and their hooks cost."""

from __future__ import annotations

from router.plugins import (
    Operation,
    Plan,
    Plugin,
    Policies,
    RouterRequest,
    RouterResponse,
    SubgraphRequest,
    SubgraphResponse,
)


class NoOpEverywhere(Plugin):
    async def on_request(self, request: RouterRequest) -> None:
        return None

    async def on_operation(self, operation: Operation) -> None:
        return None

    async def on_policies(self, policies: Policies) -> None:
        return None

    async def on_plan(self, plan: Plan) -> None:
        return None

    async def on_subgraph_request(self, request: SubgraphRequest) -> None:
        return None

    async def on_subgraph_response(self, response: SubgraphResponse) -> None:
        return None

    async def on_response(self, response: RouterResponse) -> None:
        return None


class NoHooks(Plugin):
    """A plugin that defines no hook: it must cost nothing per request."""
