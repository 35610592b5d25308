"""The conductor: runs a request through the stages of ``router.operation`` in order.

    receive → [on_request] → identify → persisted → parse → limits → validate (cached) →
    [on_operation] → authorize → plan (cached) → [on_plan] → execute [subgraph hooks] →
    respond → [on_response]

Each stage raises ``RouterError`` to stop the request; this module turns that into the
response. Bracketed steps are plugin hooks, skipped when no plugin defines them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from router.errors import MAX_DEPTH_LIMIT, METHOD_NOT_ALLOWED, RouterError
from router.executor.fetcher import Fetcher
from router.executor.inflight import Inflight
from router.operation import receive
from router.operation.authorize import authorize
from router.operation.cache import LruCache
from router.operation.context import HttpRequest, HttpResponse, RequestContext
from router.operation.execute import coerce_variables, execute, share_key
from router.operation.headers import HeaderRules, HeadersConfig
from router.operation.identify import client_key, rate_limit
from router.operation.limits import (
    LimitsConfig,
    enforce_fetches,
    enforce_limits,
    enforce_variables,
)
from router.operation.overrides import OverridePolicy
from router.operation.parse import parse_document
from router.operation.persisted import PersistedQueries
from router.operation.plan import CachedOperation, PreparedOperation, prepare
from router.operation.ratelimit import Limiter
from router.operation.respond import (
    body_reply,
    error_reply,
    plan_extension,
    shape,
    with_additions,
)
from router.operation.validate import select_operation, validate_document
from router.operation.workers import Preparer
from router.plugins import api, hooks
from router.supergraph import Supergraph, override_labels

EXPOSE_PLAN_HEADER = "switchboard-expose-query-plan"


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """The parts of the router's configuration the request path reads."""

    introspection: bool = True
    expose_plans: bool = False  # honour EXPOSE_PLAN_HEADER (dev mode only)
    dedupe_requests: bool = False
    operation_cache_size: int = 2048
    operation_cache_bytes: int = 64 * 1024 * 1024
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    csrf_headers: tuple[str, ...] | None = None  # None: no CSRF prevention
    rate_limit_key: str = "subject"


