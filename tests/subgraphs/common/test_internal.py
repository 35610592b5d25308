"""/internal/* endpoints: loopback only by default, a shared token when one is configured."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from subgraphs.common.internal import internal_headers, refuse_internal_caller


def app_with(token: str) -> FastAPI:
    app = FastAPI()

    @app.post("/internal/ping")
    async def ping(request: Request) -> JSONResponse:
        refused = refuse_internal_caller(request, token)
        return refused if refused is not None else JSONResponse({"ok": True})

    return app


async def call(app: FastAPI, client_host: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(client_host, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        return await http.post("/internal/ping", headers=headers)


@pytest.mark.parametrize(
    ("token", "host", "headers", "status"),
    [
        ("", "127.0.0.1", {}, 200),
        ("", "::1", {}, 200),
        ("", "10.0.0.7", {}, 403),
        ("s3cret", "10.0.0.7", internal_headers("s3cret"), 200),
        ("s3cret", "127.0.0.1", {}, 403),
        ("s3cret", "10.0.0.7", internal_headers("wrong"), 403),
    ],
)
async def test_who_may_call(token: str, host: str, headers: dict[str, str], status: int) -> None:
    response = await call(app_with(token), host, headers)
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "FORBIDDEN"
