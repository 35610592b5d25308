"""What a subgraph answers on an interface, and below a field it provides."""

from __future__ import annotations

from collections.abc import Callable

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from router.planner.items import FragmentItem, Item
from router.planner.routes import own_key_of
from router.supergraph import Supergraph

Collect = Callable[[str, SelectionSetNode], list[Item]]


def resolves_for_every_implementation(
    supergraph: Supergraph,
    graph: str,
    interface: str,
    name: str,
    provided: SelectionSetNode | None = None,
) -> bool:
    """Whether `graph` can select `name` on the interface itself for every object it may
    return: each implementation it knows must resolve the field there (or have it provided).

    A subgraph declares the interface field even when an implementation's field was moved
    elsewhere (`@override`) or is `@external`; selecting it on the interface would then
    answer that implementation with the stale or missing local value. An
    `@interfaceObject` subgraph resolves its fields for every implementation."""
    info = supergraph.type(interface)
    known = info.graphs.get(graph)
    if info.kind != "interface" or known is None or known.is_interface_object:
        return True
    abstract = supergraph.schema.get_type(interface)
    for possible in supergraph.schema.get_possible_types(abstract):  # type: ignore[arg-type]
        member = supergraph.type(possible.name)
        if graph not in member.graphs or interface not in member.implements.get(graph, ()):
            continue
        if provided_field(provided, name, possible.name) is None and not _resolves_plainly(
            supergraph, graph, possible.name, name
        ):
            return False
    return True


def _resolves_plainly(supergraph: Supergraph, graph: str, type_name: str, name: str) -> bool:
    info = supergraph.type(type_name)
    field = info.fields.get(name)
    if not info.resolves(graph, name):
        return own_key_of(info, name, graph)
    join = field.in_graph(graph) if field is not None else None
    return join is None or join.requires is None


def provided_field(
    provided: SelectionSetNode | None, name: str, type_name: str
) -> FieldNode | None:
    """The `@provides` entry for `name` here, also inside `... on <type_name>`."""
    for selection in provided.selections if provided else ():
        if isinstance(selection, FieldNode) and selection.name.value == name:
            return selection
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or condition.name.value == type_name:
                found = provided_field(selection.selection_set, name, type_name)
                if found is not None:
                    return found
    return None


def unprovided(
    supergraph: Supergraph,
    collect: Collect,
    service: str,
    type_name: str,
    items: list[Item],
    provided: FieldNode,
) -> int:
    """How many selected fields below a provided field the subgraph still cannot give."""
    total = 0
    for item in items:
        if isinstance(item, FragmentItem):
            inner = collect(item.type_condition, item.selection_set)
            condition = item.type_condition
            total += unprovided(supergraph, collect, service, condition, inner, provided)
            continue
        name = item.node.name.value
        info = supergraph.type(type_name)
        if name == "__typename" or provided_field(provided.selection_set, name, type_name):
            continue
        known = info.resolves(service, name)
        total += not (known or own_key_of(info, name, service))
    return total
