"""The error catalogue: one definition per code, a current reference, no stray code literals."""

from __future__ import annotations

import ast
from pathlib import Path

from router.errors import CATALOGUE, RouterError, graphql_error
from router.errors_docs import REFERENCE, render

ROUTER = Path(__file__).resolve().parents[2] / "router"


def test_error_reference_is_current() -> None:
    assert REFERENCE.read_text() == render(), "run `python -m router.errors_docs`"


def test_every_code_has_a_status_and_a_meaning() -> None:
    for code, entry in CATALOGUE.items():
        assert entry.code == code
        assert 200 <= entry.status < 600
        assert entry.meaning.endswith(".")
        assert entry.kind in ("http", "request", "field", "server")


def test_codes_are_written_only_in_the_catalogue() -> None:
    """A code spelled as a string literal elsewhere would drift from its definition."""
    stray = []
    for path in ROUTER.rglob("*.py"):
        if path.name == "errors.py" and path.parent == ROUTER:
            continue
        tree = ast.parse(path.read_text())
        exported = {
            id(item)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for item in ast.walk(node.value)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and node.value in CATALOGUE
                and id(node) not in exported
            ):
                stray.append(f"{path.relative_to(ROUTER)}:{node.lineno}: {node.value}")
    # the plugin API's default code is part of its signature, documented there
    assert stray == ["plugins/api.py:42: REQUEST_REJECTED"]


def test_graphql_error_shape() -> None:
    error = graphql_error(
        "nope",
        CATALOGUE["GRAPHQL_VALIDATION_FAILED"],
        locations=[{"line": 1, "column": 3}],
        path=["a", 0],
        service="orders",
        extensions={"code": "ignored", "hint": "x"},
    )
    assert error == {
        "message": "nope",
        "locations": [{"line": 1, "column": 3}],
        "path": ["a", 0],
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED", "hint": "x", "serviceName": "orders"},
    }


def test_request_errors_are_200_under_json_and_400_under_graphql_response_json() -> None:
    request_error = RouterError(CATALOGUE["GRAPHQL_PARSE_FAILED"], "x")
    http_error = RouterError(CATALOGUE["PAYLOAD_TOO_LARGE"], "x")
    assert (request_error.http_status(False), request_error.http_status(True)) == (200, 400)
    assert (http_error.http_status(False), http_error.http_status(True)) == (413, 413)
