"""router.yaml in a real router process: header rules, CORS, introspection, subgraph timeouts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.echo_subgraph import EchoServer, start_echo, supergraph_sdl
from tests.support.processes import ServiceProcess, free_port, start_service

ORIGIN = "https://app.example"
FIELDS = {"alpha": ["alphaHeaders", "alphaSlow"], "beta": ["betaHeaders", "betaSlow"]}
PRODUCTION: dict[str, Any] = {
    "dev": False,
    "authentication": {},  # no JWKS: the router verifies no token; Authorization is only propagated
    "subgraph_timeout_seconds": 20,
    "subgraphs": {"beta": {"timeout_seconds": 0.2}},
    "cors": {"allow_origins": [ORIGIN], "allow_credentials": True, "max_age_seconds": 120},
    "headers": {
        "all": {
            "request": [
                {"propagate": {"named": "authorization"}},
                {"propagate": {"matching": "^x-tenant-"}},
            ]
        },
        "subgraphs": {
            "alpha": {"request": [{"insert": {"name": "x-caller", "value": "switchboard"}}]},
            "beta": {
                "request": [
                    {"propagate": {"named": "x-request-id", "rename": "x-correlation-id",
                                   "default": "none"}},
                    {"remove": {"named": "x-tenant-debug"}},
                ]
            },
        },
    },
}  # fmt: skip
CLIENT_HEADERS = {
    "Authorization": "Bearer abc",
    "X-Tenant-Id": "t1",
    "X-Tenant-Debug": "yes",
    "X-Request-Id": "r-9",
    "Cookie": "session=secret",
    "Connection": "keep-alive",
}


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoServer]:
    server = start_echo(tmp_path_factory.mktemp("echo"), slow_seconds=1.0)
    yield server
    server.stop()


def start_router(tmp: Path, echo: EchoServer, settings: dict[str, Any]) -> ServiceProcess:
    supergraph = tmp / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(echo.url, FIELDS))
    config = tmp / "router.yaml"
    config.write_text(yaml.safe_dump(settings))
    port = free_port()
    return start_service(
        ["router", "--config", str(config), "--supergraph", str(supergraph), "--port", str(port)],
        name="router",
        port=port,
        log_dir=tmp,
    )


@pytest.fixture(scope="module")
def production(
    tmp_path_factory: pytest.TempPathFactory, echo: EchoServer
) -> Iterator[ServiceProcess]:
    router = start_router(tmp_path_factory.mktemp("production"), echo, PRODUCTION)
    yield router
    router.stop()


def post(router: ServiceProcess, query: str, headers: dict[str, str] | None = None) -> Any:
    response = router.client.post(f"{router.url}/graphql", json={"query": query},
                                  headers=headers or {})  # fmt: skip
    return response.json()


def test_headers_are_propagated_renamed_inserted_and_removed_per_subgraph(
    production: ServiceProcess,
) -> None:
    body = post(production, "{ alphaHeaders betaHeaders }", CLIENT_HEADERS)
    assert "errors" not in body, body
    alpha = json.loads(body["data"]["alphaHeaders"])
    beta = json.loads(body["data"]["betaHeaders"])
    assert alpha["authorization"] == beta["authorization"] == "Bearer abc"
    assert alpha["x-tenant-id"] == beta["x-tenant-id"] == "t1"
    assert alpha["x-tenant-debug"] == "yes"
    assert "x-tenant-debug" not in beta
    assert alpha["x-caller"] == "switchboard"
    assert "x-caller" not in beta
    assert beta["x-correlation-id"] == "r-9"
    for forwarded in (alpha, beta):
        assert "cookie" not in forwarded
        assert "x-request-id" not in forwarded
        assert forwarded["content-type"] == "application/json"  # the router's own
        assert forwarded.get("connection", "keep-alive") == "keep-alive"
    without = post(production, "{ betaHeaders }", {"Authorization": "other"})
    beta = json.loads(without["data"]["betaHeaders"])
    assert beta["x-correlation-id"] == "none"
    assert beta["authorization"] == "other"
    assert "x-tenant-id" not in beta


def test_cors_preflight_and_response_headers(production: ServiceProcess) -> None:
    preflight = production.client.options(
        f"{production.url}/graphql",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-max-age"] == "120"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    refused = production.client.options(
        f"{production.url}/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    answer = production.client.post(
        f"{production.url}/graphql", json={"query": "{ __typename }"}, headers={"Origin": ORIGIN}
    )
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.json() == {"data": {"__typename": "Query"}}


def test_production_mode_hides_introspection_graphiql_and_plans(
    production: ServiceProcess,
) -> None:
    body = post(production, "{ __schema { queryType { name } } }")
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert "data" not in body
    sneaky = post(production, '{ ...F } fragment F on Query { __type(name: "Query") { name } }')
    assert sneaky["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    planned = production.client.post(
        f"{production.url}/graphql",
        json={"query": "{ alphaHeaders }"},
        headers={"Switchboard-Expose-Query-Plan": "true"},
    ).json()
    assert "extensions" not in planned
    page = production.client.get(f"{production.url}/graphql", headers={"Accept": "text/html"})
    assert "text/html" not in page.headers.get("content-type", "")


def test_per_subgraph_timeouts(production: ServiceProcess) -> None:
    body = post(production, "{ alphaSlow betaSlow }")
    assert body["data"] == {"alphaSlow": "slow", "betaSlow": None}  # alpha waits up to 20s
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["serviceName"] == "beta"
    assert "timed out" in error["message"]
    assert error["path"] == ["betaSlow"]


@pytest.mark.slow
def test_introspection_can_be_turned_on_in_production(tmp_path: Path, echo: EchoServer) -> None:
    router = start_router(tmp_path, echo, {"dev": False, "introspection": True})
    try:
        body = post(router, "{ __schema { queryType { name } } }")
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        preflight = router.client.options(
            f"{router.url}/graphql",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers  # CORS is off by default
    finally:
        router.stop()
