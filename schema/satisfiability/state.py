"""A path in the query graph, reduced to what the next steps depend on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from schema.model import base_name
from schema.satisfiability.graph import ROOT_SOURCE, Edge, QueryGraph, Vertex
from schema.satisfiability.selections import Sel, Selection


@dataclass(frozen=True)
class Step:
    """A supergraph edge: field ``name`` of ``parent``, or a cast of ``parent`` to ``name``."""

    kind: str  # "field" | "cast"
    parent: str
    name: str


Trigger = Step | Sel  # what a path step was taken for: a supergraph step, a field-set element


@dataclass(frozen=True)
class Entering:
    """The edge that brought a path into its current subgraph, and its conditions' cost."""

    edge: Edge
    cost: int


@dataclass(frozen=True)
class PathState:
    """Where a subgraph path ends and what of its history still matters.

    ``runtime`` holds the object types the tail may be at runtime (in the tail's subgraph);
    ``trail`` the (field parent type, head vertex) of the latest field edges whose parent
    type may set a @context, most recent first; ``since`` the steps taken since
    ``entering`` brought the path into this subgraph (to recognise detours).
    """

    vertex: int
    runtime: tuple[str, ...]
    last: Edge | None = None
    top: bool = False
    entered_last: bool = False
    fake_after_enter: bool = False
    trail: tuple[tuple[str, int], ...] = ()
    entering: Entering | None = None
    since: tuple[Trigger, ...] = ()


@dataclass(frozen=True)
class Sim:
    """Paths followed together (an interface exploded into its implementations), with the
    subgraphs and conditions a condition check must not use again."""

    paths: tuple[PathState, ...]
    excluded: frozenset[str] = frozenset()
    excluded_conditions: tuple[Selection, ...] = ()


@dataclass(frozen=True)
class Reason:
    """Why one path cannot take a step (Apollo's "unadvanceable" reasons)."""

    source: str
    dest: str
    details: str


@dataclass(frozen=True)
class DeadEnds:
    """No option: the reasons, computed only when an error message needs them."""

    closures: tuple[Callable[[], list[Reason]], ...] = ()

    def reasons(self) -> list[Reason]:
        return [r for closure in self.closures for r in closure()]


def fresh(graph: QueryGraph, index: int) -> PathState:
    """A path starting at vertex ``index`` (condition checks start there)."""
    v = graph.vertex(index)
    if v.source == ROOT_SOURCE:
        return PathState(index, (), top=v.root_kind is not None)
    return PathState(index, graph.subgraph(v).possible(v.type))


def next_edges(graph: QueryGraph, state: PathState) -> list[Edge]:
    """Out edges, without the trivial follow-ups of the last edge (Apollo's pruning)."""
    edges = graph.out[state.vertex]
    last = state.last
    if last is None:
        return edges
    if last.kind == "key":
        return [e for e in edges if e.kind != "key" or e.conditions != last.conditions]
    if last.kind in ("root", "enter"):
        return [e for e in edges if e.kind != "root"]
    return edges


def add(
    graph: QueryGraph,
    state: PathState,
    edge: Edge,
    trigger: Trigger | None,
    relevant: frozenset[str],
    cost: int = 0,
) -> PathState:
    """``state`` followed by ``edge``, taken for ``trigger`` (None: a key or root jump)."""
    head, tail = graph.vertex(edge.head), graph.vertex(edge.tail)
    trail = state.trail
    parent = trigger.parent if edge.kind == "field" and trigger is not None else None
    if parent is not None and parent in relevant:
        trail = ((parent, edge.head), *(t for t in trail if t[0] != parent))
    entering, since = state.entering, state.since
    if head.source != tail.source:
        entering, since = Entering(edge, cost), ()
    elif trigger is not None:
        since = (*since, trigger)
    return PathState(
        vertex=edge.tail,
        runtime=_runtime(graph, state, edge, head, tail),
        last=edge,
        top=state.top and edge.kind in ("enter", "root"),
        entered_last=head.source != tail.source,
        fake_after_enter=edge.kind == "fake" and state.entered_last,
        trail=trail,
        entering=entering,
        since=since,
    )


def replaces_last(graph: QueryGraph, state: PathState, edge: Edge) -> bool:
    """A key jump right after an @interfaceObject cast to a real interface takes the cast's
    place in Apollo's paths (so the path does not grow)."""
    if edge.kind != "key" or state.last is None or state.last.kind != "fake":
        return False
    tail = graph.vertex(edge.tail)
    t = graph.subgraph(tail).type(tail.type)
    return t is not None and t.kind == "INTERFACE"


def _runtime(
    graph: QueryGraph, state: PathState, edge: Edge, head: Vertex, tail: Vertex
) -> tuple[str, ...]:
    if edge.kind == "field":
        if edge.name == "__typename":
            return ()
        subgraph = graph.subgraph(head)
        found: list[str] = []
        for parent in state.runtime:
            f = subgraph.field(parent, edge.name)
            for t in subgraph.possible(base_name(f.type)) if f is not None else ():
                if t not in found:
                    found.append(t)
        return tuple(found)
    if edge.kind == "cast":
        allowed = graph.subgraph(head).possible(edge.name)
        return tuple(t for t in state.runtime if t in allowed)
    if edge.kind == "fake":
        return state.runtime
    if edge.kind == "key":
        return graph.subgraph(tail).possible(tail.type)
    return (tail.type,)
