"""Why a subgraph path cannot take a step, worded as Apollo's composition words it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from schema.satisfiability.graph import COLLECTING, ROOT_SOURCE, Edge, QueryGraph, Vertex
from schema.satisfiability.selections import selection_text
from schema.satisfiability.state import PathState, Reason, next_edges

if TYPE_CHECKING:
    from schema.satisfiability.advance import Overrides
    from schema.satisfiability.engine import Resolution
    from schema.satisfiability.state import Step

Closure = Callable[[], list[Reason]]


def _show(v: Vertex) -> str:
    label = f"{v.type}({v.source})"
    return f"{label}-{v.provide_id}" if v.provide_id else label


def no_transition(graph: QueryGraph, state: PathState, step: Step) -> Reason:
    """Nothing in this subgraph matches the step."""
    v = graph.vertex(state.vertex)
    subgraph = graph.subgraph(v)
    coordinate = f"{step.parent}.{step.name}"
    if step.kind != "field":
        details = f'cannot find type "{step.name}"'
    elif subgraph.type(step.parent) is None and v.type != step.parent:
        details = (
            f'cannot find implementation type "{step.parent}" (supergraph interface "{v.type}" '
            f'is declared with @interfaceObject in "{v.source}")'
        )
    else:
        f = subgraph.field(step.parent, step.name)
        if f is not None and f.overridden:
            by = [
                s.name
                for s in graph.supergraph.subgraphs
                if (other := s.field(step.parent, step.name)) is not None
                and other.override_from == v.source
            ]
            details = f'field "{coordinate}" is not resolvable because it is overridden by ' + (
                subgraph_names(by)
            )
        elif f is not None and f.external:
            details = f'field "{coordinate}" is not resolvable because marked @external'
        else:
            details = f'cannot find field "{coordinate}"'
    return Reason(v.source, v.source, details)


def subgraph_names(names: list[str]) -> str:
    """``subgraph "a"`` or ``subgraphs "a" and "b"``, as Apollo lists them."""
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def or_no_transition(
    graph: QueryGraph, state: PathState, step: Step, dead: list[Closure]
) -> Closure:
    def closure() -> list[Reason]:
        found = [r for c in dead for r in c()]
        return found or [no_transition(graph, state, step)]

    return closure


def override(graph: QueryGraph, edge: Edge, overrides: Overrides) -> Closure:
    def closure() -> list[Reason]:
        assert edge.override is not None
        label, condition = edge.override
        value = next((str(c).lower() for lbl, c in overrides if lbl == label), "undefined")
        head, tail = graph.vertex(edge.head), graph.vertex(edge.tail)
        shown = f"{_show(head)} -> {_show(tail)} ({label} = {str(condition).lower()} ⊢ {edge.name})"
        return [
            Reason(
                head.source,
                tail.source,
                f'Unable to take edge {shown} because override condition "{label}" is {value}',
            )
        ]

    return closure


def unsatisfied_edge(graph: QueryGraph, edge: Edge, resolution: Resolution) -> Closure:
    def closure() -> list[Reason]:
        head = graph.vertex(edge.head)
        if edge.kind == "fake":
            details = (
                f'@interfaceObject type "{head.type}" misses a resolvable key to resume query '
                "once the implementation type has been resolved"
                if resolution.reason == "NO_POST_REQUIRE_KEY"
                else "no subgraph can be reached to resolve the implementation type of "
                f'@interfaceObject type "{head.type}"'
            )
        else:
            coordinate = f"{head.type}.{edge.name}"
            if resolution.reason == "NO_POST_REQUIRE_KEY":
                details = (
                    f'@require condition on field "{coordinate}" can be satisfied but missing '
                    f'usable key on "{head.type}" in subgraph "{head.source}" to resume query'
                )
            elif resolution.reason == "NO_CONTEXT_SET":
                details = f'could not find a match for required context for field "{coordinate}"'
            else:
                details = f'cannot satisfy @require conditions on field "{coordinate}"' + (
                    _external_key_fields(graph, head)
                )
        return [Reason(head.source, head.source, details)]

    return closure


def _external_key_fields(graph: QueryGraph, v: Vertex) -> str:
    subgraph = graph.subgraph(v)
    t = subgraph.type(v.type)
    names: list[str] = []
    for key in t.keys if t is not None else ():
        for name in key.fields.replace("{", " { ").split():
            if subgraph.is_external(v.type, name) and name not in names:
                names.append(name)
    if not names:
        return ""
    plural = "field" if len(names) == 1 else "fields"
    printed = ", ".join(f'"{n}"' for n in names)
    return (
        f" (please ensure that this is not due to key {plural} {printed} being accidentally "
        "marked @external)"
    )


def unsatisfied_key(graph: QueryGraph, current: PathState, edge: Edge) -> Closure:
    def closure() -> list[Reason]:
        source = graph.vertex(current.vertex).source
        head, tail = graph.vertex(edge.head), graph.vertex(edge.tail)
        fields = selection_text(edge.conditions or ())
        subgraph = graph.supergraph.by_name(source)
        overridden = any(
            (f := subgraph.field(t, n)) is not None and f.overridden for t, n in _fields_of(edge)
        )
        extra = f' (note that some of those key fields are overridden in "{source}")'
        return [
            Reason(
                source,
                tail.source,
                f'cannot move to subgraph "{tail.source}" using @key(fields: "{fields}") of '
                f'"{head.type}", the key field(s) cannot be resolved from subgraph "{source}"'
                + (extra if overridden else ""),
            )
        ]

    return closure


def _fields_of(edge: Edge) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stack = list(edge.conditions or ())
    while stack:
        s = stack.pop()
        if s.field is not None:
            found.append((s.parent, s.field))
        stack.extend(s.children)
    return found


def ignored_detour(graph: QueryGraph, current: PathState, edge: Edge) -> Closure:
    def closure() -> list[Reason]:
        source = graph.vertex(current.vertex).source
        head, tail = graph.vertex(edge.head), graph.vertex(edge.tail)
        fields = selection_text(edge.conditions) if edge.conditions is not None else "undefined"
        return [
            Reason(
                source,
                tail.source,
                f'ignoring moving to subgraph "{tail.source}" using @key(fields: "{fields}") of '
                f'"{head.type}" because there is a more direct path in {tail.source} that avoids '
                f"{source} altogether",
            )
        ]

    return closure


def ignored_after_fake_cast(graph: QueryGraph, state: PathState) -> Closure:
    def closure() -> list[Reason]:
        source = graph.vertex(state.vertex).source
        targets: list[str] = []
        for e in next_edges(graph, state):
            target = graph.vertex(e.tail).source
            if e.kind not in COLLECTING and target != source and target not in targets:
                targets.append(target)
        return [
            Reason(
                source,
                t,
                f'ignoring moving from "{source}" to "{t}" as a more direct option exists',
            )
            for t in targets
        ]

    return closure


def unreachable(graph: QueryGraph, state: PathState, step: Step, dead: list[Closure]) -> Closure:
    """Every reason, plus the subgraphs that have the field but cannot be reached."""

    def closure() -> list[Reason]:
        found = [r for c in dead for r in c()]
        if step.kind != "field":
            return found
        v = graph.vertex(state.vertex)
        reached = {r.dest for r in found}
        for subgraph in graph.supergraph.subgraphs:
            t = subgraph.type(step.parent)
            if subgraph.name in reached or t is None or step.name not in t.fields:
                continue
            found.append(
                Reason(v.source, subgraph.name, _why_unreachable(graph, v, subgraph.name, step))
            )
        return found

    return closure


def _why_unreachable(graph: QueryGraph, v: Vertex, name: str, step: Step) -> str:
    subgraph = graph.supergraph.by_name(name)
    head = f'cannot move to subgraph "{name}", which has field "{step.parent}.{step.name}", because'
    tail_type = subgraph.type(v.type) if v.source != ROOT_SOURCE else None
    if tail_type is None:
        return (
            f'{head} interface "{v.type}" is not defined in this subgraph (to jump to "{name}", '
            f'it would need to both define interface "{v.type}" and have a @key on it)'
        )
    kind = "type" if v.type == step.parent else "interface"
    if not tail_type.keys:
        return f'{head} {kind} "{v.type}" has no @key defined in subgraph "{name}"'
    if all(not k.resolvable for k in tail_type.keys):
        return (
            f'{head} none of the @key defined on {kind} "{v.type}" in subgraph "{name}" are '
            'resolvable (they are all declared with their "resolvable" argument set to false)'
        )
    return f'{head} {kind} "{v.type}" cannot be reached in subgraph "{name}"'
