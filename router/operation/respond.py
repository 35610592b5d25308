"""Stage 10, respond: shape the client's response and write the HTTP response.

Shaping puts fields in selection order under the client's aliases, drops fields only the
router asked for, propagates nulls and moves error paths to the client's keys. Request
errors are answered with the catalogue's status for the negotiated media type.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

import orjson

from router.errors import GraphQLErrorDict, RouterError
from router.operation.context import HttpResponse
from router.operation.execute import Executed
from router.operation.plan import PreparedOperation
from router.operation.receive import GRAPHQL_RESPONSE_JSON, JSON
from router.operation.typename_aliases import rename_error_paths
from router.planner import plan_to_json, print_plan
from router.plugins.api import RouterResponse


def shape(
    prepared: PreparedOperation, executed: Executed, variables: dict[str, Any]
) -> dict[str, Any]:
    """The response body ``{"errors"?, "data"}`` for an executed operation."""
    errors = executed.errors
    if prepared.unauthorized:  # copies: the prepared ones are shared by every response
        errors[:0] = [dict(error) for error in prepared.unauthorized]
    if prepared.client_keys and errors:
        rename_error_paths(errors, prepared.client_keys)
    data = prepared.shaper.shape(executed.data, variables, errors)
    body: dict[str, Any] = {}
    if errors:
        body["errors"] = errors
    body["data"] = data
    return body


def plan_extension(prepared: PreparedOperation) -> dict[str, Any]:
    """``extensions.queryPlan`` as dev mode exposes it (GraphiQL's plan view reads it)."""
    return {"text": print_plan(prepared.plan), "json": plan_to_json(prepared.plan)}


def body_reply(
    body: Mapping[str, Any],
    media_type: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    return http_response(status, orjson.dumps(body), media_type, headers or {})


def error_reply(
    error: RouterError, media_type: str = JSON, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """The response to a request a stage refused."""
    body: dict[str, list[GraphQLErrorDict]] = {"errors": error.graphql_errors()}
    status = error.http_status(media_type == GRAPHQL_RESPONSE_JSON)
    return http_response(
        status, orjson.dumps(body), media_type, {**(headers or {}), **error.headers}
    )


def http_response(
    status: int, body: bytes, media_type: str, extra: Mapping[str, str]
) -> HttpResponse:
    headers = [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
    ]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    return HttpResponse(status, tuple(headers), body)


def with_additions(
    reply: HttpResponse, body: dict[str, Any], response: RouterResponse, media_type: str
) -> HttpResponse:
    """``reply`` with the extensions and headers ``on_response`` hooks added, if any."""
    if not response.extensions and not response.headers:
        return reply
    if response.extensions:
        merged = {**body.get("extensions", {}), **response.extensions}
        body = {**body, "extensions": merged}
    return body_reply(body, media_type, reply.status, response.headers)


async def with_plan(
    events: AsyncGenerator[dict[str, Any], None], plan: dict[str, Any]
) -> AsyncGenerator[dict[str, Any], None]:
    """``events``, the first carrying ``extensions.queryPlan`` (dev mode, when asked)."""
    first = True
    async with aclosing(events):
        async for body in events:
            if first:
                body.setdefault("extensions", {})["queryPlan"] = plan
                first = False
            yield body
