"""Run plugin hooks in order, turning a plugin's rejection or failure into a router error.

Only defined hooks are in a chain; an empty chain is a falsy attribute the conductor tests
before building any hook argument, so plugins without a hook cost nothing for it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from router.errors import CATALOGUE, PLUGIN_FAILED, ErrorCode, RouterError, graphql_error
from router.executor.fetcher import Fetcher, FetchResult
from router.plugins.api import (
    Operation,
    Reject,
    RouterRequest,
    SubgraphRequest,
    SubgraphResponse,
)
from router.plugins.loader import LoadedPlugin

if TYPE_CHECKING:
    from router.operation.validate import ValidOperation

logger = logging.getLogger("switchboard.router.plugins")
Hook = Callable[[Any], Awaitable[None]]
Chain = tuple[tuple[str, Hook], ...]


class Hooks:
    """Each hook's chain, in the order the plugins are configured."""

    def __init__(self, plugins: Sequence[LoadedPlugin] = ()) -> None:
        self.plugins = tuple(plugins)
        self.on_request = self._chain(plugins, "on_request")
        self.on_operation = self._chain(plugins, "on_operation")
        self.on_policies = self._chain(plugins, "on_policies")
        self.on_plan = self._chain(plugins, "on_plan")
        self.on_subgraph_request = self._chain(plugins, "on_subgraph_request")
        self.on_subgraph_response = self._chain(plugins, "on_subgraph_response")
        self.on_response = self._chain(plugins, "on_response")

    @staticmethod
    def _chain(plugins: Sequence[LoadedPlugin], hook: str) -> Chain:
        return tuple((p.name, h) for p in plugins if (h := p.hook(hook)) is not None)

    @property
    def subgraph(self) -> bool:
        return bool(self.on_subgraph_request or self.on_subgraph_response)

    async def startup(self) -> None:
        for plugin in self.plugins:
            await plugin.startup()

    async def shutdown(self) -> None:
        for plugin in reversed(self.plugins):
            try:
                await plugin.shutdown()
            except Exception:  # one plugin's failing shutdown must not keep others running
                logger.exception("plugin %s failed in shutdown", plugin.name)


async def run(chain: Chain, hook: str, argument: Any) -> None:
    """Call each hook of ``chain``; raises RouterError for a Reject or a failing plugin."""
    for name, function in chain:
        try:
            await function(argument)
        except Reject as rejection:
            raise rejected(rejection) from None
        except Exception as exc:
            raise failed(name, hook, exc) from None


async def on_operation(
    hooks: Hooks,
    client: RouterRequest,
    query: str,
    valid: ValidOperation,
    variables: dict[str, Any],
) -> str | None:
    """Run the ``on_operation`` hooks; the document they rewrote the operation to, or None."""
    name = valid.operation.name.value if valid.operation.name else None
    operation = Operation(
        client, query, valid.document, valid.operation_name, name, valid.kind, variables
    )
    await run(hooks.on_operation, "on_operation", operation)
    return operation.rewritten


def rejected(rejection: Reject) -> RouterError:
    code = CATALOGUE.get(rejection.code) or ErrorCode(rejection.code, rejection.status, "", "http")
    return RouterError(
        code, rejection.message, status=rejection.status, extensions=rejection.extensions or None
    )


def failed(name: str, hook: str, exc: BaseException) -> RouterError:
    """Logged once here, with the plugin's name and traceback; the client sees no internals."""
    logger.error(
        "plugin %s failed in %s: %s: %s", name, hook, type(exc).__name__, exc, exc_info=exc
    )
    return RouterError(PLUGIN_FAILED, f"The router plugin {name!r} failed.")


class HookedFetcher:
    """A fetcher for one client request that runs the subgraph hooks around each fetch."""

    def __init__(self, inner: Fetcher, hooks: Hooks, request: RouterRequest) -> None:
        self.inner = inner
        self.hooks = hooks
        self.request = request

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
        # Per fetch, so the chains are walked here rather than through run(): one coroutine
        # less per hook and fetch (make bench measures what two no-op plugins cost).
        sent = dict(headers) if headers else {}
        chain = self.hooks.on_subgraph_request
        if chain:
            outgoing = SubgraphRequest(
                self.request, service, query, variables, operation_name, sent
            )
            for name, function in chain:
                try:
                    await function(outgoing)
                except Reject as rejection:
                    return _refused(rejected(rejection), service)
                except Exception as exc:
                    return _refused(failed(name, "on_subgraph_request", exc), service)
            sent = outgoing.headers
        result = await self.inner.fetch(
            service, query, variables, operation_name, headers=sent, mutation=mutation
        )
        chain = self.hooks.on_subgraph_response
        if chain:
            response = SubgraphResponse(self.request, service, result)
            for name, function in chain:
                try:
                    await function(response)
                except Reject as rejection:
                    return _refused(rejected(rejection), service)
                except Exception as exc:
                    return _refused(failed(name, "on_subgraph_response", exc), service)
        return result


def _refused(error: RouterError, service: str) -> FetchResult:
    extensions = dict(error.extensions or {})
    failure = graphql_error(error.message, error.code, service=service, extensions=extensions)
    return FetchResult(data=None, failure=failure)
