"""SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES: a shared abstract field must share a runtime type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from schema.errors import CompositionError, error
from schema.satisfiability.engine import Engine
from schema.satisfiability.extract import Extracted
from schema.satisfiability.reasons import subgraph_names
from schema.satisfiability.state import PathState
from schema.satisfiability.witness import SuperStep, operation
from schema.supergraph import sort_key

if TYPE_CHECKING:
    Option = tuple[PathState, tuple[tuple[str, str], ...]]


def _shareable(supergraph: Extracted, parent: str, name: str) -> bool:
    t = supergraph.types[parent]
    f = t.field(name)
    if t.kind != "OBJECT" or f is None:
        return False
    return t.graphs > 1 if f.resolving_joins < 0 else f.resolving_joins > 1


def _names(types: Sequence[str]) -> str:
    quoted = [f'"{t}"' for t in types]
    joined = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return ("types " if len(types) > 1 else "type ") + joined


def mismatched_runtime_types(
    engine: Engine, kind: str, path: Sequence[SuperStep], options: Sequence[Option]
) -> CompositionError | None:
    """The error when the subgraphs resolving a shared field have no runtime type in common."""
    s = path[-1]
    supergraph = engine.supergraph
    graph = engine.graph
    if (
        len(options) <= 1
        or s.step.kind != "field"
        or supergraph.kind(s.target) not in ("INTERFACE", "UNION")
        or not _shareable(supergraph, s.step.parent, s.step.name)
    ):
        return None
    abstract = [
        o
        for o, _ in options
        if (t := graph.subgraph(graph.vertex(o.vertex)).type(graph.vertex(o.vertex).type))
        is not None
        and t.kind in ("INTERFACE", "UNION")
    ]
    if len(abstract) <= 1:
        return None
    all_types = sorted(supergraph.api_possible(s.target), key=sort_key)
    common: list[str] = list(all_types)
    by_types: dict[str, list[str]] = {}
    all_empty = True
    for o, _ in options:
        source = graph.vertex(o.vertex).source
        names = sorted(o.runtime, key=sort_key)
        if len(names) == 1 and names[0] not in all_types:
            continue
        label = "no runtime type is defined"
        if names:
            label = _names(names)
            all_empty = False
        subgraphs = by_types.setdefault(label, [])
        if source not in subgraphs:
            subgraphs.append(source)
        common = [t for t in common if t in names]
    if all_empty or common:
        return None
    f = supergraph.types[s.step.parent].field(s.step.name)
    assert f is not None
    coordinate = f"{s.step.parent}.{s.step.name}"
    lines = ";\n".join(f" - in {subgraph_names(subs)}, {ts}" for ts, subs in by_types.items())
    message = (
        f"For the following supergraph API query:\n{operation(supergraph, kind, path)}"
        f'\nShared field "{coordinate}" return type "{f.type}" has a non-intersecting set of '
        "possible runtime types across subgraphs. Runtime types in subgraphs are:"
        f"\n{lines}."
        "\nThis is not allowed as shared fields must resolve the same way in all subgraphs, and "
        "that implies at least some common runtime types between the subgraphs."
    )
    involved = tuple(dict.fromkeys(graph.vertex(o.vertex).source for o, _ in options))
    return error("SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES", message, involved, coordinate)
