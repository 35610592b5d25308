"""REST endpoints translated from trusted operations, with their OpenAPI 3.1 description.

mapping.py   rest.yaml: routes → operations of the trusted documents, checked at start
params.py    path, query-string, header and body parameters → coerced variables
endpoint.py  the ASGI apps: bind, run through ``Gateway.handle``, translate
replies.py   data unwrapped to the resource; errors → HTTP statuses, Stripe-like bodies
shapes.py    where resources are: `object` tags, references as ids unless expand[]ed
naming.py    field names as REST clients see them (snake_case) and `object` tags
schemas.py   GraphQL types and selections → JSON Schema
openapi.py   the OpenAPI document; page.py its offline reference page
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from router.rest.endpoint import RestApi
from router.rest.mapping import MappingError, read_mapping
from router.rest.page import reference_page

__all__ = ["MappingError", "RestApi", "rest_routes"]


def rest_routes(api: RestApi, openapi: bool) -> list[Route]:
    """One route per path template, and ``/openapi.json`` + ``/docs`` when ``openapi``."""
    routes = [Route(template, api.endpoint(template)) for template in api.templates]
    if not openapi:
        return routes

    async def document(_request: Request) -> Response:
        compiled = api.compile(api.state.gateway)
        return Response(compiled.openapi, media_type="application/json")

    async def page(_request: Request) -> Response:
        import orjson

        compiled = api.compile(api.state.gateway)
        return HTMLResponse(reference_page(orjson.loads(compiled.openapi)))

    routes += [
        Route("/openapi.json", document, methods=["GET"]),
        Route("/docs", page, methods=["GET"]),
    ]
    return routes


def load_api(config: Any, state: Any) -> RestApi | None:
    """The REST API of ``config.rest.mapping``, or None when there is none."""
    path = config.rest.mapping
    if path is None:
        return None
    spec = read_mapping(path)
    return RestApi(path, spec, state, config.max_request_bytes,
                   config.authentication.require_authentication)  # fmt: skip
