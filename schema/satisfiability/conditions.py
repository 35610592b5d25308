"""Can an edge be taken: its @key fields, @requires fields and @fromContext selections."""

from __future__ import annotations

import schema.satisfiability.operations as operations
from schema.model import base_name
from schema.satisfiability.engine import (
    NO_CONDITIONS,
    UNSATISFIED,
    Engine,
    Resolution,
    context_matches,
)
from schema.satisfiability.graph import Edge, RequiredContext, locally_satisfiable_key
from schema.satisfiability.selections import BadSelection, FieldTypes, Selection, parse_selection
from schema.satisfiability.state import PathState, Sim, fresh

_MAX_DEPTH = 64


def can_satisfy(
    engine: Engine,
    state: PathState,
    edge: Edge,
    excluded: frozenset[str],
    excluded_conditions: tuple[Selection, ...],
) -> Resolution:
    """Apollo's canSatisfyConditions, with its simple (validation) condition resolver."""
    if edge.conditions is None and not edge.contexts:
        return NO_CONDITIONS
    graph = engine.graph
    cost = 0
    if edge.contexts:
        found = _contexts(engine, state, edge.contexts, excluded, excluded_conditions)
        if found is None:
            return Resolution(False, reason="NO_CONTEXT_SET")
        if not found:
            return UNSATISFIED
        if not locally_satisfiable_key(graph, graph.vertex(edge.head)):
            return Resolution(False, reason="NO_POST_REQUIRE_KEY")
        cost = len(edge.contexts)
        if edge.conditions is None:
            return Resolution(True, cost)
    assert edge.conditions is not None
    if not resolve(engine, edge.head, edge.conditions, excluded, excluded_conditions):
        return UNSATISFIED
    last = state.last
    if (
        edge.kind == "field"
        and last is not None
        and last.kind != "key"
        and not locally_satisfiable_key(graph, graph.vertex(edge.head))
    ):
        return Resolution(False, reason="NO_POST_REQUIRE_KEY")
    return Resolution(True, cost + 1)


def _contexts(
    engine: Engine,
    state: PathState,
    contexts: tuple[RequiredContext, ...],
    excluded: frozenset[str],
    excluded_conditions: tuple[Selection, ...],
) -> bool | None:
    """None: some context is not set on the path; else whether every selection resolves."""
    supergraph = engine.supergraph
    satisfied = True
    for c in contexts:
        match = next((t for t in state.trail if context_matches(supergraph, t[0], c.types)), None)
        if match is None:
            return None
        parent, head = match
        try:
            selection = parse_selection(c.selection, parent, _super_field_type(engine))
        except BadSelection:
            satisfied = False
            continue
        selection = tuple(
            s
            for s in selection
            if s.condition is None
            or supergraph.kind(s.condition) != "OBJECT"
            or s.condition in supergraph.possible(parent)
        )
        if satisfied:
            satisfied = _resolve(engine, head, selection, excluded, excluded_conditions)
    return satisfied


def _super_field_type(engine: Engine) -> FieldTypes:
    def lookup(parent: str, name: str) -> str | None:
        t = engine.supergraph.types.get(parent)
        f = t.field(name) if t is not None else None
        return base_name(f.type) if f is not None else None

    return lookup


def resolve(
    engine: Engine,
    head: int,
    selection: Selection,
    excluded: frozenset[str],
    excluded_conditions: tuple[Selection, ...],
) -> bool:
    """Whether every field of ``selection`` can be collected starting at vertex ``head``."""
    key = (head, selection, excluded, excluded_conditions)
    cached = engine.conditions.get(key)
    if cached is not None:
        return cached
    if key in engine.in_progress or engine.depth > _MAX_DEPTH:
        return False
    engine.in_progress.add(key)
    engine.depth += 1
    try:
        result = _resolve(engine, head, selection, excluded, excluded_conditions)
    finally:
        engine.depth -= 1
        engine.in_progress.discard(key)
    engine.conditions[key] = result
    return result


def _resolve(
    engine: Engine,
    head: int,
    selection: Selection,
    excluded: frozenset[str],
    excluded_conditions: tuple[Selection, ...],
) -> bool:
    initial = [Sim((fresh(engine.graph, head),), excluded, (*excluded_conditions, selection))]
    stack = [(s, initial) for s in selection]
    while stack:
        s, options = stack.pop()
        advanced: list[Sim] = []
        for option in options:
            found = operations.advance_sim(engine, option, s)
            if found is not None:
                advanced.extend(f for f in found if f not in advanced)
        if not advanced:
            return False
        stack.extend((child, advanced) for child in s.children)
    return True
