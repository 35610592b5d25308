"""The router's ASGI app (Starlette): ``/graphql`` over GET and POST, GraphiQL, ``/health``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from router.config import RouterConfig
from router.executor.fetcher import HttpFetcher
from router.gateway import Gateway, Outcome
from router.request import (
    GRAPHQL_RESPONSE_JSON,
    RequestError,
    from_get,
    from_post,
    response_media_type,
)
from router.server.graphiql import build_graphiql
from router.supergraph import Supergraph, load_supergraph

logger = logging.getLogger("switchboard.router")
EXPOSE_PLAN_HEADER = "switchboard-expose-query-plan"


def load_supergraph_file(config: RouterConfig) -> Supergraph:
    return load_supergraph(config.supergraph.read_text(), url_overrides=config.subgraph_urls)


def create_app(config: RouterConfig, supergraph: Supergraph | None = None) -> Starlette:
    """The router app; the lifespan owns the pooled HTTP client to the subgraphs."""
    graph = supergraph or load_supergraph_file(config)
    graphiql = build_graphiql(config, graph)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        urls = {g.name: g.url for g in graph.graphs.values()}
        fetcher = HttpFetcher(urls, timeout=config.subgraph_timeout_seconds)
        app.state.gateway = Gateway(graph, fetcher, cache_size=config.operation_cache_size)
        try:
            yield
        finally:
            await fetcher.aclose()

    async def graphql(request: Request) -> Response:
        if graphiql is not None and graphiql.wanted(request):
            return graphiql.response()
        media_type = response_media_type(request.headers.get("accept"))
        if media_type is None:
            return _error_response(
                406, "Accept application/graphql-response+json or application/json.", "BAD_REQUEST"
            )
        try:
            graphql_request = await _read(request, config)
        except RequestError as exc:
            return _error_response(exc.status, exc.message, exc.code, dict(exc.headers), media_type)
        expose = config.dev and request.headers.get(EXPOSE_PLAN_HEADER, "").lower() == "true"
        gateway: Gateway = request.app.state.gateway
        try:
            outcome = await gateway.execute(graphql_request, expose_plan=expose)
        except Exception:  # a router bug: logged, answered as a GraphQL error
            logger.exception("unexpected error while executing a request")
            return _error_response(
                500, "Internal router error.", "INTERNAL_SERVER_ERROR", media_type=media_type
            )
        return _outcome_response(outcome, media_type)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        *(graphiql.routes if graphiql is not None else []),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _read(request: Request, config: RouterConfig) -> Any:
    if request.method == "GET":
        return from_get(request.query_params)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > config.max_request_bytes:
        raise RequestError(413, f"The request body exceeds {config.max_request_bytes} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > config.max_request_bytes:
            raise RequestError(413, f"The request body exceeds {config.max_request_bytes} bytes.")
    return from_post(request.headers.get("content-type"), bytes(body))


def _outcome_response(outcome: Outcome, media_type: str) -> Response:
    status = outcome.http_status or 200
    if outcome.request_error and media_type == GRAPHQL_RESPONSE_JSON and status == 200:
        status = 400  # the spec's status for request errors with the new media type
    headers = dict(outcome.headers)
    if status == 405:
        headers["allow"] = "POST"
    return Response(
        orjson.dumps(outcome.body), status_code=status, media_type=media_type, headers=headers
    )


def _error_response(
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)
