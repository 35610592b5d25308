"""The conductor: runs a request through the stages of ``router.operation`` in order.

    receive → [on_request] → identify → persisted → parse → limits → validate (cached) →
    [on_operation] → authorize [on_policies] → plan (cached) → [on_plan] →
    execute [subgraph hooks] → respond → [on_response]

Each stage raises ``RouterError`` to stop the request; this module turns that into the
response. Bracketed steps are plugin hooks, skipped when no plugin defines them.
``context.telemetry.stage(name)`` marks each boundary (spans, metrics, access log:
``router.telemetry``); with telemetry off those calls do nothing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from router.auth.identity import Identity
from router.errors import METHOD_NOT_ALLOWED, OPERATION_NOT_SUPPORTED, RouterError
from router.executor.fetcher import Fetcher
from router.executor.inflight import Inflight
from router.operation import receive
from router.operation.authorize import authorize
from router.operation.context import (
    NULL_TELEMETRY,
    HttpRequest,
    HttpResponse,
    NullTelemetry,
    RequestContext,
)
from router.operation.execute import Executed, coerce_variables, execute, share_key
from router.operation.headers import HeaderRules, HeadersConfig, subgraph_headers
from router.operation.identify import client_key, identify
from router.operation.limits import enforce_variables
from router.operation.overrides import OverridePolicy
from router.operation.persisted import PersistedQueries
from router.operation.plan import PreparedOperation
from router.operation.receive import JSON as JSON_MEDIA
from router.operation.respond import (
    body_reply,
    error_reply,
    plan_extension,
    shape,
    with_additions,
    with_plan,
)
from router.operation.settings import GatewaySettings, Security
from router.operation.store import OperationStore, StoreSettings
from router.operation.workers import Preparer
from router.plugins import api, hooks
from router.realtime.stream import Realtime, StreamRun
from router.supergraph import Supergraph, override_labels
from router.telemetry import NO_TELEMETRY, Telemetry

EXPOSE_PLAN_HEADER = "switchboard-expose-query-plan"


@dataclass(frozen=True, slots=True)
class _Ready:
    """A request past every stage before execution."""

    client: api.RouterRequest
    identity: Identity
    prepared: PreparedOperation
    variables: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Stream:
    """A streamed request's events; ``client`` counts against ``max_per_client``."""

    client: str
    events: AsyncGenerator[dict[str, Any], None]
    expires_at: float | None = None  # the token's expiry, leeway included: the stream ends
    operation_name: str | None = None


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
        security: Security | None = None,
        telemetry: Telemetry | None = None,
        realtime: Realtime | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.fetcher = fetcher
        self.settings = s = settings or GatewaySettings()
        self.persisted = PersistedQueries() if persisted_queries is None else persisted_queries
        self.overrides = overrides or OverridePolicy(override_labels(supergraph))
        self.headers = headers or HeaderRules(HeadersConfig())
        self.hooks = plugins or hooks.Hooks()
        self.security = security or Security()
        self.telemetry = telemetry or NO_TELEMETRY
        self.realtime = realtime  # None: subscriptions are off
        store = StoreSettings(s.limits, s.introspection, s.budget, s.operation_cache_size,
                              s.operation_cache_bytes)  # fmt: skip
        self.store = OperationStore(supergraph, store, preparer or Preparer())
        self.operations = self.store.cache
        self.inflight: Inflight[tuple[HttpResponse, dict[str, Any]]] = Inflight()
        self.subgraph_names = sorted(graph.name for graph in supergraph.graphs.values())

    async def handle(
        self,
        http: HttpRequest,
        translate: Callable[[HttpResponse], HttpResponse] | None = None,
        *,
        derived: bool = False,
    ) -> HttpResponse:
        """Answer one HTTP request; a RouterError from any stage becomes its response.

        ``translate`` turns the GraphQL response into another protocol's (``router.rest``)
        before telemetry records it, so spans, metrics and the access log see what was sent.
        ``derived``: the router wrote the document from one the persisted stage accepted (a
        deferred fragment's operation), so that stage (APQ, safelist) is not asked again.
        """
        telemetry = self.telemetry.request(http)
        try:
            reply = await self._handle(http, telemetry, derived)
            if translate is not None:
                reply = translate(reply)
        except BaseException as exc:
            telemetry.crashed(exc)
            raise
        return telemetry.finish(reply)

    async def _handle(
        self, http: HttpRequest, telemetry: NullTelemetry, derived: bool = False
    ) -> HttpResponse:
        telemetry.stage("receive")
        try:
            context = RequestContext(http, receive.negotiate(http), telemetry=telemetry)
        except RouterError as error:
            telemetry.refused(error)
            return error_reply(error)
        try:
            if self.settings.csrf_headers is not None:
                receive.check_csrf(http, self.settings.csrf_headers)
            return await self._serve(context, derived)
        except RouterError as error:
            telemetry.refused(error)
            return error_reply(error, context.media_type, context.response_headers)

    async def _serve(self, context: RequestContext, derived: bool = False) -> HttpResponse:
        ready = await self._prepare(context, derived=derived)
        return await self._respond(
            context, ready.client, ready.identity, ready.prepared, ready.variables
        )

    async def open_stream(self, http: HttpRequest) -> Stream:
        """Run the stages for a streamed request (WebSocket, SSE, multipart): a RouterError
        refuses it; else its events, one response body each (a query or mutation: one)."""
        if self.realtime is None:
            raise RouterError(OPERATION_NOT_SUPPORTED, "Subscriptions are off on this router.")
        context = RequestContext(http, JSON_MEDIA, telemetry=NULL_TELEMETRY)
        if self.settings.csrf_headers is not None and http.method != "WEBSOCKET":
            receive.check_csrf(http, self.settings.csrf_headers)
        ready = await self._prepare(context, streaming=True)
        headers_for = subgraph_headers(
            self.headers, http.headers, self.security.signer, ready.identity
        )
        fetcher: Fetcher = self.fetcher
        if self.hooks.subgraph:
            fetcher = hooks.HookedFetcher(fetcher, self.hooks, ready.client)
        key = client_key(http, self.settings.rate_limit_key, ready.identity.subject)
        expires_at = self._token_expiry(ready.identity)
        forwarded = (self.headers.fingerprint(http.headers, self.subgraph_names),
                     ready.identity.key)  # fmt: skip
        run = StreamRun(
            self.supergraph.api_schema, ready.prepared, ready.variables, fetcher, headers_for,
            self.settings.batch_entities, expires_at, forwarded,
        )  # fmt: skip
        events = self.realtime.events(run)
        if (
            self.settings.expose_plans
            and http.headers.get(EXPOSE_PLAN_HEADER, "").lower() == "true"
        ):
            events = with_plan(events, plan_extension(ready.prepared))
        name = ready.prepared.operation.name
        return Stream(key, events, expires_at, name.value if name else None)

    def _token_expiry(self, identity: Identity) -> float | None:
        """When the identity's token stops being accepted (``exp`` plus the leeway)."""
        verifier = self.security.verifier
        if identity.expires_at is None or verifier is None:
            return None
        return identity.expires_at + verifier.config.leeway_seconds

    async def _prepare(
        self, context: RequestContext, *, streaming: bool = False, derived: bool = False
    ) -> _Ready:
        http = context.http
        client = api.RouterRequest(
            http.method, http.path, http.headers, http.client, context.scratch
        )
        if self.hooks.on_request:
            await hooks.run(self.hooks.on_request, "on_request", client)
        telemetry = context.telemetry
        telemetry.stage("identify")
        identity = await identify(
            http, client.context, self.security, self.settings.rate_limit_key, self.telemetry
        )
        telemetry.stage("persisted")
        request = receive.graphql_request(http)
        if not derived:
            request = await self.persisted.lookup(request)
        telemetry.stage("document")
        query = request.query or ""
        cached = await self.store.operation(query, request.operation_name, telemetry)
        telemetry.operation(cached.valid)
        kind = cached.valid.kind
        if kind == "subscription" and not streaming:  # before authorization removes fields
            raise RouterError(
                OPERATION_NOT_SUPPORTED,
                "Subscriptions need a streaming transport: a WebSocket (graphql-transport-ws) "
                "on /graphql, or Accept: text/event-stream.",
            )
        if request.via_get and kind != "query" and not (streaming and kind == "subscription"):
            raise RouterError(
                METHOD_NOT_ALLOWED, "Only queries may be sent with GET; use POST.",
                headers={"allow": "POST"},
            )  # fmt: skip
        variables = request.variables
        if self.hooks.on_operation:
            rewritten = await hooks.on_operation(self.hooks, client, query, cached.valid, variables)
            if rewritten is not None:
                cached = await self.store.operation(rewritten, cached.valid.operation_name)
        telemetry.stage("authorize")
        outcome = await authorize(cached.requirements, identity, self.hooks, client)
        telemetry.stage("plan")
        labels = self.overrides.labels_for(http.headers)
        prepared = await self.store.plan(cached, labels, outcome)
        if self.hooks.on_plan:
            await hooks.run(self.hooks.on_plan, "on_plan", api.Plan(client, prepared.plan))
        enforce_variables(variables, self.settings.limits)
        variables = coerce_variables(self.supergraph.api_schema, prepared, variables)
        return _Ready(client, identity, prepared, variables)

    async def _respond(
        self,
        context: RequestContext,
        client: api.RouterRequest,
        identity: Identity,
        prepared: PreparedOperation,
        variables: dict[str, Any],
    ) -> HttpResponse:
        headers = context.http.headers
        asked = headers.get(EXPOSE_PLAN_HEADER, "").lower() == "true"
        expose = self.settings.expose_plans and asked
        headers_for = subgraph_headers(self.headers, headers, self.security.signer, identity)
        context.telemetry.stage("execute")
        fetcher = context.telemetry.fetcher(self.fetcher, prepared)
        if self.hooks.subgraph:
            fetcher = hooks.HookedFetcher(fetcher, self.hooks, client)

        async def run() -> tuple[HttpResponse, dict[str, Any]]:
            if prepared.data_nulled:  # an unauthorized non-null root field: nothing to fetch
                executed = Executed({}, [], 0)
            else:
                executed = await execute(
                    self.supergraph.api_schema, prepared, variables, fetcher, headers_for,
                    batch_entities=self.settings.batch_entities,
                )  # fmt: skip
            context.telemetry.stage("respond")
            body = shape(prepared, executed, variables)
            if expose:
                body["extensions"] = {"queryPlan": plan_extension(prepared)}
            return body_reply(body, context.media_type), body

        if self.settings.dedupe_requests and prepared.kind == "query" and not self.hooks.subgraph:
            forwarded = (self.headers.fingerprint(headers, self.subgraph_names), identity.key)
            key = share_key(prepared, variables, context.media_type, expose, forwarded)
            reply, body = await self.inflight.run(key, run)
        else:
            reply, body = await run()
        context.telemetry.executed(body)
        if not self.hooks.on_response:
            return reply
        response = api.RouterResponse(client, reply.status, body)
        await hooks.run(self.hooks.on_response, "on_response", response)
        return with_additions(reply, body, response, context.media_type)


__all__ = ["EXPOSE_PLAN_HEADER", "Gateway", "GatewaySettings", "Security", "Stream"]
