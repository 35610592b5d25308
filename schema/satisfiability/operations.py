"""Advance paths with one element of a condition's selection (a field or an inline fragment)."""

from __future__ import annotations

from itertools import product

import schema.satisfiability.advance as advance
import schema.satisfiability.conditions as conditions
from schema.model import base_name
from schema.satisfiability.engine import Engine
from schema.satisfiability.graph import ROOT_SOURCE, Edge
from schema.satisfiability.selections import Sel, selects_top_level
from schema.satisfiability.state import PathState, Sim, add

Options = list[tuple[PathState, ...]]
_MAX_OPTIONS = 256


def advance_sim(engine: Engine, sim: Sim, s: Sel) -> list[Sim] | None:
    """Apollo's advanceSimultaneousPathsWithOperation: None when some path cannot advance."""
    per_path: list[Options] = []
    for path in sim.paths:
        options, exploded_only = advance_op(engine, path, s)
        leaf = s.field is not None and not s.children
        if options is not None and (not options or (leaf and not exploded_only) or not s.field):
            if options:
                per_path.append(options)
            continue
        options = list(options or [])
        if s.field is not None:
            for indirect in _indirect_for_field(engine, path, sim, s):
                found, _ = advance_op(engine, indirect, s)
                options.extend(o for o in found or () if o not in options)
        if not options:
            return None
        per_path.append(options)
    return [Sim(paths, sim.excluded, sim.excluded_conditions) for paths in _product(per_path)]


def _indirect_for_field(engine: Engine, path: PathState, sim: Sim, s: Sel) -> list[PathState]:
    paths, _ = advance.indirect(engine, path, sim.excluded, sim.excluded_conditions)
    if s.children:
        return paths
    return [
        p
        for p in paths
        if not (
            p.last is not None
            and p.last.kind == "key"
            and p.last.conditions is not None
            and selects_top_level(p.last.conditions, s.field or "")
        )
    ]


def _product(per_path: list[Options]) -> Options:
    if not per_path:
        return []
    combined: Options = []
    for combination in product(*per_path):
        merged = tuple(p for option in combination for p in option)
        if merged not in combined:
            combined.append(merged)
        if len(combined) >= _MAX_OPTIONS:
            break
    return combined


def _field_edge(engine: Engine, vertex: int, name: str) -> Edge | None:
    return next(
        (
            e
            for e in engine.graph.out[vertex]
            if e.kind == "field" and e.name == name and e.override is None
        ),
        None,
    )


def _take(engine: Engine, path: PathState, edge: Edge, s: Sel) -> PathState | None:
    resolution = conditions.can_satisfy(engine, path, edge, frozenset(), ())
    if not resolution.ok:
        return None
    return add(engine.graph, path, edge, s, engine.relevant, resolution.cost)


def advance_op(engine: Engine, path: PathState, s: Sel) -> tuple[Options | None, bool]:
    """Apollo's advanceWithOperation: (options, whether only type-exploded ones were found)."""
    v = engine.graph.vertex(path.vertex)
    if v.source == ROOT_SOURCE:
        return None, False
    t = engine.graph.subgraph(v).type(v.type)
    kind = t.kind if t is not None else "OBJECT"
    if s.field is None:
        return _fragment(engine, path, s, kind, t is not None and t.interface_object), False
    if kind == "OBJECT":
        edge = _field_edge(engine, path.vertex, s.field)
        taken = _take(engine, path, edge, s) if edge is not None else None
        return ([(taken,)] if taken is not None else None), False
    if kind == "INTERFACE":
        return _interface_field(engine, path, s)
    if kind == "UNION" and s.field == "__typename":
        edge = _field_edge(engine, path.vertex, s.field)
        taken = _take(engine, path, edge, s) if edge is not None else None
        return ([(taken,)] if taken is not None else None), False
    return None, False


