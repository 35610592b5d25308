"""The router's ASGI app (Starlette): ``/graphql`` over GET and POST, GraphiQL, probes.

``/health`` answers 200 while the process serves (liveness); ``/ready`` answers 200 once a
supergraph is loaded and until a SIGTERM starts the drain (readiness), 503 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from router.auth.jwks import JwksError
from router.auth.subgraph_tokens import SubgraphSigner
from router.auth.verify import Verifier
from router.config import ConfigError, RouterConfig
from router.executor.fetcher import HttpFetcher
from router.gateway import EXPOSE_PLAN_HEADER, Gateway, GatewaySettings, Security
from router.operation.headers import HeaderRules
from router.operation.manifest import load_manifest
from router.operation.overrides import OverridePolicy
from router.operation.persisted import PersistedQueries
from router.operation.ratelimit import build_limiter
from router.operation.shared_documents import RedisDocuments
from router.operation.workers import Preparer
from router.plugins.hooks import Hooks
from router.plugins.loader import load_plugin
from router.realtime.stream import Realtime
from router.realtime.websocket import GraphQLWebSocket
from router.rest import MappingError, load_api, rest_routes
from router.server.endpoint import GraphQLEndpoint
from router.server.files import file_routes
from router.server.graphiql import GraphiQLPage, build_graphiql
from router.server.reload import SupergraphWatcher, one_line
from router.supergraph import Supergraph, load_supergraph, override_labels
from router.telemetry import Telemetry
from switchboard.telemetry import ProcessTelemetry, setup_process

logger = logging.getLogger("switchboard.router")
__all__ = ["EXPOSE_PLAN_HEADER", "create_app"]


def load_supergraph_file(config: RouterConfig) -> Supergraph:
    return load_supergraph(config.supergraph.read_text(), url_overrides=config.url_overrides())


def create_app(
    config: RouterConfig,
    supergraph: Supergraph | None = None,
    process: ProcessTelemetry | None = None,
) -> Starlette:
    """The router app; the lifespan owns the subgraph HTTP pool and the supergraph watcher.

    ``app.state.gateway`` and ``app.state.graphiql`` serve the current supergraph; a reload
    replaces both between two requests, and a request keeps the gateway it started with.
    ``process`` is the process's telemetry (``serve_router`` sets logging up first).
    """
    loaded_text = None if supergraph is not None else config.supergraph.read_text()
    graph = supergraph or load_supergraph(loaded_text or "", url_overrides=config.url_overrides())
    warn_unknown_subgraphs(config, graph)
    page = build_graphiql(config, graph)
    if page is not None and not config.introspection_enabled:
        logger.warning("GraphiQL is on but introspection is off: its docs and completion are empty")

    if process is None:
        process = setup_process("switchboard-router", config.telemetry, dev=config.dev,
                                configure_logs=False)  # fmt: skip
    files_client = httpx.AsyncClient(timeout=30.0)
    shared = SharedState.of(config, process)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        fetcher = HttpFetcher(
            subgraph_urls(graph),
            timeout=config.subgraph_timeout_seconds,
            timeouts=config.subgraph_timeouts(),
            dedupe=config.traffic.dedupe_subgraph_requests,
            concurrency=config.subgraph_concurrency(),
            default_concurrency=(
                config.traffic.subgraph_max_concurrency,
                config.traffic.subgraph_max_queued,
            ),
            trace_headers=shared.telemetry.trace_headers,
        )
        app.state.gateway = build_gateway(config, graph, fetcher, shared)
        if shared.realtime is not None:
            shared.realtime.url_for = lambda name: fetcher.urls[name]
        app.state.graphiql = page
        await shared.plugins.startup()
        if shared.security.verifier is not None:
            await shared.security.verifier.keys.start()
        tasks = [asyncio.create_task(shared.telemetry.sync_forever(lambda: app.state.gateway))]
        if loaded_text is not None and config.hot_reload_enabled:
            tasks.append(asyncio.create_task(_watch(app, config, fetcher, loaded_text, shared)))
        app.state.ready = True
        shared.telemetry.ready(True)
        try:
            yield
        finally:
            app.state.ready = False
            if shared.realtime is not None:
                await shared.realtime.close_all()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await shared.plugins.shutdown()
            if shared.documents is not None:
                await shared.documents.aclose()
            shared.telemetry.shutdown()
            shared.preparer.close()
            security = shared.security
            if security.limiter is not None:
                await security.limiter.aclose()
            if security.verifier is not None:
                await security.verifier.keys.stop()
            await fetcher.aclose()
            await files_client.aclose()

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(_request: Request) -> Response:
        state = app.state
        if not state.ready or state.draining:
            status = "draining" if state.draining else "starting"
            return JSONResponse({"status": status}, status_code=503)
        graph = state.gateway.supergraph
        return JSONResponse({"status": "ready", "subgraphs": len(graph.graphs)})

    app = Starlette(routes=[], middleware=_middleware(config), lifespan=lifespan)
    app.state.ready = app.state.draining = False  # the lifespan and a SIGTERM set them
    app.state.telemetry = shared.telemetry
    app.state.realtime = shared.realtime
    endpoint = GraphQLEndpoint(config.max_request_bytes, app.state)
    rest = _rest(config, graph, shared, app)
    routes: list[BaseRoute] = [
        Route("/graphql", endpoint, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        *(page.routes if page is not None else []),
        *_files(config, graph, shared, files_client),
        *(rest_routes(rest, config.rest.openapi) if rest is not None else []),
    ]
    if shared.realtime is not None:
        routes.append(WebSocketRoute("/graphql", GraphQLWebSocket(app.state, shared.realtime)))
    app.router.routes.extend(routes)
    return app


def _files(
    config: RouterConfig, graph: Supergraph, shared: SharedState, client: httpx.AsyncClient
) -> list[Route]:
    try:
        return file_routes(config.files, subgraph_urls(graph), shared.security.signer, client)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _rest(config: RouterConfig, graph: Supergraph, shared: SharedState, app: Starlette) -> Any:
    """The REST API of ``rest.mapping``, checked against the supergraph now (ConfigError)."""
    try:
        api = load_api(config, app.state)
        if api is not None:
            api.compile_for(graph, shared.persisted_queries.manifest)
    except MappingError as exc:
        raise ConfigError(f"rest.mapping: {exc}") from None
    return api


def subgraph_urls(graph: Supergraph) -> dict[str, str]:
    return {g.name: g.url for g in graph.graphs.values()}


@dataclass(frozen=True)
class SharedState:
    """What outlives a supergraph reload: the APQ store, header rules, plugins, telemetry."""

    persisted_queries: PersistedQueries
    headers: HeaderRules
    plugins: Hooks
    preparer: Preparer
    security: Security
    telemetry: Telemetry
    documents: RedisDocuments | None
    realtime: Realtime | None = None  # None: subscriptions are off

    @classmethod
    def of(cls, config: RouterConfig, process: ProcessTelemetry) -> SharedState:
        pq = config.persisted_queries
        manifest = load_manifest(pq.manifest) if pq.manifest is not None else None
        documents = None
        if pq.redis_url is not None and config.apq_enabled:
            documents = RedisDocuments(
                pq.redis_url,
                prefix=pq.redis_prefix,
                timeout=pq.redis_timeout_seconds,
                ttl_seconds=pq.redis_ttl_seconds,
            )
        persisted = PersistedQueries(
            pq.cache_size,
            enabled=config.apq_enabled,
            max_bytes=pq.cache_bytes,
            manifest=manifest,
            safelist=pq.safelist,
            shared=documents,
        )
        plugins = [load_plugin(p.module, p.config, p.name) for p in config.plugins]
        planning = config.planning
        preparer = Preparer(
            threads=planning.threads,
            max_waiting=planning.max_waiting,
            timeout=planning.timeout_seconds,
        )
        telemetry = Telemetry.of(config, process)
        realtime = None
        if config.subscriptions_enabled:
            realtime = Realtime(config.subscriptions, lambda name: name, telemetry)  # URLs: later
        return cls(
            persisted, HeaderRules(config.headers), Hooks(plugins), preparer, security_of(config),
            telemetry, documents, realtime,
        )  # fmt: skip


def build_gateway(
    config: RouterConfig, graph: Supergraph, fetcher: HttpFetcher, shared: SharedState
) -> Gateway:
    override = config.progressive_override
    overrides = OverridePolicy(
        override_labels(graph),
        forced=override.labels,
        seed=override.seed,
        key_header=override.key_header,
    )
    settings = GatewaySettings(
        introspection=config.introspection_enabled,
        expose_plans=config.dev,
        dedupe_requests=config.traffic.dedupe_requests,
        operation_cache_size=config.operation_cache_size,
        operation_cache_bytes=config.operation_cache_bytes,
        limits=config.limits,
        csrf_headers=tuple(config.csrf.required_headers) if config.csrf.enabled else None,
        rate_limit_key=config.rate_limit.key,
        budget=config.planning.budget,
        batch_entities=config.traffic.batch_entity_fetches,
    )
    return Gateway(
        graph,
        fetcher,
        settings=settings,
        persisted_queries=shared.persisted_queries,
        overrides=overrides,
        headers=shared.headers,
        plugins=shared.plugins,
        preparer=shared.preparer,
        security=shared.security,
        telemetry=shared.telemetry,
        realtime=shared.realtime,
    )


def security_of(config: RouterConfig) -> Security:
    """Token verification, the subgraph signing key and the rate limiter, as configured."""
    try:
        verifier = Verifier(config.authentication)
    except JwksError as exc:
        raise ConfigError(f"authentication.jwks: {exc}") from None
    if not config.dev and verifier.keys.has_dev_key():
        raise ConfigError(
            "authentication.jwks: a development key (made by `switchboard dev`) is trusted; "
            "production mode refuses it: configure your identity provider's JWKS"
        )
    try:
        key = config.subgraph_auth.load_key()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"subgraph_auth: cannot load the signing key: {exc}") from None
    signer = SubgraphSigner(key, config.subgraph_auth.ttl_seconds) if key is not None else None
    if signer is None and not config.dev:
        logger.warning(
            "subgraph_auth has no signing key: subgraph requests are unsigned, and subgraphs "
            "that trust only the router will refuse them"
        )
    return Security(verifier, signer, build_limiter(config.rate_limit))


def warn_unknown_subgraphs(config: RouterConfig, graph: Supergraph) -> None:
    """Log settings that name no subgraph of this supergraph (a typo, or a removed subgraph)."""
    names = {g.name for g in graph.graphs.values()}
    for key, configured in (
        ("subgraph_urls", config.subgraph_urls),
        ("subgraphs", config.subgraphs),
        ("headers.subgraphs", config.headers.subgraphs),
    ):
        for name in sorted(set(configured) - names):
            logger.warning(
                "%s.%s names no subgraph of the supergraph (it has: %s)",
                key,
                name,
                ", ".join(sorted(names)),
            )


async def _watch(
    app: Starlette, config: RouterConfig, fetcher: HttpFetcher, text: str, shared: SharedState
) -> None:
    path = config.supergraph

    async def apply(new_text: str) -> bool:
        try:
            graph, gateway, page = await asyncio.to_thread(
                _build, config, new_text, fetcher, shared
            )
        except Exception as exc:  # any broken supergraph: one line, and the old one serves on
            logger.error(
                "supergraph %s not reloaded, the previous one keeps serving: %s",
                path,
                one_line(exc),
            )
            shared.telemetry.reloaded(False)
            return False
        fetcher.set_urls({**fetcher.urls, **subgraph_urls(graph)})  # in-flight keep theirs
        app.state.gateway, app.state.graphiql = gateway, page
        if shared.realtime is not None:
            shared.realtime.reloaded()
        logger.info("supergraph %s reloaded (%d subgraphs)", path, len(graph.graphs))
        shared.telemetry.reloaded(True)
        return True

    watcher = SupergraphWatcher(
        Path(path), interval=config.hot_reload.interval_seconds, loaded_text=text, apply=apply
    )
    logger.info("watching %s for changes every %gs", path, watcher.interval)
    await watcher.run()


def _build(
    config: RouterConfig, text: str, fetcher: HttpFetcher, shared: SharedState
) -> tuple[Supergraph, Gateway, GraphiQLPage | None]:
    graph = load_supergraph(text, url_overrides=config.url_overrides())
    warn_unknown_subgraphs(config, graph)
    return graph, build_gateway(config, graph, fetcher, shared), build_graphiql(config, graph)


def _middleware(config: RouterConfig) -> list[Middleware]:
    cors = config.cors
    if not cors.enabled:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=cors.allow_origins,
            allow_origin_regex=cors.allow_origin_regex,
            allow_credentials=cors.allow_credentials,
            allow_headers=cors.allow_headers,
            allow_methods=cors.allow_methods,
            expose_headers=cors.expose_headers,
            max_age=cors.max_age_seconds,
        )
    ]