class Gateway:
    """Serves one supergraph; a reload builds a new Gateway sharing the long-lived parts."""

    def __init__(
        self,
        supergraph: Supergraph,
        fetcher: Fetcher,
        *,
        settings: GatewaySettings | None = None,
        persisted_queries: PersistedQueries | None = None,
        overrides: OverridePolicy | None = None,
        headers: HeaderRules | None = None,
        plugins: hooks.Hooks | None = None,
        preparer: Preparer | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.fetcher = fetcher
        self.settings = settings or GatewaySettings()
        self.persisted = PersistedQueries() if persisted_queries is None else persisted_queries
        self.overrides = overrides or OverridePolicy(override_labels(supergraph))
        self.headers = headers or HeaderRules(HeadersConfig())
        self.hooks = plugins or hooks.Hooks()
        self.preparer = preparer or Preparer()
        self.limiter = limiter
        self.operations: LruCache[tuple[str, str | None], CachedOperation] = LruCache(
            self.settings.operation_cache_size, self.settings.operation_cache_bytes
        )
        self.inflight: Inflight[tuple[HttpResponse, dict[str, Any]]] = Inflight()

    async def handle(self, http: HttpRequest) -> HttpResponse:
        """Answer one HTTP request; a RouterError from any stage becomes its response."""
        try:
            context = RequestContext(http, receive.negotiate(http))
            if self.settings.csrf_headers is not None:
                receive.check_csrf(http, self.settings.csrf_headers)
        except RouterError as error:
            return error_reply(error)
        try:
            return await self._serve(context)
        except RouterError as error:
            return error_reply(error, context.media_type, context.response_headers)

    async def _serve(self, context: RequestContext) -> HttpResponse:
        http = context.http
        client = api.RouterRequest(
            http.method, http.path, http.headers, http.client, context.scratch
        )
        if self.hooks.on_request:
            await hooks.run(self.hooks.on_request, "on_request", client)
        if self.limiter is not None:
            await rate_limit(self.limiter, client_key(http, self.settings.rate_limit_key))
        request = self.persisted.resolve(receive.graphql_request(http))
        cached = await self.operation(request.query or "", request.operation_name)
        if request.via_get and cached.valid.kind != "query":
            raise RouterError(
                METHOD_NOT_ALLOWED, "Only queries may be sent with GET; use POST.",
                headers={"allow": "POST"},
            )  # fmt: skip
        variables = request.variables
        if self.hooks.on_operation:
            cached = await self._on_operation(client, request.query or "", cached, variables)
        authorize(cached.valid)
        prepared = await self.plan(cached, self.overrides.labels_for(http.headers))
        if self.hooks.on_plan:
            await hooks.run(self.hooks.on_plan, "on_plan", api.Plan(client, prepared.plan))
        enforce_variables(variables, self.settings.limits)
        variables = coerce_variables(self.supergraph.api_schema, prepared, variables)
        return await self._respond(context, client, prepared, variables)

    async def operation(self, query: str, operation_name: str | None) -> CachedOperation:
        """The parsed, limited and validated operation; prepared off the loop when new."""
        key = (query, operation_name)
        cached = self.operations.get(key)
        if cached is None:
            cached = await self.preparer.run(key, lambda: self._read(query, operation_name))
            self.operations.put(key, cached, cached.size)
        return cached

    def _read(self, query: str, operation_name: str | None) -> CachedOperation:
        """Parse, limits, validate: on a worker thread (``Preparer``)."""
        limits = self.settings.limits
        document = parse_document(query, limits.max_tokens)
        try:
            enforce_limits(document, limits)
            schema = self.supergraph.api_schema
            validate_document(schema, document, introspection=self.settings.introspection)
        except RecursionError:
            raise RouterError(MAX_DEPTH_LIMIT, "The document nests too deeply.") from None
        return CachedOperation((query, operation_name), select_operation(document, operation_name))

    async def plan(self, cached: CachedOperation, labels: frozenset[str]) -> PreparedOperation:
        """The operation's plan for these override labels; planned off the loop when new."""
        prepared = cached.plans.get(labels)
        if prepared is None:
            valid = cached.valid
            prepared = await self.preparer.run(
                (id(cached), labels), lambda: prepare(self.supergraph, valid, labels)
            )
            cached.remember(labels, prepared)
            self.operations.put(cached.key, cached, cached.size)  # now larger
        enforce_fetches(prepared.fetches, self.settings.limits)
        return prepared

    async def _on_operation(
        self,
        client: api.RouterRequest,
        query: str,
        cached: CachedOperation,
        variables: dict[str, Any],
    ) -> CachedOperation:
        valid = cached.valid
        name = valid.operation.name.value if valid.operation.name else None
        operation = api.Operation(
            client, query, valid.document, valid.operation_name, name, valid.kind, variables
        )
        await hooks.run(self.hooks.on_operation, "on_operation", operation)
        if operation.rewritten is None:
            return cached
        return await self.operation(operation.rewritten, valid.operation_name)

    async def _respond(
        self,
        context: RequestContext,
        client: api.RouterRequest,
        prepared: PreparedOperation,
        variables: dict[str, Any],
    ) -> HttpResponse:
        headers = context.http.headers
        expose = (
            self.settings.expose_plans and headers.get(EXPOSE_PLAN_HEADER, "").lower() == "true"
        )
        headers_for = None if self.headers.empty else self.headers.bind(headers)
        fetcher = self.fetcher
        if self.hooks.subgraph:
            fetcher = hooks.HookedFetcher(fetcher, self.hooks, client)

        async def run() -> tuple[HttpResponse, dict[str, Any]]:
            executed = await execute(
                self.supergraph.api_schema, prepared, variables, fetcher, headers_for
            )
            body = shape(prepared, executed, variables)
            if expose:
                body["extensions"] = {"queryPlan": plan_extension(prepared)}
            return body_reply(body, context.media_type), body

        if self.settings.dedupe_requests and prepared.kind == "query" and not self.hooks.subgraph:
            names = [graph.name for graph in self.supergraph.graphs.values()]
            forwarded = self.headers.fingerprint(headers, names)
            key = share_key(prepared, variables, context.media_type, expose, forwarded)
            reply, body = await self.inflight.run(key, run)
        else:
            reply, body = await run()
        if not self.hooks.on_response:
            return reply
        response = api.RouterResponse(client, reply.status, body)
        await hooks.run(self.hooks.on_response, "on_response", response)
        return with_additions(reply, body, response, context.media_type)
