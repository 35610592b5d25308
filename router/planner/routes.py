"""Entity jumps: which @key takes a type from one subgraph to another."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from router.supergraph import FieldInfo, Key, Supergraph, TypeInfo


class PlanningError(Exception):
    """The operation cannot be planned against this supergraph (a composition defect)."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One entity fetch: into `key.graph` on `type_name`, using `key`."""

    type_name: str
    key: Key


def can_provide(
    supergraph: Supergraph, graph: str, type_name: str, fields: SelectionSetNode
) -> bool:
    """Whether `graph` can select every field of the field set on `type_name` by itself."""
    info = supergraph.types.get(type_name)
    if info is None or graph not in info.graphs:
        return False
    for selection in fields.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner_type = condition.name.value if condition else type_name
            if not can_provide(supergraph, graph, inner_type, selection.selection_set):
                return False
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        field = info.fields.get(name)
        if not (info.resolves(graph, name) or own_key_of(info, name, graph)):
            return False
        sub = selection.selection_set
        if (
            sub is not None
            and field is not None
            and not can_provide(supergraph, graph, field.type_name, sub)
        ):
            return False
    return True


def own_key_field(
    field: FieldInfo | None, keys: tuple[Key, ...], graph: str, *, extension: bool = True
) -> bool:
    """Fed1 leaves key fields of extended types @external or unjoined; the subgraph still
    knows them. Overridden key fields (`usedOverridden`) do not count: they only arrive.
    An `@external` key field of a type the subgraph defines (not `extend`s: `extension`
    False) does not count either: the subgraph cannot produce it for objects it returns
    itself, and answering it anyway gives a placeholder (issue #16, item 8)."""
    join = field.in_graph(graph) if field is not None else None
    if field is None or (join is not None and join.used_overridden):
        return False
    if join is not None and join.external and not extension:
        return False
    name = field.name
    return any(
        isinstance(s, FieldNode) and s.name.value == name
        for key in keys
        for s in key.selection_set.selections
    )


def own_key_of(info: TypeInfo, name: str, graph: str) -> bool:
    """`own_key_field` for field `name` of `info` in `graph`."""
    known = info.graphs.get(graph)
    extension = known is not None and known.extension
    return own_key_field(info.fields.get(name), info.keys(graph), graph, extension=extension)


class Routes:
    """`find_route` memoised for one planning run: it asks the same few routes often."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self._found: dict[tuple[str, str, str], tuple[Hop, ...] | str] = {}

    def find(self, type_name: str, source: str, target: str) -> list[Hop]:
        key = (type_name, source, target)
        known = self._found.get(key)
        if known is None:
            try:
                known = tuple(find_route(self.supergraph, type_name, source, target))
            except PlanningError as exc:
                known = str(exc)
            self._found[key] = known
        if isinstance(known, str):
            raise PlanningError(known)
        return list(known)

    def length(self, type_name: str, source: str, target: str) -> int:
        try:
            return len(self.find(type_name, source, target))
        except PlanningError:
            return 1_000


def find_route(supergraph: Supergraph, type_name: str, source: str, target: str) -> list[Hop]:
    """The shortest chain of entity jumps from `source` to `target` for `type_name`."""
    return _find_route(supergraph, type_name, source, target)


def _find_route(supergraph: Supergraph, type_name: str, source: str, target: str) -> list[Hop]:
    if source == target:
        return [_self_hop(supergraph, type_name, target)]
    previous: dict[str, tuple[str, Key]] = {}
    queue = deque([source])
    while queue:
        graph = queue.popleft()
        for key in _keys_from(supergraph, type_name, graph):
            if key.graph in previous or key.graph == source:
                continue
            previous[key.graph] = (graph, key)
            if key.graph == target:
                return _unwind(previous, type_name, source, target)
            queue.append(key.graph)
    raise PlanningError(f"no @key route for {type_name} from {source} to {target}")


def _keys_from(supergraph: Supergraph, type_name: str, source: str) -> list[Key]:
    info = supergraph.type(type_name)
    return [
        key
        for graph in info.graphs
        if graph != source
        for key in info.keys(graph, resolvable_only=True)
        if can_provide(supergraph, source, type_name, key.selection_set)
    ]


def _self_hop(supergraph: Supergraph, type_name: str, graph: str) -> Hop:
    keys = supergraph.type(type_name).keys(graph, resolvable_only=True)
    if not keys:
        raise PlanningError(f"{type_name} has no resolvable @key in {graph}")
    return Hop(type_name, keys[0])


def _unwind(
    previous: dict[str, tuple[str, Key]], type_name: str, source: str, target: str
) -> list[Hop]:
    hops: list[Hop] = []
    graph = target
    while graph != source:
        before, key = previous[graph]
        hops.append(Hop(type_name, key))
        graph = before
    return hops[::-1]


def obtainable(supergraph: Supergraph, type_name: str, fields: SelectionSetNode) -> bool:
    """Whether some subgraph resolves each field of the field set (a quick check before
    planning it: planning it is what finds the way)."""
    info = supergraph.types.get(type_name)
    if info is None:
        return False
    for selection in fields.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = condition.name.value if condition else type_name
            if not obtainable(supergraph, inner, selection.selection_set):
                return False
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        field = info.fields.get(name)
        if field is None:
            return False
        if not info.resolving_graphs(name) and not any(
            own_key_of(info, name, graph) for graph in info.graphs
        ):
            return False
        sub = selection.selection_set
        if sub is not None and not obtainable(supergraph, field.type_name, sub):
            return False
    return True
