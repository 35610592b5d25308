"""A peer service that checks service tokens: ``python -m tests.security.service_peer``.

It stands in for any callee ``<name>`` at ``/<name>/graphql``: every POST is checked with
``verify_service_token`` (audience ``<name>``, the keys of ``PEER_SERVICE_PUBLIC_KEYS``, a JSON
object service → PEM, as ``<SERVICE>_SERVICE_PUBLIC_KEYS``). A refused call is a 401 with the
reason; an accepted one answers a customer for ``customer(id:)`` queries (enough for a
contact or a profile) and ``BAD_USER_INPUT`` for anything else. ``GET /calls`` lists every
call: the callee, the status, the verified caller or the reason of the refusal.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from subgraphs.common.service_tokens import (
    HEADER,
    ServicePublicKeys,
    ServiceTokenError,
    verify_service_token,
)


def create_app(keys: ServicePublicKeys) -> Starlette:
    calls: list[dict[str, Any]] = []

    async def graphql(request: Request) -> Response:
        audience = request.path_params["name"]
        try:
            caller = verify_service_token(request.headers.get(HEADER), audience, keys)
        except ServiceTokenError as exc:
            calls.append({"callee": audience, "status": 401, "reason": exc.reason})
            error = {"message": str(exc), "extensions": {"code": "UNAUTHENTICATED",
                                                         "reason": exc.reason}}  # fmt: skip
            return JSONResponse({"errors": [error]}, status_code=401)
        calls.append({"callee": audience, "status": 200, "caller": caller.service})
        body = await request.json()
        variables = body.get("variables") or {}
        if "customer(id:" in body.get("query", "") and "id" in variables:
            customer = {"id": variables["id"], "email": "peer@example.com", "name": "Peer Test",
                        "address": {"country": "DE"}, "paymentMethods": []}  # fmt: skip
            return JSONResponse({"data": {"customer": customer}})
        refusal = {"message": "the test peer answers customers only",
                   "extensions": {"code": "BAD_USER_INPUT"}}  # fmt: skip
        return JSONResponse({"data": None, "errors": [refusal]})

    async def listed(_request: Request) -> Response:
        return JSONResponse(calls)

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/calls", listed),
            Route("/{name}/graphql", graphql, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    keys = ServicePublicKeys.from_json(os.environ.get("PEER_SERVICE_PUBLIC_KEYS", ""))
    uvicorn.run(create_app(keys), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
