"""Build the federated query graph of a supergraph, the way Apollo's query-graphs package does."""

from __future__ import annotations

from schema.model import base_name
from schema.satisfiability.extract import Extracted, SubField, SubgraphSchema, SubType
from schema.satisfiability.graph import (
    ROOT_SOURCE,
    QueryGraph,
    RequiredContext,
    Vertex,
    selection_in,
)
from schema.satisfiability.selections import Sel, Selection, without_local_leaves

ROOT_KINDS = ("query", "mutation", "subscription")


def build_graph(supergraph: Extracted) -> QueryGraph:
    """The query graph of every subgraph of ``supergraph``, federated by keys and root types."""
    graph = QueryGraph(supergraph)
    for kind in ROOT_KINDS:
        if kind in supergraph.roots:
            index = graph.add_vertex(f"[{kind}]", ROOT_SOURCE)
            graph.vertices[index] = Vertex(index, f"[{kind}]", ROOT_SOURCE, 0, kind)
            graph.roots[kind] = index
    overrides = _override_labels(supergraph)
    for subgraph in supergraph.subgraphs:
        _Local(graph, subgraph, overrides).build()
    _root_edges(graph)
    for subgraph in supergraph.subgraphs:
        _key_edges(graph, subgraph)
    provide_id = 0
    for subgraph in supergraph.subgraphs:
        provide_id = _provides(graph, subgraph, provide_id)
    for subgraph in supergraph.subgraphs:
        _fake_downcasts(graph, subgraph)
    return graph


def _override_labels(supergraph: Extracted) -> dict[tuple[str, str, str], str]:
    """(type, field, overridden subgraph) → label, for progressive @override."""
    found: dict[tuple[str, str, str], str] = {}
    for subgraph in supergraph.subgraphs:
        for t in subgraph.types.values():
            for f in t.fields.values():
                if f.override_label and f.override_from:
                    found[(t.name, f.name, f.override_from)] = f.override_label
    return found


class _Local:
    """One subgraph's own vertices and edges, created by reachability from its roots."""

    def __init__(
        self,
        graph: QueryGraph,
        subgraph: SubgraphSchema,
        overrides: dict[tuple[str, str, str], str],
    ) -> None:
        self.graph = graph
        self.subgraph = subgraph
        self.overrides = overrides
        self.api = graph.supergraph

    def build(self) -> None:
        roots = self.api.roots
        self.vertex(roots.get("query", "Query"))
        for kind in ("mutation", "subscription"):
            name = roots.get(kind)
            if name is not None and self.subgraph.type(name) is not None:
                self.vertex(name)
        for t in self.subgraph.types.values():
            if (t.kind == "OBJECT" and t.keys) or (
                t.kind == "INTERFACE" and any(k.resolvable for k in t.keys)
            ):
                self.vertex(t.name)

    def vertex(self, name: str) -> int:
        existing = self.graph.canonical.get((self.subgraph.name, name))
        if existing is not None:
            return existing
        index = self.graph.add_vertex(name, self.subgraph.name)
        t = self.subgraph.type(name)
        if t is None:  # a Query root the subgraph does not define: only _entities/_service
            return index
        if t.kind == "OBJECT":
            self._object(t, index)
        elif t.kind == "INTERFACE":
            self._interface(t, index)
        elif t.kind == "UNION":
            self._typename(index)
            self._casts(t, index)
        return index

    def _typename(self, index: int) -> None:
        self.graph.add_edge(index, self.vertex("String"), "field", name="__typename")

    def _object(self, t: SubType, index: int) -> None:
        if not t.interface_object:
            self._typename(index)
        for f in t.fields.values():
            tail = self.vertex(base_name(f.type))
            if not (f.external or f.overridden):
                self._field(t, f, index, tail)

    def _field(self, t: SubType, f: SubField, head: int, tail: int) -> None:
        label = self.overrides.get((t.name, f.name, self.subgraph.name))
        override = (f.override_label, True) if f.override_label else None
        if label is not None:
            override = (label, False)
        self.graph.add_edge(
            head,
            tail,
            "field",
            name=f.name,
            conditions=self._requires(t, f),
            override=override,
            contexts=self._contexts(f),
        )

    def _requires(self, t: SubType, f: SubField) -> Selection | None:
        if f.requires is None:
            return None
        selection = selection_in(self.subgraph, t.name, f.requires)
        if selection is None:
            return None
        return without_local_leaves(selection, lambda s: _external(self.subgraph, s)) or None

    def _contexts(self, f: SubField) -> tuple[RequiredContext, ...]:
        found = []
        for c in f.contexts:
            types = frozenset(
                name
                for name, st in self.api.types.items()
                if c.context in st.contexts and self.subgraph.type(name) is not None
            )
            found.append(RequiredContext(c.name, c.context, c.selection, types))
        return tuple(found)

    def _interface(self, t: SubType, index: int) -> None:
        api_type = self.api.types.get(t.name)
        if api_type is not None and not api_type.inaccessible:
            local = [r for r in self.api.api_possible(t.name) if self.subgraph.type(r)]
            self._typename(index)
            for f in t.fields.values():
                tail = self.vertex(base_name(f.type))
                if f.external or not all(self._direct(r, f.name) for r in local):
                    continue
                self.graph.add_edge(index, tail, "field", name=f.name)
        self._casts(t, index)

    def _direct(self, type_name: str, field_name: str) -> bool:
        f = self.subgraph.field(type_name, field_name)
        return f is not None and not (f.external or f.overridden) and f.requires is None

    def _casts(self, t: SubType, index: int) -> None:
        for member in self.subgraph.possible(t.name):
            self.graph.add_edge(index, self.vertex(member), "cast", name=member)


