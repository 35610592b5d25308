"""What a router plugin writes against: the ``Plugin`` base class, the hook arguments, ``Reject``.

A plugin overrides the hooks it needs; hooks it does not define are never called and cost
nothing. Every hook is ``async`` and runs on the router's event loop: await I/O, never
block it (run CPU-heavy or blocking work with ``asyncio.to_thread``).

Hook order for one request (see docs/plugins.md):

    on_request → on_operation → on_policies → on_plan →
    (on_subgraph_request → on_subgraph_response)* → on_response

What a hook may change is what its argument exposes as mutable: request headers are
read-only; ``on_operation`` may replace the document (``rewrite``) and edit ``variables``;
``on_subgraph_request`` may add or change ``headers``; ``on_response`` may add
``extensions`` and ``headers``. Everything else is read-only: do not mutate documents,
plans or response data (they are shared between requests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from graphql import DocumentNode, print_ast
from pydantic import BaseModel

from router.auth.identity import Identity
from router.planner import QueryPlan, print_plan

if TYPE_CHECKING:
    from router.executor.fetcher import FetchResult


class Reject(Exception):
    """Raised by a hook to refuse the request (or, in subgraph hooks, the one fetch).

    The client gets one GraphQL error with ``code`` and ``message``, answered with
    ``status`` (for subgraph hooks the fetch fails and the rest of the response stays).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "REQUEST_REJECTED",
        status: int = 403,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extensions = dict(extensions or {})


@dataclass(frozen=True, slots=True)
class RouterRequest:
    """The client's HTTP request; ``context`` is scratch space shared by every hook of it."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    client: str | None
    context: dict[str, Any]


@dataclass(slots=True)
class Operation:
    """The parsed, validated operation, before limits, authorization and planning."""

    request: RouterRequest
    query: str
    document: DocumentNode
    operation_name: str | None  # as the request's operationName gave it
    name: str | None  # the operation's own name in the document (None: anonymous)
    kind: str  # "query" or "mutation"
    variables: dict[str, Any]
    rewritten: str | None = None

    def rewrite(self, new: str | DocumentNode) -> None:
        """Replace the operation; the router parses and validates the new one in its place."""
        self.rewritten = new if isinstance(new, str) else print_ast(new)


@dataclass(frozen=True, slots=True)
class Policies:
    """The `@policy` names the operation needs; add to ``granted`` those the identity holds."""

    request: RouterRequest
    identity: Identity
    required: frozenset[str]
    granted: set[str]


@dataclass(frozen=True, slots=True)
class Plan:
    """The query plan the request will run (read-only)."""

    request: RouterRequest
    plan: QueryPlan

    @property
    def text(self) -> str:
        return print_plan(self.plan)


@dataclass(slots=True)
class SubgraphRequest:
    """One fetch about to be sent; ``headers`` are the extra headers it carries."""

    request: RouterRequest
    subgraph: str
    query: str
    variables: Mapping[str, Any]
    operation_name: str | None
    headers: dict[str, str]


class SubgraphResponse:
    """What one fetch got back (read-only): HTTP ``status`` and ``headers`` (None and empty
    on a transport failure), ``data`` and ``errors``. Headers are decoded when first read."""

    __slots__ = ("_headers", "_result", "request", "subgraph")

    def __init__(self, request: RouterRequest, subgraph: str, result: FetchResult) -> None:
        self.request = request
        self.subgraph = subgraph
        self._result = result
        self._headers: Mapping[str, str] | None = None

    @property
    def status(self) -> int | None:
        return self._result.status

    @property
    def headers(self) -> Mapping[str, str]:
        if self._headers is None:
            self._headers = MappingProxyType(self._result.headers)
        return self._headers

    @property
    def data(self) -> Mapping[str, Any] | None:
        return self._result.data

    @property
    def errors(self) -> list[Any]:
        return self._result.errors

    def __repr__(self) -> str:
        return f"SubgraphResponse(subgraph={self.subgraph!r}, status={self.status!r})"


@dataclass(slots=True)
class RouterResponse:
    """The response about to be sent: add ``extensions`` or ``headers``; ``body`` is read-only."""

    request: RouterRequest
    status: int
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


class Plugin:
    """Base class of router plugins. Declare ``Config`` (a pydantic model) to take settings.

    The router makes one instance per entry of ``plugins:`` in router.yaml, with the entry's
    ``config`` validated by ``Config`` (file:line errors like every other setting).
    """

    Config: ClassVar[type[BaseModel] | None] = None

    def __init__(self, config: Any = None) -> None:
        self.config = config
        self.name = type(self).__name__  # replaced by the router with the configured name

    async def startup(self) -> None:
        """Called once before the router serves its first request."""

    async def shutdown(self) -> None:
        """Called once when the router stops."""

    async def on_request(self, request: RouterRequest) -> None:
        """A request arrived (headers known, body not yet parsed as GraphQL)."""

    async def on_operation(self, operation: Operation) -> None:
        """The operation is parsed and valid; may reject it, rewrite it or edit variables."""

    async def on_policies(self, policies: Policies) -> None:
        """Decide `@policy` requirements: add granted policy names to ``policies.granted``."""

    async def on_plan(self, plan: Plan) -> None:
        """The plan is chosen (read-only)."""

    async def on_subgraph_request(self, request: SubgraphRequest) -> None:
        """A fetch is about to be sent; may add headers."""

    async def on_subgraph_response(self, response: SubgraphResponse) -> None:
        """A fetch came back (read-only)."""

    async def on_response(self, response: RouterResponse) -> None:
        """The response is ready; may add extensions and headers."""


HOOKS: tuple[str, ...] = (
    "on_request",
    "on_operation",
    "on_policies",
    "on_plan",
    "on_subgraph_request",
    "on_subgraph_response",
    "on_response",
)
