"""The example operation and the wording of a satisfiability error, as Apollo prints them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from schema.model import base_name
from schema.satisfiability.extract import ArgDef, Extracted
from schema.satisfiability.state import Reason, Step

_SCALAR_VALUES = {
    "Int": "0",
    "Float": "3.14",
    "Boolean": "true",
    "String": json.dumps("A string value"),
    "ID": json.dumps("<any id>"),
}


@dataclass(frozen=True)
class SuperStep:
    """One edge of the supergraph API path: the step, its target type and field arguments."""

    step: Step
    target: str
    args: tuple[ArgDef, ...] = ()
    label: tuple[str, bool] | None = None


def operation(supergraph: Extracted, kind: str, path: Sequence[SuperStep]) -> str:
    """The operation that follows ``path`` from the ``kind`` root, printed like graphql-js."""
    body = _selection(supergraph, path, 0, "  ")
    prefix = "" if kind == "query" else kind + " "
    return f"{prefix}{{\n{body}\n}}"


def _selection(supergraph: Extracted, path: Sequence[SuperStep], index: int, indent: str) -> str:
    s = path[index]
    if s.step.kind == "cast":
        head = f"... on {s.step.name}"
    else:
        args = ", ".join(f"{a.name}: {_value(supergraph, a.type)}" for a in s.args)
        head = s.step.name + (f"({args})" if args else "")
    if index + 1 >= len(path):
        if supergraph.kind(s.target) in ("SCALAR", "ENUM"):
            return indent + head
        inner = indent + "  ..."  # Apollo's placeholder for the selection left to write
    else:
        inner = _selection(supergraph, path, index + 1, indent + "  ")
    return f"{indent}{head} {{\n{inner}\n{indent}}}"


def _value(supergraph: Extracted, type_ref: str, depth: int = 0) -> str:
    if type_ref.endswith("!"):
        return _value(supergraph, type_ref[:-1], depth)
    if type_ref.startswith("["):
        return "[]"
    name = base_name(type_ref)
    if name in _SCALAR_VALUES:
        return _SCALAR_VALUES[name]
    t = supergraph.types.get(name)
    if t is not None and t.kind == "ENUM" and t.values:
        return t.values[0]
    if t is not None and t.kind == "INPUT_OBJECT":
        if depth > 8:
            return "{}"
        required = [f for f in t.input_fields if f.type.endswith("!") and not f.has_default]
        fields = ", ".join(f"{f.name}: {_value(supergraph, f.type, depth + 1)}" for f in required)
        return "{" + fields + "}"
    return json.dumps("<some value>")


def display_reasons(reasons: Sequence[Reason]) -> str:
    """``- from subgraph "a": …`` lines, grouped by the subgraph the path was in."""
    by_source: dict[str, list[Reason]] = {}
    for r in reasons:
        by_source.setdefault(r.source, []).append(r)
    lines = []
    for source, found in by_source.items():
        line = f'- from subgraph "{source}":'
        if len(found) == 1:
            line += " " + found[0].details + "."
        else:
            for details in dict.fromkeys(r.details for r in found):
                line += "\n  - " + details + "."
        lines.append(line)
    return "\n".join(lines)


def satisfiability_message(
    supergraph: Extracted, kind: str, path: Sequence[SuperStep], reasons: Sequence[Reason]
) -> str:
    return (
        "The following supergraph API query:\n"
        + operation(supergraph, kind, path)
        + "\ncannot be satisfied by the subgraphs because:\n"
        + display_reasons(reasons)
    )
