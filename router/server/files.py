"""File routes: GETs under a path prefix passed to a subgraph (e.g. signed invoice PDF links).

``files: [{prefix: /files/invoices/, subgraph: invoices, path: /invoices/}]`` sends
``GET /files/invoices/inv_1.pdf?expires=…&signature=…`` to the invoices service's
``/invoices/inv_1.pdf?…``. The subgraph decides (the link's signature is the permission);
the router adds its own subgraph token, forwards no client header and streams the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from router.auth.identity import ANONYMOUS
from router.auth.subgraph_tokens import HEADER, SubgraphSigner

PASSED_BACK = ("content-type", "content-length", "content-disposition", "cache-control", "etag")


class FileRoute(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prefix: str = Field(description="Path prefix on the router, e.g. `/files/invoices/`.")
    subgraph: str = Field(description="The subgraph that serves these files.")
    path: str = Field(description="Path prefix on the subgraph, e.g. `/invoices/`.")

    @field_validator("prefix", "path")
    @classmethod
    def _slashes(cls, value: str) -> str:
        if not (value.startswith("/") and value.endswith("/")) or ".." in value:
            raise ValueError("start and end with `/`")
        return value


def file_routes(
    routes: list[FileRoute],
    urls: dict[str, str],
    signer: SubgraphSigner | None,
    client: httpx.AsyncClient,
) -> list[Route]:
    made = []
    for route in routes:
        base = urls.get(route.subgraph)
        if base is None:
            raise ValueError(f"files: no subgraph named {route.subgraph!r}")
        made.append(_route(route, base, signer, client))
    return made


def _route(
    route: FileRoute, base: str, signer: SubgraphSigner | None, client: httpx.AsyncClient
) -> Route:
    parts = urlsplit(base)

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if ".." in name or name.startswith("/"):
            return JSONResponse({"error": "not found"}, status_code=404)
        target = urlunsplit((parts.scheme, parts.netloc, route.path + name, request.url.query, ""))
        headers = {HEADER: signer.token(ANONYMOUS, route.subgraph)} if signer else {}
        upstream = await client.send(client.build_request("GET", target, headers=headers),
                                     stream=True)  # fmt: skip
        passed = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_BACK}

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_raw():
                    yield chunk
            finally:
                await upstream.aclose()

        return StreamingResponse(body(), status_code=upstream.status_code, headers=passed)

    return Route(route.prefix + "{name:path}", serve, methods=["GET"])
