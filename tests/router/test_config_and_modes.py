"""Router configuration sources and dev/production behaviour, in process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from router.config import ConfigError, load_config
from router.server.app import create_app

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


def test_yaml_then_env_then_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "router.yaml"
    config.write_text("port: 4100\nsubgraph_urls:\n  orders: http://yaml/graphql\n")
    assert load_config(config).port == 4100
    monkeypatch.setenv("SWITCHBOARD_ROUTER_PORT", "4200")
    assert load_config(config).port == 4200
    assert load_config(config, port=4300).port == 4300


def test_one_subgraph_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_ROUTER_SUBGRAPH_URLS__customers", "http://elsewhere/graphql")
    config = load_config(None)
    assert config.subgraph_urls == {"customers": "http://elsewhere/graphql"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("prot: 1\n", "prot"), ("- a\n", "mapping"), ("port: [\n", "router.yaml"),
     ("port: -1\n", "port")],
)  # fmt: skip
def test_bad_config_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(config)


async def _post_typename(dev: bool) -> dict[str, object]:
    app = create_app(load_config(None, supergraph=SUPERGRAPH, dev=dev))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Switchboard-Expose-Query-Plan": "true"},
            )
    body: dict[str, object] = response.json()
    return body


async def test_plan_exposed_only_in_dev_mode() -> None:
    assert "queryPlan" in (await _post_typename(dev=True))["extensions"]  # type: ignore[operator]
    production = await _post_typename(dev=False)
    assert production == {"data": {"__typename": "Query"}}


async def _post(settings: dict[str, object], query: str) -> httpx.Response:
    app = create_app(load_config(None, supergraph=SUPERGRAPH, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            return await client.post(
                "/graphql",
                json={"query": query},
                headers={"Accept": "application/graphql-response+json"},
            )


INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize(
    ("settings", "allowed"),
    [({"dev": True}, True), ({"dev": False}, False),
     ({"dev": False, "introspection": True}, True), ({"dev": True, "introspection": False}, False)],
)  # fmt: skip
async def test_introspection_follows_the_mode(settings: dict[str, object], allowed: bool) -> None:
    response = await _post(settings, INTROSPECTION)
    if allowed:
        assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        return
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Introspection is disabled on this router.",
                "extensions": {"code": "INTROSPECTION_DISABLED"},
            }
        ]
    }


@pytest.mark.parametrize(
    "query",
    [
        "query Q { ...F } fragment F on Query { __schema { types { name } } }",
        '{ ... on Query { __type(name: "Query") { name } } }',
        '{ __typename t: __type(name: "Query") { name } }',
    ],
)
async def test_disabled_introspection_cannot_hide_in_fragments(query: str) -> None:
    body = (await _post({"dev": False}, query)).json()
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_typename_is_not_introspection() -> None:
    response = await _post({"dev": False}, "{ __typename }")
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_cors_is_off_by_default_and_answers_preflights_when_on() -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    for settings, status in (
        ({}, 405),
        ({"cors": {"allow_origins": ["https://app.example"]}}, 200),
    ):
        app = create_app(load_config(None, supergraph=SUPERGRAPH, **settings))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            response = await client.options("/graphql", headers=preflight)
        assert response.status_code == status
        if status == 200:
            assert response.headers["access-control-allow-origin"] == "https://app.example"
            assert response.headers["access-control-max-age"] == "600"
