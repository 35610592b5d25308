"""Advance a subgraph path with one step of a supergraph path: directly, or after key jumps."""

from __future__ import annotations

from dataclasses import replace

import schema.satisfiability.conditions as conditions
from schema.satisfiability import reasons
from schema.satisfiability.engine import Engine, Hops
from schema.satisfiability.graph import COLLECTING, ROOT_SOURCE, Edge, QueryGraph
from schema.satisfiability.selections import Sel, Selection
from schema.satisfiability.state import (
    DeadEnds,
    PathState,
    Reason,
    Step,
    Trigger,
    add,
    next_edges,
    replaces_last,
)

Overrides = frozenset[tuple[str, bool]]


def _override_ok(condition: tuple[str, bool], overrides: Overrides) -> bool:
    return condition in overrides


def _matches(edge: Edge, step: Step) -> bool:
    if step.kind == "field":
        return edge.kind == "field" and edge.name == step.name
    return edge.kind in ("cast", "fake") and edge.name == step.name


def direct(
    engine: Engine, state: PathState, step: Step, overrides: Overrides
) -> list[PathState] | DeadEnds:
    """Apollo's advancePathWithDirectTransition."""
    graph = engine.graph
    v = graph.vertex(state.vertex)
    t = graph.subgraph(v).type(v.type) if v.source != ROOT_SOURCE else None
    if (
        step.kind == "field"
        and step.parent != v.type
        and t is not None
        and t.composite
        and not t.interface_object
    ):
        cast = direct(engine, state, Step("cast", v.type, step.parent), overrides)
        if isinstance(cast, DeadEnds) or len(cast) != 1:
            return DeadEnds((lambda: [reasons.no_transition(graph, state, step)],))
        state = cast[0]
    if step.kind == "cast" and step.name == graph.vertex(state.vertex).type:
        return [state]
    options: list[PathState] = []
    dead: list[reasons.Closure] = []
    for edge in graph.matching(state.vertex, step.kind, step.name):
        if edge.override is not None and not _override_ok(edge.override, overrides):
            dead.append(reasons.override(graph, edge, overrides))
            continue
        resolution = conditions.can_satisfy(engine, state, edge, frozenset(), ())
        if resolution.ok:
            options.append(add(graph, state, edge, step, engine.relevant, resolution.cost))
        else:
            dead.append(reasons.unsatisfied_edge(graph, edge, resolution))
    if options:
        return options
    return DeadEnds((reasons.or_no_transition(graph, state, step, dead),))


def indirect(
    engine: Engine,
    state: PathState,
    excluded: frozenset[str] = frozenset(),
    excluded_conditions: tuple[Selection, ...] = (),
    overrides: Overrides = frozenset(),
) -> tuple[list[PathState], DeadEnds]:
    """Paths after key and root-type jumps to other subgraphs (one per subgraph)."""
    last = state.last
    key = (
        state.vertex,
        last.kind if last is not None else None,
        last.conditions if last is not None and last.kind == "key" else None,
        state.top,
        state.fake_after_enter,
        state.entering,
        state.since,
        excluded,
        excluded_conditions,
        overrides,
    )
    hops = engine.hops.get(key)
    if hops is None:
        start = replace(state, trail=()) if state.trail else state
        hops = _Hops(engine, start, excluded, excluded_conditions, overrides).run()
        engine.hops[key] = hops
    if not state.trail:
        return list(hops[0]), hops[1]
    return [replace(p, trail=state.trail) for p in hops[0]], hops[1]


