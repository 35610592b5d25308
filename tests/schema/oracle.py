"""Run Apollo's composition (tests/oracle) on subgraph sets; normalise supergraphs to compare."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from graphql import Node, parse, print_ast

ORACLE = Path(__file__).resolve().parents[1] / "oracle"


class Service(TypedDict):
    name: str
    url: str
    sdl: str


def oracle_available() -> bool:
    return shutil.which("node") is not None and (ORACLE / "node_modules" / "@apollo").is_dir()


def compose_many(cases: Mapping[str, Sequence[Service]]) -> dict[str, dict[str, Any]]:
    """Apollo's result per case: {"supergraphSdl": ...} or {"errors": [{"code", "message"}]}."""
    completed = subprocess.run(
        ["node", str(ORACLE / "compose_many.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    results: dict[str, dict[str, Any]] = json.loads(completed.stdout)
    return results


def _normalise(node: Any) -> Any:
    if isinstance(node, Node):
        values = {key: _normalise(getattr(node, key)) for key in node.keys if key != "loc"}
        return type(node)(**values)
    if isinstance(node, list | tuple):
        items = [_normalise(item) for item in node]
        if items and all(isinstance(item, Node) for item in items):
            items.sort(key=print_ast)
        return tuple(items)
    return node


def normalise(sdl: str) -> str:
    """The SDL with definitions, fields, values, members, directives and arguments sorted."""
    document = parse(sdl, no_location=True)
    return print_ast(_normalise(document))