def _interface_field(engine: Engine, path: PathState, s: Sel) -> tuple[Options | None, bool]:
    assert s.field is not None
    graph = engine.graph
    v = graph.vertex(path.vertex)
    subgraph = graph.subgraph(v)
    of_implementation = s.parent != v.type
    edge = None if of_implementation else _field_edge(engine, path.vertex, s.field)
    direct: PathState | None = None
    if edge is not None:
        direct = add(graph, path, edge, s, engine.relevant)
        overrides = s.field == "__typename" or (
            not edge.provided and not _implementation_provides(engine, v.type, s.field, v.source)
        )
        f = subgraph.field(v.type, s.field)
        nullable_leaf = f is not None and _nullable_leaf(engine, v.source, f.type)
        if overrides and (nullable_leaf or not _shareable_entity_field(engine, path, s.field)):
            return [(direct,)], False
    direct_options: Options | None = [(direct,)] if direct is not None else None
    implementations = (s.parent,) if of_implementation else path.runtime
    per_implementation: list[Options] = []
    for implementation in implementations:
        casts = advance_sim(engine, Sim((path,)), Sel(v.type, None, implementation))
        if casts is None:
            return direct_options, False
        if not casts:
            continue
        with_field: Options = []
        for cast in casts:
            for found in advance_sim(engine, cast, s) or ():
                with_field.append(found.paths)
        if not with_field:
            return direct_options, False
        per_implementation.append(with_field)
    options = _product(per_implementation)
    if direct is not None:
        options = [(direct,), *options]
    return options, direct is None


def _nullable_leaf(engine: Engine, source: str, type_ref: str) -> bool:
    if type_ref.endswith("!") or type_ref.startswith("["):
        return False
    t = engine.supergraph.by_name(source).type(base_name(type_ref))
    return t is not None and t.kind in ("SCALAR", "ENUM")


def _implementation_provides(engine: Engine, itf: str, field: str, source: str) -> bool:
    subgraph = engine.supergraph.by_name(source)
    for implementation in subgraph.possible(itf):
        f = subgraph.field(implementation, field)
        if f is not None and f.provides is not None:
            return True
    return False


def _shareable_entity_field(engine: Engine, path: PathState, field: str) -> bool:
    """Apollo's anImplementationIsEntityWithFieldShareable."""
    graph = engine.graph
    v = graph.vertex(path.vertex)
    subgraph = graph.subgraph(v)
    for implementation in subgraph.possible(v.type):
        t = subgraph.types[implementation]
        f = t.fields.get(field)
        if not t.keys or f is None or not f.shareable:
            continue
        target = subgraph.type(base_name(f.type))
        if target is None or target.kind in ("SCALAR", "ENUM"):
            continue
        if target.kind != "OBJECT" or not _all_leaves(engine, v.source, target.name):
            return True
        names = set(target.fields)
        for other in graph.by_type.get(implementation, ()):
            ov = graph.vertex(other)
            if ov.source == v.source:
                continue
            of = graph.subgraph(ov).field(implementation, field)
            if of is None or not of.shareable:
                continue
            other_target = graph.subgraph(ov).type(base_name(of.type))
            if (
                other_target is None
                or other_target.name != target.name
                or other_target.kind not in ("OBJECT", "INTERFACE")
            ):
                return True
            if not names <= set(other_target.fields):
                return True
        return False
    return False


def _all_leaves(engine: Engine, source: str, type_name: str) -> bool:
    subgraph = engine.supergraph.by_name(source)
    t = subgraph.types[type_name]
    for f in t.fields.values():
        target = subgraph.type(base_name(f.type))
        if target is None or target.kind not in ("SCALAR", "ENUM"):
            return False
    return True


def _fragment(
    engine: Engine, path: PathState, s: Sel, kind: str, interface_object: bool
) -> Options | None:
    graph = engine.graph
    v = graph.vertex(path.vertex)
    condition = s.condition
    if condition is None or condition == v.type:
        return [(path,)]
    supergraph = engine.supergraph
    if kind in ("INTERFACE", "UNION"):
        cast = next(
            (e for e in graph.out[path.vertex] if e.kind == "cast" and e.name == condition), None
        )
        if cast is not None:
            return [(add(graph, path, cast, s, engine.relevant),)]
        possible = supergraph.possible(condition)
        per_type: list[Options] = []
        for name in (t for t in path.runtime if t in possible):
            found = advance_sim(engine, Sim((path,)), Sel(v.type, None, name))
            if found is None:
                return None
            if found:
                per_type.append([f.paths for f in found])
        return _product(per_type)
    if supergraph.kind(condition) in ("INTERFACE", "UNION") and v.type in supergraph.possible(
        condition
    ):
        return [(path,)]
    if interface_object:
        fake = next(
            (e for e in graph.out[path.vertex] if e.kind == "fake" and e.name == condition), None
        )
        if fake is not None:
            taken = _take(engine, path, fake, s)
            return [(taken,)] if taken is not None else None
    return []
