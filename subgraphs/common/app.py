"""The app factory every subgraph service is built with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from .context import SubgraphContext
from .db import RequestDb, create_engine, session_factory
from .deadletters import metrics_text
from .graphql_errors import client_error
from .http_guard import GraphQLRequestGuard
from .identity import IdentityVerifier
from .identity_guard import IdentityGuard
from .schema import SubgraphSchema
from .settings import SubgraphSettings
from .telemetry import (
    ERROR_CODES,
    METRICS,
    RequestTelemetry,
    Telemetry,
    migration_heads,
    readiness,
)

L = TypeVar("L")

# Something a service runs for the app's lifetime (an HTTP client, a background loop): entered
# after the engine is ready (``app.state.sessions`` is set), left before it is disposed.
LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class SubgraphGraphQLRouter(GraphQLRouter[Any, None]):
    """Strawberry's router with our error shaping (codes, masked internals)."""

    service = "subgraph"  # the metrics label, set per app

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            shaped = [client_error(error) for error in result.errors]
            response["errors"] = list[object](shaped)
            codes = [str((e.get("extensions") or {}).get("code", "-")) for e in shaped]
            for code in codes:
                METRICS.errors.labels(self.service, code).inc()
            request.scope[ERROR_CODES] = sorted(set(codes))  # for the access log
        if result.extensions:
            response["extensions"] = result.extensions
        return response


def create_subgraph_app(
    settings: SubgraphSettings,
    schema: SubgraphSchema,
    make_loaders: Callable[[RequestDb, SubgraphSettings], L],
    hooks: Sequence[LifespanHook] = (),
    outboxes: Mapping[str, Any] | None = None,
) -> FastAPI:
    """A FastAPI app serving ``schema`` at ``/graphql``, ``/health`` (the database answers),
    ``/ready`` (and its migrations are applied) and ``/metrics`` (Prometheus text).

    The lifespan owns the database engine, then enters ``hooks`` in order (and leaves them in
    reverse); each request gets one ``RequestDb``.
    """

    telemetry = Telemetry(settings)
    heads = migration_heads(settings.name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, echo=settings.echo_sql, pool=settings.pool)
        telemetry.instrument_engine(engine)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        try:
            async with AsyncExitStack() as stack:
                for hook in hooks:
                    await stack.enter_async_context(hook(app))
                yield
        finally:
            await engine.dispose()
            telemetry.shutdown()

    async def get_context(request: HTTPConnection) -> AsyncIterator[SubgraphContext[L]]:
        db = RequestDb(request.app.state.sessions)
        try:
            identity = request.state.identity  # set by IdentityGuard, or the request is refused
            yield SubgraphContext(db, settings, make_loaders(db, settings), identity)
        finally:
            await db.close()

    app = FastAPI(
        title=f"Switchboard {settings.name} subgraph",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.add_middleware(GraphQLRequestGuard, path="/graphql", max_body_bytes=settings.max_body_bytes)
    verifier = IdentityVerifier.from_settings(
        settings.name, settings.router_public_keys, settings.service_public_keys
    )
    app.state.identity_verifier = verifier
    app.add_middleware(IdentityGuard, path="/graphql", verifier=verifier)  # before the guards
    # outermost: every answer is counted, 401s included
    access_log = settings.telemetry.logs.access_log is not False  # unset: on
    app.add_middleware(RequestTelemetry, service=settings.name, access_log=access_log)
    graphql = SubgraphGraphQLRouter(
        schema, context_getter=get_context, graphql_ide=None, allow_queries_via_get=False
    )
    graphql.service = settings.name
    app.include_router(graphql, prefix="/graphql")

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # readiness reports, it does not raise
            return JSONResponse(
                {"status": "unavailable", "service": settings.name, "reason": type(exc).__name__},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "service": settings.name})

    @app.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        """Ready to serve: the database answers and every migration is applied."""
        ok, reason = await readiness(request.app.state.engine, heads)
        body = {"status": "ok" if ok else "unavailable", "service": settings.name}
        if not ok:
            body["reason"] = reason
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> PlainTextResponse:
        db = RequestDb(request.app.state.sessions)
        try:
            text_ = await metrics_text(
                db, settings.name, outboxes or {}, settings.outbox_max_attempts
            )
        finally:
            await db.close()
        text_ += METRICS.exposition()
        return PlainTextResponse(text_, media_type="text/plain; version=0.0.4")

    telemetry.instrument_app(app)
    return app
