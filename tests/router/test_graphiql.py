"""GraphiQL in process: when the page is served, its assets, their safety and its examples."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import orjson
import pytest
from graphql import build_schema, parse
from starlette.types import Message

from router.config import load_config
from router.planner import plan_operation, plan_to_json
from router.server.app import create_app
from router.server.graphiql import assets, wants_html
from router.server.graphiql.examples import Example, load_examples
from router.server.graphiql.page import render_page
from router.supergraph import load_supergraph

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PREFLIGHT = {"apollo-require-preflight": "true"}  # a GET that CSRF prevention lets through
DEMO_SUBGRAPHS = {"customers", "orders", "invoices", "subscriptions"}


@asynccontextmanager
async def client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(load_config(None, supergraph=SUPERGRAPH, **settings))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://router") as http,
    ):
        yield http


async def get_page(**settings: Any) -> httpx.Response:
    async with client(**settings) as http:
        return await http.get("/graphql", headers={"accept": BROWSER_ACCEPT})  # no preflight header


def page_settings(html: str) -> dict[str, Any]:
    found = re.search(r'id="switchboard-graphiql-settings">(.*?)</script>', html, re.S)
    assert found is not None
    settings: dict[str, Any] = orjson.loads(found.group(1))
    return settings


async def test_dev_mode_serves_graphiql_from_the_router_only() -> None:
    response = await get_page(dev=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    links = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert links
    assert all(link.startswith("graphiql/assets/") or link == "data:," for link in links), links
    settings = page_settings(response.text)
    assert settings["exposePlan"] is True
    assert set(settings["subgraphs"]) == DEMO_SUBGRAPHS


@pytest.mark.parametrize(
    ("settings", "served"),
    [
        ({"dev": True}, True),
        ({"dev": False}, False),
        ({"dev": True, "graphiql": False}, False),
        ({"dev": False, "graphiql": True}, True),
    ],
)
async def test_graphiql_setting_defaults_to_the_mode(
    settings: dict[str, Any], served: bool
) -> None:
    response = await get_page(**settings)
    if served:
        assert response.headers["content-type"].startswith("text/html")
        assert page_settings(response.text)["exposePlan"] is settings["dev"]
    else:  # the ordinary answer to a browser's GET: no preflight header, so CSRF refuses it
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_ERROR"
    async with client(**settings) as http:
        asset = await http.get("/graphiql/assets/switchboard-graphiql.js")
    assert asset.status_code == (200 if served else 404)


async def test_graphql_clients_still_get_json() -> None:
    async with client(dev=True) as http:
        got = await http.get("/graphql", params={"query": "{ __typename }"}, headers=PREFLIGHT)
        posted = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/html"}
        )
    assert got.json() == {"data": {"__typename": "Query"}}
    assert posted.status_code == 406  # POST is never the page, whatever Accept says


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("application/json, text/html;q=0.9", False),
        ("text/html;q=0.5, application/graphql-response+json;q=0.4", True),
        ("text/html, application/json", False),  # a tie goes to the API
        ("*/*", False),
        ("application/json", False),
        ("text/html;q=0", False),
        ("text/html;q=nonsense", False),
        (None, False),
    ],
)
def test_wants_html(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


async def test_every_asset_is_installed_and_served_with_its_type() -> None:
    missing = assets.missing_assets()
    assert not missing, f"{missing}: run `make install` (npm ci in router/server/graphiql)"
    async with client(dev=True) as http:
        for name, asset in assets.ASSETS.items():
            response = await http.get(f"/graphiql/assets/{name}")
            assert response.status_code == 200, name
            assert response.headers["content-type"] == asset.media_type
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.content == asset.path.read_bytes()


async def raw_get(raw_path: bytes) -> tuple[int, bytes]:
    """GET a path exactly as written (HTTP clients would normalise the dot segments away)."""
    app = create_app(load_config(None, supergraph=SUPERGRAPH, dev=True))
    path, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path.decode("latin-1")),  # as uvicorn does: decoded, not normalised
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"router")],
        "server": ("router", 80),
        "client": ("127.0.0.1", 1234),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.parametrize(
    "path",
    [
        b"/graphiql/assets/../../config.py",
        b"/graphiql/assets/..%2F..%2F..%2Fconfig.py",
        b"/graphiql/assets/%2e%2e%2f%2e%2e%2fapp.py",
        b"/graphiql/assets/..",
        b"/graphiql/assets/.",
        b"/graphiql/assets/assets.py",
        b"/graphiql/assets/package.json",
        b"/graphiql/assets/node_modules",
        b"/graphiql/assets/graphiql%2Fgraphiql.min.js",
        b"/graphiql/assets/react%2Fpackage.json",
        b"/graphiql/assets/%2Fetc%2Fpasswd",
        b"/graphiql/assets/%00",
        b"/graphiql/assets/graphiql.min.js%00.py",
    ],
)
async def test_asset_names_cannot_reach_other_files(path: bytes) -> None:
    status, body = await raw_get(path)
    assert status == 404
    assert len(body) < 200  # a short "not found", never a file's contents


async def test_missing_assets_ask_for_make_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = assets.Asset(tmp_path / "nothing-here.js", assets.JS)
    monkeypatch.setitem(assets.ASSETS, "graphiql.min.js", gone)
    page = await get_page(dev=True)
    assert page.status_code == 503
    assert "make install" in page.text
    assert "graphiql.min.js" in page.text
    async with client(dev=True) as http:
        asset = await http.get("/graphiql/assets/graphiql.min.js")
        api = await http.get("/graphql", params={"query": "{ __typename }"}, headers=PREFLIGHT)
    assert asset.status_code == 404
    assert "make install" in asset.text
    assert api.json() == {"data": {"__typename": "Query"}}


def test_examples_fit_the_demo_supergraph_and_one_crosses_all_subgraphs() -> None:
    supergraph = load_supergraph(SUPERGRAPH.read_text())
    examples = load_examples(supergraph.api_schema)
    assert [e.name for e in examples] == [
        "1-across-all-subgraphs",
        "2-customers",
        "3-orders",
        "4-invoices",
        "5-subscriptions",
    ]
    services = [
        _services(plan_to_json(plan_operation(supergraph, parse(e.query)))) for e in examples
    ]
    assert services[0] == DEMO_SUBGRAPHS
    assert services[1:] == [{"customers"}, {"orders"}, {"invoices"}, {"subscriptions"}]


def _services(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["serviceName"]} if node.get("kind") == "Fetch" else set()
        return found.union(*(_services(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_services(value) for value in node))
    return set()


def test_a_foreign_supergraph_gets_a_welcome_tab_instead() -> None:
    schema = build_schema("type Query { hello: String }")
    assert [e.name for e in load_examples(schema)] == ["welcome"]


def test_examples_cannot_close_the_settings_script() -> None:
    sneaky = Example("x", "# </script><script>alert(1)</script>\n{ __typename }")
    html = render_page([sneaky], ["a"], expose_plan=True)
    assert "<script>alert(1)" not in html
    assert page_settings(html)["tabs"] == [{"query": sneaky.query}]