class _Hops:
    """Apollo's advancePathWithNonCollectingAndTypePreservingTransitions."""

    def __init__(
        self,
        engine: Engine,
        state: PathState,
        excluded: frozenset[str],
        excluded_conditions: tuple[Selection, ...],
        overrides: Overrides,
    ) -> None:
        self.engine = engine
        self.graph = engine.graph
        self.state = state
        self.excluded = excluded
        self.excluded_conditions = excluded_conditions
        self.overrides = overrides
        self.origin = self.graph.vertex(state.vertex).source
        self.best: dict[str, tuple[PathState, int, int] | None] = {}  # state, size, cost
        self.dead: list[reasons.Closure] = []

    def run(self) -> Hops:
        if self.state.fake_after_enter:
            return (), DeadEnds((reasons.ignored_after_fake_cast(self.graph, self.state),))
        to_try = [(self.state, 0)]
        while to_try:
            current = min(to_try, key=lambda p: p[1])
            to_try.remove(current)
            edges = [e for e in next_edges(self.graph, current[0]) if e.kind not in COLLECTING]
            if not edges:
                self._trivial_followups(current[0])
            for edge in edges:
                taken = self._try(current[0], current[1], edge)
                if taken is not None and edge.kind == "key":
                    to_try.append(taken)
        found = tuple(b[0] for b in self.best.values() if b is not None)
        return found, DeadEnds(tuple(self.dead))

    def _try(self, current: PathState, size: int, edge: Edge) -> tuple[PathState, int] | None:
        graph = self.graph
        target = graph.vertex(edge.tail).source
        if target in self.excluded or target == self.origin:
            return None
        if self.state.top and edge.kind in ("root", "key"):
            return None
        if target in self.best and self.best[target] is None:
            return None
        previous = self.best.get(target)
        if previous is not None and (
            previous[1] < size + 1 or (previous[1] == size + 1 and previous[2] <= 1)
        ):
            return None
        if edge.conditions is not None and edge.conditions in self.excluded_conditions:
            return None
        resolution = conditions.can_satisfy(
            self.engine, current, edge, self.excluded | {target}, self.excluded_conditions
        )
        if not resolution.ok:
            self.dead.append(reasons.unsatisfied_key(graph, current, edge))
            return None
        if previous is not None and previous[1] == size + 1 and previous[2] <= resolution.cost:
            return None
        if self._detour(current, edge, resolution.cost):
            self.best[target] = None
            self.dead.append(reasons.ignored_detour(graph, current, edge))
            return None
        taken = add(graph, current, edge, None, self.engine.relevant, resolution.cost)
        taken_size = size if replaces_last(graph, current, edge) else size + 1
        self.best[target] = (taken, taken_size, resolution.cost)
        return taken, taken_size

    def _trivial_followups(self, current: PathState) -> None:
        graph, origin = self.graph, self.origin

        def closure() -> list[Reason]:
            source = graph.vertex(current.vertex).source
            return [
                r
                for e in graph.out[current.vertex]
                if e.kind not in COLLECTING and graph.vertex(e.tail).source not in (source, origin)
                for r in reasons.ignored_detour(graph, current, e)()
            ]

        self.dead.append(closure)

    def _detour(self, current: PathState, edge: Edge, cost: int) -> bool:
        """Whether the previous subgraph could have reached the target directly."""
        graph = self.graph
        entering = current.entering
        start_type = graph.vertex(self.state.vertex)
        type_name = None if start_type.source == ROOT_SOURCE else start_type.type
        if entering is None or graph.vertex(entering.edge.tail).type == type_name:
            return False
        if self.engine.has_contexts:
            return False
        target = graph.vertex(edge.tail)
        start: int | None = None
        if entering.edge.kind == "enter":
            kind = graph.vertex(entering.edge.head).root_kind
            if kind == "mutation":
                return False
            start = graph.canonical.get((target.source, graph.supergraph.roots[kind or "query"]))
            if start is None:
                return False
            back = True
        else:
            start = entering.edge.head
            back = graph.vertex(entering.edge.head).source == target.source
        previous = self._replay(current, start)
        if previous is None or graph.vertex(previous).type != target.type:
            return False
        if back:
            return True
        budget = entering.cost + cost
        return any(
            e.kind == "key"
            and graph.vertex(e.tail).source == target.source
            and e.conditions is not None
            and conditions.resolve(self.engine, e.head, e.conditions, frozenset(), ())
            and budget >= 1
            for e in graph.out[previous]
        )

    def _replay(self, current: PathState, vertex: int) -> int | None:
        """The vertex the same steps reach from ``vertex``; None if some step needs more."""
        for trigger in current.since:
            if isinstance(trigger, Sel) and trigger.field is None and trigger.condition is None:
                continue  # a fragment without type condition takes no edge
            edge = _edge_for(self.graph, vertex, trigger, self.overrides)
            if edge is None or edge.conditions is not None:
                return None
            vertex = edge.tail
        return vertex


def _edge_for(
    graph: QueryGraph, vertex: int, trigger: Trigger, overrides: Overrides
) -> Edge | None:
    """The edge out of ``vertex`` that ``trigger`` would take."""
    edges = graph.out[vertex]
    if isinstance(trigger, Step):
        return next(
            (
                e
                for e in edges
                if _matches(e, trigger)
                and (e.override is None or _override_ok(e.override, overrides))
            ),
            None,
        )
    if trigger.field is not None:
        return next(
            (
                e
                for e in edges
                if e.kind == "field" and e.name == trigger.field and e.override is None
            ),
            None,
        )
    return next((e for e in edges if e.kind == "cast" and e.name == trigger.condition), None)


def advance(
    engine: Engine, state: PathState, step: Step, target: str, overrides: Overrides
) -> list[PathState] | DeadEnds:
    """Apollo's advancePathWithTransition: [] when this path can never take the step.

    Memoised per (path state, step, override labels): a path state holds everything the
    rest of the path depends on."""
    key = (state, step, overrides)
    found = engine.advanced.get(key)
    if found is None:
        found = _advance(engine, state, step, target, overrides)
        engine.advanced[key] = found
    return found


def _advance(
    engine: Engine, state: PathState, step: Step, target: str, overrides: Overrides
) -> list[PathState] | DeadEnds:
    graph = engine.graph
    supergraph = engine.supergraph
    v = graph.vertex(state.vertex)
    if step.kind == "cast":
        t = graph.subgraph(v).type(v.type)
        from_interface = supergraph.kind(step.parent) == "INTERFACE"
        if not (from_interface and t is not None and t.kind == "OBJECT"):
            possible = supergraph.api_possible(target)
            if not any(r in possible for r in state.runtime):
                return []
    found = direct(engine, state, step, overrides)
    leaf = supergraph.kind(target) in ("SCALAR", "ENUM")
    if isinstance(found, list) and found and leaf:
        return found
    options = found if isinstance(found, list) else []
    dead = list(found.closures) if isinstance(found, DeadEnds) else []
    jumps, jump_dead = indirect(engine, state, overrides=overrides)
    for jump in jumps:
        result = direct(engine, jump, step, overrides)
        if isinstance(result, DeadEnds):
            dead.extend(result.closures)
        else:
            options.extend(result)
    if options:
        return options
    return DeadEnds((reasons.unreachable(graph, state, step, [*dead, *jump_dead.closures]),))
