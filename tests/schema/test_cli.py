"""`switchboard compose` and its bad inputs: one clear line each, non-zero, no partial output."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from switchboard.cli import main

HEADER = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
GOOD_A = HEADER + 'type Query { p: P }\ntype P @key(fields: "id") { id: ID! name: String }\n'
GOOD_B = HEADER + 'type P @key(fields: "id") { id: ID! price: Int }\n'


def run(*argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    assert isinstance(code, int)
    return code


def write_config(tmp_path: Path, entries: dict[str, str]) -> Path:
    lines = ["federation_version: =2.3.0", "subgraphs:"]
    for name, schema in entries.items():
        lines += [f"  {name}:", f"    routing_url: http://{name}.example/graphql", "    schema:"]
        lines.append(f"      {schema}")
    config = tmp_path / "supergraph.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "a.graphql").write_text(GOOD_A)
    (tmp_path / "b.graphql").write_text(GOOD_B)
    return tmp_path


def compose_fails(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    output = tmp_path / "out" / "supergraph.graphql"
    output.parent.mkdir(exist_ok=True)
    output.write_text("previous\n")
    assert run("compose", "--config", str(config), "--output", str(output)) != 0
    assert output.read_text() == "previous\n"
    assert [p.name for p in output.parent.iterdir()] == ["supergraph.graphql"]
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_compose_writes_the_supergraph(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(files, {"a": "file: a.graphql", "b": "file: b.graphql"})
    output = files / "supergraph.graphql"
    assert run("compose", "--config", str(config), "--output", str(output)) == 0
    text = output.read_text()
    assert '@join__graph(name: "a", url: "http://a.example/graphql")' in text
    assert "price: Int @join__field(graph: B)" in text
    assert capsys.readouterr().out.strip() == f"wrote {output}"


def test_invalid_sdl(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "b.graphql").write_text(HEADER + 'type P @key(fields: "id") { id: ID!')
    err = compose_fails(
        files, write_config(files, {"a": "file: a.graphql", "b": "file: b.graphql"}), capsys
    )
    lines = err.strip().splitlines()
    assert lines[0].startswith("switchboard compose: error: INVALID_GRAPHQL [b]")
    assert "Syntax Error" in lines[0]
    assert lines[-1] == "switchboard compose: composition failed with 1 error(s)"


def test_composition_errors_name_code_subgraphs_and_coordinate(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (files / "b.graphql").write_text(
        HEADER + 'type P @key(fields: "id") { id: ID! name: String }\n'
    )
    err = compose_fails(
        files, write_config(files, {"a": "file: a.graphql", "b": "file: b.graphql"}), capsys
    )
    first = err.splitlines()[0]
    assert first.startswith("switchboard compose: error: INVALID_FIELD_SHARING [a, b] at P.name: ")


def test_missing_file(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = compose_fails(
        files, write_config(files, {"a": "file: a.graphql", "b": "file: nope.graphql"}), capsys
    )
    assert err.count("\n") == 1
    assert "subgraph 'b': cannot read" in err
    assert "nope.graphql" in err


def test_unsatisfiable_supergraph(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Composes as types and fields, but P.price is only reachable where P has no key."""
    header = HEADER.replace('["@key"]', '["@key", "@shareable"]')
    (files / "b.graphql").write_text(
        header + "type Query { cheap: P }\ntype P @shareable { id: ID! price: Int }\n"
    )
    (files / "a.graphql").write_text(
        header + "type Query { p: P }\ntype P @shareable { id: ID! }\n"
    )
    config = write_config(files, {"a": "file: a.graphql", "b": "file: b.graphql"})
    err = compose_fails(files, config, capsys)
    first = err.splitlines()[0]
    assert first.startswith("switchboard compose: error: SATISFIABILITY_ERROR [a] at P.price: ")
    assert "{ p { price } } cannot be satisfied by the subgraphs because:" in first
    assert 'type "P" has no @key defined in subgraph "b"' in first


def test_bad_yaml(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = files / "supergraph.yaml"
    config.write_text("subgraphs:\n  a: [unclosed\n")
    err = compose_fails(files, config, capsys)
    assert err.count("\n") == 1
    assert "is not valid YAML (line" in err


def test_config_without_subgraphs(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = files / "supergraph.yaml"
    config.write_text("federation_version: 2\n")
    err = compose_fails(files, config, capsys)
    assert "expected a mapping with a 'subgraphs' mapping" in err


def test_missing_config(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = compose_fails(files, files / "absent.yaml", capsys)
    assert err.count("\n") == 1
    assert "cannot read" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_unreachable_subgraph_url(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"
    config = write_config(files, {"a": "file: a.graphql", "b": f"subgraph_url: {url}"})
    err = compose_fails(files, config, capsys)
    assert err.count("\n") == 1
    assert f"subgraph 'b': cannot reach {url}: ConnectError" in err


class _Garbage(http.server.BaseHTTPRequestHandler):
    body = b"<html>definitely not GraphQL</html>"

    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        del args


@pytest.fixture
def garbage_url() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    server.shutdown()
    server.server_close()


def test_subgraph_answering_garbage(
    files: Path, garbage_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(files, {"a": "file: a.graphql", "b": f"subgraph_url: {garbage_url}"})
    err = compose_fails(files, config, capsys)
    assert err.count("\n") == 1
    assert "did not answer { _service { sdl } } with data._service.sdl" in err
