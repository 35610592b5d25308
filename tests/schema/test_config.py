"""supergraph.yaml parsing and subgraph SDL fetching (file, inline, live `_service { sdl }`)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from schema.cli import write_atomically
from schema.config import fetch_sources, load_config
from schema.errors import CompositionError, ConfigError, SubgraphFetchError
from tests.schema.test_cli import GOOD_A

REPO = Path(__file__).resolve().parents[2]


def test_repository_config_names_the_four_subgraphs() -> None:
    config = load_config(REPO / "schema" / "supergraph.yaml")
    assert [(s.name, s.routing_url) for s in config.subgraphs] == [
        ("customers", "http://127.0.0.1:4001/graphql"),
        ("orders", "http://127.0.0.1:4002/graphql"),
        ("invoices", "http://127.0.0.1:4003/graphql"),
        ("subscriptions", "http://127.0.0.1:4004/graphql"),
    ]
    assert all(
        s.file == REPO / "schema" / "subgraphs" / f"{s.name}.graphql" for s in config.subgraphs
    )


def test_inline_sdl_and_relative_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.graphql").write_text(GOOD_A)
    config = tmp_path / "supergraph.yaml"
    config.write_text(
        "subgraphs:\n"
        "  a: {routing_url: 'http://a', schema: {file: sub/a.graphql}}\n"
        "  b: {routing_url: 'http://b', schema: {sdl: 'type Query { b: Int }'}}\n"
    )
    sources = fetch_sources(load_config(config))
    assert [(s.name, s.url, s.sdl) for s in sources] == [
        ("a", "http://a", GOOD_A),
        ("b", "http://b", "type Query { b: Int }"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subgraphs: {}\n", "'subgraphs' is empty"),
        ("subgraphs:\n  a: {schema: {file: a.graphql}}\n", "subgraph 'a' needs a 'routing_url'"),
        ("subgraphs:\n  a: {routing_url: x}\n", "subgraph 'a' needs a 'schema' mapping"),
        ("subgraphs:\n  a: {routing_url: x, schema: {}}\n", "schema needs 'file', 'subgraph_url'"),
        ("- just\n- a list\n", "expected a mapping with a 'subgraphs' mapping"),
    ],
)
def test_invalid_configs(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(config)


class _Subgraph(http.server.BaseHTTPRequestHandler):
    status = 200
    body: bytes = json.dumps({"data": {"_service": {"sdl": GOOD_A}}}).encode()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        assert json.loads(self.rfile.read(length)) == {"query": "{ _service { sdl } }"}
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        del args


class _Failing(_Subgraph):
    status = 500


@pytest.fixture(params=[_Subgraph, _Failing], ids=["ok", "http-500"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    handler: type[_Subgraph] = request.param
    httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/graphql", handler.status
    httpd.shutdown()
    httpd.server_close()


def test_live_introspection(tmp_path: Path, server: tuple[str, int]) -> None:
    url, status = server
    config = tmp_path / "supergraph.yaml"
    config.write_text(f"subgraphs:\n  live:\n    schema:\n      subgraph_url: {url}\n")
    if status == 200:
        [source] = fetch_sources(load_config(config))
        assert (source.name, source.url, source.sdl) == ("live", url, GOOD_A)
    else:
        with pytest.raises(SubgraphFetchError, match=f"subgraph 'live': {url} answered HTTP 500"):
            fetch_sources(load_config(config))


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "supergraph.graphql"
    write_atomically(target, "one\n")
    write_atomically(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in target.parent.iterdir()] == ["supergraph.graphql"]


def test_errors_print_as_one_line() -> None:
    e = CompositionError("FIELD_TYPE_MISMATCH", "Type of field\n  spans lines", ("a", "b"), "T.f")
    assert str(e) == "FIELD_TYPE_MISMATCH [a, b] at T.f: Type of field spans lines"