def _external(subgraph: SubgraphSchema, s: Sel) -> bool:
    """External, or an interface field some implementation has external."""
    if s.field is None:
        return False
    if subgraph.is_external(s.parent, s.field):
        return True
    t = subgraph.type(s.parent)
    if t is not None and t.kind == "INTERFACE":
        return any(subgraph.is_external(impl, s.field) for impl in subgraph.possible(t.name))
    return False


def _root_edges(graph: QueryGraph) -> None:
    roots = graph.supergraph.roots
    for kind, root in graph.roots.items():
        name = roots[kind]
        entries = [
            graph.canonical[(s.name, name)]
            for s in graph.supergraph.subgraphs
            if (s.name, name) in graph.canonical
        ]
        for entry in entries:
            graph.add_edge(root, entry, "enter")
        for head in entries:
            for tail in entries:
                if head != tail:
                    graph.add_edge(head, tail, "root", name=kind)


def _key_edges(graph: QueryGraph, subgraph: SubgraphSchema) -> None:
    for t in subgraph.types.values():
        tail = graph.canonical.get((subgraph.name, t.name))
        if tail is None or t.kind not in ("OBJECT", "INTERFACE"):
            continue
        for key in t.keys:
            if not key.resolvable:
                continue
            conditions = selection_in(subgraph, t.name, key.fields)
            for other in graph.supergraph.subgraphs:
                head = graph.canonical.get((other.name, t.name))
                if head is not None and head != tail and conditions:
                    graph.add_edge(head, tail, "key", conditions=conditions)
                if t.interface_object:
                    _implementation_keys(graph, other, t, key.fields, tail)


def _implementation_keys(
    graph: QueryGraph, other: SubgraphSchema, itf: SubType, fields: str, tail: int
) -> None:
    """From each implementation of an @interfaceObject's interface to the interface object."""
    for implementation in graph.supergraph.possible(itf.name):
        head = graph.canonical.get((other.name, implementation))
        if head is None:
            continue
        conditions = selection_in(other, implementation, fields)
        if conditions:
            graph.add_edge(head, tail, "key", conditions=conditions)


def _provides(graph: QueryGraph, subgraph: SubgraphSchema, provide_id: int) -> int:
    for v in list(graph.vertices):
        if v.source != subgraph.name or v.provide_id:
            continue
        t = subgraph.type(v.type)
        for edge in list(graph.out[v.index]) if t is not None else ():
            f = t.fields.get(edge.name) if edge.kind == "field" and t is not None else None
            if f is None or f.provides is None:
                continue
            target = base_name(f.type)
            selection = selection_in(subgraph, target, f.provides)
            if selection is None:
                continue
            selection = without_local_leaves(selection, lambda s: _external(subgraph, s))
            provide_id += 1
            copy = graph.copy_vertex(edge.tail, provide_id)
            graph.retail(edge, copy)
            _provided_edges(graph, subgraph, copy, selection, provide_id)
    return provide_id


def _provided_edges(
    graph: QueryGraph, subgraph: SubgraphSchema, start: int, selection: Selection, pid: int
) -> None:
    stack: list[tuple[int, Selection]] = [(start, selection)]
    while stack:
        v, sel = stack.pop()
        for s in reversed(sel):
            if s.field is None:
                if s.condition is None:
                    stack.append((v, s.children))
                    continue
                cast = next(
                    (e for e in graph.out[v] if e.kind == "cast" and e.name == s.condition), None
                )
                if cast is not None:
                    copy = graph.copy_vertex(cast.tail, pid)
                    graph.retail(cast, copy)
                    stack.append((copy, s.children))
                continue
            existing = next(
                (e for e in graph.out[v] if e.kind == "field" and e.name == s.field), None
            )
            if existing is not None:
                if s.children:
                    copy = graph.copy_vertex(existing.tail, pid)
                    graph.retail(existing, copy)
                    stack.append((copy, s.children))
                continue
            f = subgraph.field(s.parent, s.field)
            if f is None:
                continue
            existing_tail = graph.canonical.get((subgraph.name, base_name(f.type)))
            if existing_tail is None:
                tail = graph.add_vertex(base_name(f.type), subgraph.name)
            else:
                tail = graph.copy_vertex(existing_tail, pid) if s.children else existing_tail
            if s.children:
                stack.append((tail, s.children))
            graph.add_edge(v, tail, "field", name=s.field, provided=True)


def _fake_downcasts(graph: QueryGraph, subgraph: SubgraphSchema) -> None:
    for t in subgraph.types.values():
        if not t.interface_object:
            continue
        index = graph.canonical.get((subgraph.name, t.name))
        if index is None:
            continue
        typename = (Sel(t.name, "__typename"),)
        for implementation in graph.supergraph.possible(t.name):
            graph.add_edge(index, index, "fake", name=implementation, conditions=typename)
