"""Router plugins against a real router process and real subgraphs: every hook, in order."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.conftest import Stack, start_router, subgraph_urls
from tests.e2e.echo_subgraph import EchoServer, start_echo, supergraph_sdl
from tests.support.processes import ROOT, ServiceProcess, free_port, start_service

PLUGINS = "tests.e2e.plugins_under_test"
DOCS = ROOT / "docs" / "plugins.md"
CUSTOMER_ORDERS = "query CustomerOrders { customers(first: 1) { nodes { name orders(first: 1) { nodes { id } } } } }"  # noqa: E501


@pytest.fixture(scope="module")
def router(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    plugins = [
        {"module": f"{PLUGINS}:Recorder", "name": "first", "config": {"label": "a"}},
        {"module": f"{PLUGINS}:Recorder", "name": "second", "config": {"label": "b"}},
        {"module": f"{PLUGINS}:Gatekeeper"},
        {"module": f"{PLUGINS}:Raiser", "name": "raiser"},
        {"module": f"{PLUGINS}:Hold"},
        {"module": "tests.e2e.plugin_module", "config": {"header": "x-from-module"}},
    ]
    tmp = tmp_path_factory.mktemp("plugins")
    process = start_router(tmp, subgraph_urls(stack.subgraphs), settings={"plugins": plugins})
    yield process
    process.stop()


def post(
    router: ServiceProcess, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return router.client.post(f"{router.url}/graphql", json={"query": query}, headers=headers or {})


def test_hooks_run_in_stage_order_and_plugin_order(router: ServiceProcess) -> None:
    response = post(router, CUSTOMER_ORDERS)
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["customers"]["nodes"][0]["name"]
    trace = body["extensions"]["trace"]
    assert trace[:6] == [
        "a:on_request",
        "b:on_request",
        "a:on_operation:CustomerOrders",
        "b:on_operation:CustomerOrders",
        "a:on_plan",
        "b:on_plan",
    ]
    # customers first, then orders: each fetch's request hooks, then its response hooks
    assert trace[6:14] == [
        "a:on_subgraph_request:customers",
        "b:on_subgraph_request:customers",
        "a:on_subgraph_response:customers:200",
        "b:on_subgraph_response:customers:200",
        "a:on_subgraph_request:orders",
        "b:on_subgraph_request:orders",
        "a:on_subgraph_response:orders:200",
        "b:on_subgraph_response:orders:200",
    ]
    assert trace[14:] == ["a:on_response", "b:on_response"]
    assert response.headers["x-a"] == response.headers["x-b"] == "seen"
    assert response.headers["x-from-module"] == "module"


@pytest.mark.parametrize(
    ("hook", "status", "code"),
    [("on_request", 401, "NO_ENTRY"), ("on_operation", 403, "REQUEST_REJECTED")],
)
def test_a_rejection_stops_the_request_with_the_plugins_code(
    router: ServiceProcess, hook: str, status: int, code: str
) -> None:
    response = post(router, "{ plans { code } }", {"x-reject": hook})
    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


def test_a_rejected_fetch_fails_only_its_fields(router: ServiceProcess) -> None:
    query = "{ orders(first: 1) { nodes { id invoice { number } } } }"
    body = post(router, query, {"x-reject": "invoices"}).json()
    order = body["data"]["orders"]["nodes"][0]
    assert order["id"]
    assert order["invoice"] is None  # nullable: the rest of the response stays
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "FETCH_REFUSED", "serviceName": "invoices"}
    assert error["path"] == ["orders", "nodes", 0]  # the entity the fetch was for


def test_an_operation_can_be_rewritten(router: ServiceProcess) -> None:
    body = post(router, "query Rewrite { plans { name } }").json()
    assert "errors" not in body, body
    assert set(body["data"]["plans"][0]) == {"code"}  # the rewritten selection


@pytest.mark.parametrize("hook", ["on_request", "on_operation", "on_response"])
def test_a_raising_plugin_is_a_clean_500_logged_once(router: ServiceProcess, hook: str) -> None:
    before = router.log().count(f"plugin raiser failed in {hook}")
    response = post(router, "{ plans { code } }", {"x-raise": hook})
    assert response.status_code == 500
    body = response.json()
    assert body == {
        "errors": [
            {
                "message": "The router plugin 'raiser' failed.",
                "extensions": {"code": "PLUGIN_FAILED"},
            }
        ]
    }
    assert "secret internals" not in response.text
    log = router.log()
    assert log.count(f"plugin raiser failed in {hook}") == before + 1
    assert f"RuntimeError: secret internals of {hook}" in log
    assert post(router, "{ plans { code } }").status_code == 200  # the router serves on


def test_a_plugin_raising_in_a_subgraph_hook_fails_the_fetch(router: ServiceProcess) -> None:
    body = post(router, "{ plans { code } }", {"x-raise": "on_subgraph_request"}).json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PLUGIN_FAILED"]
    assert body["errors"][0]["path"] == ["plans"]


def test_a_slow_hook_delays_only_its_own_request(router: ServiceProcess) -> None:
    """The held request finishes only after another request was answered meanwhile."""
    held: dict[str, Any] = {}

    def send_held() -> None:
        with httpx.Client(timeout=60) as client:
            held["response"] = client.post(
                f"{router.url}/graphql", json={"query": "{ plans { code } }"},
                headers={"x-hold": "k1"},
            )  # fmt: skip

    thread = threading.Thread(target=send_held)
    thread.start()
    try:
        health = router.client.get(f"{router.url}/health")
        other = post(router, "{ plans { code } }", {"x-release": "k1"})
    finally:
        thread.join(timeout=60)
    assert health.status_code == 200
    assert other.json()["extensions"]["held"] is False
    assert held["response"].json()["extensions"]["held"] is True


# Configuration errors ---------------------------------------------------------------------


def run_router_expecting_failure(tmp: Path, plugins: list[dict[str, Any]]) -> str:
    config = tmp / "router.yaml"
    config.write_text(yaml.safe_dump({"dev": False, "plugins": plugins}, sort_keys=False))
    result = subprocess.run(
        [sys.executable, "-m", "switchboard", "router", "--config", str(config), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("plugins", "expected"),
    [
        (
            [{"module": f"{PLUGINS}:Strict", "config": {"limit": "many"}}],
            r"router\.yaml:5: plugins\[0\]\.config\.limit: Input should be a valid integer",
        ),
        (
            [{"module": f"{PLUGINS}:Strict", "config": {"limit": 1, "extra": 2}}],
            r"router\.yaml:6: plugins\[0\]\.config\.extra: unknown key",
        ),
        (
            [{"module": f"{PLUGINS}:Hold"}, {"module": "nope.missing:Plugin"}],
            r"router\.yaml:4: plugins\[1\]\.module: cannot import 'nope\.missing'",
        ),
        (
            [{"module": f"{PLUGINS}:SyncHook"}],
            r"router\.yaml:3: plugins\[0\]\.module: .*on_request must be `async def`",
        ),
        (
            [{"module": f"{PLUGINS}:Gatekeeper", "config": {"x": 1}}],
            r"router\.yaml:4: plugins\[0\]\.config: .*takes no config",
        ),
        (
            [{"module": f"{PLUGINS}:describe"}],
            r"plugins\[0\]\.module: .*neither a Plugin subclass nor a module",
        ),
        ([{"module": "not a module"}], r"plugins\[0\]\.module: 'not a module' is not"),
    ],
)
def test_plugin_config_errors_name_the_file_and_line(
    tmp_path: Path, plugins: list[dict[str, Any]], expected: str
) -> None:
    line = run_router_expecting_failure(tmp_path, plugins)
    assert re.search(expected, line), line


# The worked example of docs/plugins.md, run as written -----------------------------------


def docs_blocks(marker: str) -> str:
    text = DOCS.read_text()
    match = re.search(rf"<!-- plugins: {marker} -->\n```\w+\n(.*?)```", text, re.S)
    assert match, marker
    return match.group(1)


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoServer]:
    server = start_echo(tmp_path_factory.mktemp("plugins-echo"), slow_seconds=0.1)
    yield server
    server.stop()


def test_the_documented_example_works_as_written(tmp_path: Path, echo: EchoServer) -> None:
    package = tmp_path / "myco"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugins.py").write_text(docs_blocks("example"))
    config = tmp_path / "router.yaml"
    config.write_text(docs_blocks("config"))
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(echo.url, {"alpha": ["alphaHeaders"]}))
    port = free_port()
    router = start_service(
        ["router", "--config", str(config), "--supergraph", str(supergraph), "--port", str(port)],
        name="router",
        port=port,
        log_dir=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}"},
    )
    try:
        anonymous = post(router, "{ alphaHeaders }").json()
        assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["OPERATION_NAME_REQUIRED"]
        named = post(router, "query Headers { alphaHeaders }").json()
        assert json.loads(named["data"]["alphaHeaders"])["x-caller"] == "switchboard"
    finally:
        router.stop()
