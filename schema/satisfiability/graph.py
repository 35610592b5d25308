"""The federated query graph: (type, subgraph) vertices; fields, casts and entity keys as edges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from schema.model import base_name
from schema.satisfiability.extract import Extracted, SubgraphSchema
from schema.satisfiability.selections import BadSelection, Selection, parse_selection

ROOT_SOURCE = "_"
EdgeKind = Literal["field", "cast", "key", "root", "enter", "fake"]
COLLECTING: frozenset[str] = frozenset({"field", "cast", "fake"})


@dataclass(frozen=True)
class Vertex:
    """A type in one subgraph; copies made for @provides carry a ``provide_id``."""

    index: int
    type: str
    source: str
    provide_id: int = 0
    root_kind: str | None = None


@dataclass(frozen=True)
class RequiredContext:
    """A @fromContext argument the field edge needs: where its context may be set."""

    argument: str
    context: str
    selection: str
    types: frozenset[str]


@dataclass(frozen=True, eq=False)
class Edge:
    """A transition from ``head`` to ``tail`` (vertex indexes); compared by identity."""

    index: int
    head: int
    tail: int
    kind: EdgeKind
    name: str = ""
    conditions: Selection | None = None
    override: tuple[str, bool] | None = None
    contexts: tuple[RequiredContext, ...] = ()
    provided: bool = False


@dataclass
class QueryGraph:
    """All vertices and edges; ``roots`` are the federated entry points per operation kind."""

    supergraph: Extracted
    vertices: list[Vertex] = field(default_factory=list)
    out: list[list[Edge]] = field(default_factory=list)
    roots: dict[str, int] = field(default_factory=dict)
    canonical: dict[tuple[str, str], int] = field(default_factory=dict)
    by_type: dict[str, list[int]] = field(default_factory=dict)
    edge_count: int = 0
    _index: dict[int, dict[tuple[str, str], list[Edge]]] = field(default_factory=dict)

    def subgraph(self, v: Vertex) -> SubgraphSchema:
        return self.supergraph.by_name(v.source)

    def vertex(self, index: int) -> Vertex:
        return self.vertices[index]

    def add_vertex(self, type_name: str, source: str, provide_id: int = 0) -> int:
        index = len(self.vertices)
        self.vertices.append(Vertex(index, type_name, source, provide_id))
        self.out.append([])
        self.by_type.setdefault(type_name, []).append(index)
        if provide_id == 0:
            self.canonical.setdefault((source, type_name), index)
        return index

    def add_edge(self, head: int, tail: int, kind: EdgeKind, **extra: object) -> Edge:
        edge = Edge(self.edge_count, head, tail, kind, **extra)  # type: ignore[arg-type]
        self.edge_count += 1
        self.out[head].append(edge)
        return edge

    def retail(self, edge: Edge, tail: int) -> Edge:
        """``edge`` pointing at ``tail`` instead (a @provides copy)."""
        updated = replace(edge, tail=tail)
        edges = self.out[edge.head]
        edges[edges.index(edge)] = updated
        return updated

    def copy_vertex(self, index: int, provide_id: int) -> int:
        original = self.vertices[index]
        copy = self.add_vertex(original.type, original.source, provide_id)
        for e in self.out[index]:
            self.add_edge(
                copy,
                e.tail,
                e.kind,
                name=e.name,
                conditions=e.conditions,
                override=e.override,
                contexts=e.contexts,
                provided=e.provided,
            )
        return copy

    def matching(self, vertex: int, kind: str, name: str) -> list[Edge]:
        """Collecting edges out of ``vertex`` for field ``name`` (kind "field") or for a cast
        to type ``name`` (kind "cast": casts and @interfaceObject fake casts)."""
        index = self._index.get(vertex)
        if index is None:
            index = {}
            for e in self.out[vertex]:
                if e.kind in COLLECTING:
                    group = "field" if e.kind == "field" else "cast"
                    index.setdefault((group, e.name), []).append(e)
            self._index[vertex] = index
        return index.get((kind, name), [])

    def edges(self) -> Iterator[Edge]:
        for edges in self.out:
            yield from edges


def subgraph_field_type(subgraph: SubgraphSchema, parent: str, name: str) -> str | None:
    f = subgraph.field(parent, name)
    return base_name(f.type) if f is not None else None


def selection_in(subgraph: SubgraphSchema, parent: str, text: str) -> Selection | None:
    """``text`` resolved on ``parent`` in ``subgraph``; None when it does not resolve."""
    try:
        return parse_selection(text, parent, lambda p, n: subgraph_field_type(subgraph, p, n))
    except BadSelection:
        return None


def locally_satisfiable_key(graph: QueryGraph, v: Vertex) -> bool:
    """Some @key of the vertex's type selects no external field (a way back into it)."""
    subgraph = graph.subgraph(v)
    t = subgraph.type(v.type)
    for key in t.keys if t is not None else ():
        selection = selection_in(subgraph, v.type, key.fields)
        if selection is not None and not _selects_external(subgraph, selection):
            return True
    return False


def _selects_external(subgraph: SubgraphSchema, selection: Selection) -> bool:
    for s in selection:
        if s.field is not None and subgraph.is_external(s.parent, s.field):
            return True
        if _selects_external(subgraph, s.children):
            return True
    return False
