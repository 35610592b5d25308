"""`@interfaceObject`: reach interface-object fields, and concrete types from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from graphql import SelectionSetNode

from router.planner.abstract import resolves_for_every_implementation
from router.planner.aliases import alias_field_set
from router.planner.groups import FetchGroup, requirement_fits
from router.planner.items import FieldItem, FragmentItem, Item
from router.planner.plan import ValueSetter
from router.planner.position import Position
from router.planner.routes import PlanningError, can_provide, obtainable
from router.planner.selection import SelNode

if TYPE_CHECKING:
    from router.planner.walker import Walker


def concrete_elsewhere(walker: Walker, position: Position, items: list[Item]) -> list[Item]:
    """On an `@interfaceObject`, send type conditions and `__typename` to a subgraph that
    knows the implementations (an entity fetch of the interface); return what stays here.

    The concrete `__typename` is fetched even when the client selects nothing that depends
    on it: responses are shaped by runtime type, and `Media` is no object type. (Apollo
    skips that fetch when it can; we spend one fetch more there.)"""
    target = concrete_position(walker, position)
    if target is None:
        return items
    here: list[Item] = []
    for item in items:
        if isinstance(item, FragmentItem):
            here.extend(_split_fragment(walker, position, target, item))
        elif _needs_concrete_type(item):
            walker.walk(target, [item])
        else:
            here.append(item)
    return here


def concrete_position(walker: Walker, position: Position) -> Position | None:
    """On an `@interfaceObject`, the same objects in an entity fetch from a subgraph that
    knows the implementations (selecting the concrete `__typename`); None elsewhere."""
    info = walker.supergraph.type(position.type_name)
    known = info.graphs.get(position.group.service)
    if known is None or not known.is_interface_object:
        return None
    graph = next((g for g, t in info.graphs.items() if t.keys and not t.is_interface_object), None)
    if graph is None:
        return None
    target = walker.jump(position, graph, None)
    target.node.field("__typename")
    return target


def _split_fragment(
    walker: Walker, position: Position, target: Position, item: FragmentItem
) -> list[Item]:
    """Interface fields of the fragment stay on the interface object; the rest goes on."""
    info = walker.supergraph.type(position.type_name)
    service = position.group.service
    inner = walker.collect(item.type_condition, item.selection_set, item.conditions)
    here: list[Item] = []
    there: list[Item] = []
    for child in inner:
        stays = (
            isinstance(child, FieldItem)
            and child.node.name.value != "__typename"
            and info.resolves(service, child.node.name.value)
        )
        (here if stays else there).append(child)
    known = walker.supergraph.types.get(item.type_condition)
    if there and known is not None and target.group.service in known.graphs:
        node = target.node.fragment(item.type_condition)
        walker.walk(replace(target, node=node, type_name=item.type_condition), there)
    return here


def _needs_concrete_type(item: Item) -> bool:
    return isinstance(item, FragmentItem) or item.node.name.value == "__typename"


def entity_interface_position(walker: Walker, position: Position, name: str) -> Position | None:
    """On an entity interface, jump by the interface's @key to a subgraph resolving `name` on
    the interface itself (its own subgraph or an @interfaceObject), as Apollo does; None
    when no such subgraph is reachable (then each implementation is planned on its own)."""
    info = walker.supergraph.type(position.type_name)
    service = position.group.service
    lengths: dict[str, int] = {}
    for graph in info.resolving_graphs(name):
        uniform = resolves_for_every_implementation(walker.supergraph, graph, info.name, name)
        if uniform and info.keys(graph, resolvable_only=True):
            try:
                route = walker.routes.find(info.name, service, graph)
            except PlanningError:
                continue
            lengths[graph] = len(route)
    if not lengths:
        return None
    target = min(lengths, key=lambda graph: lengths[graph])
    join = info.fields[name].in_graph(target)
    return walker.jump(position, target, join.requires if join is not None else None)


def representation_fragments(walker: Walker, group: FetchGroup, type_name: str) -> list[SelNode]:
    """Where a representation of `type_name` is read: `... on type_name`, and when an
    @interfaceObject subgraph receives an interface, also `... on <implementation>` (an
    earlier fetch may have given the object its concrete `__typename`), renamed to the
    interface's name by input rewrites."""
    fragments = [group.requires.fragment(type_name)]
    info = walker.supergraph.type(type_name)
    known = info.graphs.get(group.service)
    if info.kind != "interface" or known is None or not known.is_interface_object:
        return fragments
    group.add_rewrite(ValueSetter((f"... on {type_name}", "__typename"), type_name))
    interface = walker.schema.get_type(type_name)
    for possible in walker.schema.get_possible_types(interface):  # type: ignore[arg-type]
        fragments.append(group.requires.fragment(possible.name))
        group.add_rewrite(ValueSetter((f"... on {possible.name}", "__typename"), type_name))
    return fragments


def interface_object_position(walker: Walker, position: Position, name: str) -> Position | None:
    """Jump to a subgraph that resolves the field on an `@interfaceObject` of the type.

    A key the current subgraph can give is preferred; otherwise one whose fields other
    subgraphs resolve is fetched first (as for keys that need other fields first)."""
    if walker.supergraph.type(position.type_name).resolving_graphs(name):
        return None
    hops = list(_interface_hops(walker, position, name))
    service = position.group.service
    for hop in hops:
        if can_provide(walker.supergraph, service, position.type_name, hop.key):
            return _interface_hop(walker, position, hop)
    for hop in hops:
        attempt = (position.type_name, service, hop.graph)
        if attempt not in walker.prerequisites and obtainable(
            walker.supergraph, position.type_name, hop.key
        ):
            return _interface_hop(walker, position, replace(hop, prerequisite=True))
    return None


def _interface_hops(walker: Walker, position: Position, name: str) -> Iterator[_InterfaceHop]:
    """Every resolvable key of every `@interfaceObject` resolving `name` for the type."""
    definition = walker.schema.get_type(position.type_name)
    for interface in getattr(definition, "interfaces", ()):
        info = walker.supergraph.type(interface.name)
        for graph in info.resolving_graphs(name):
            if not info.graphs[graph].is_interface_object:
                continue
            join = info.fields[name].in_graph(graph)
            requires = join.requires if join is not None else None
            for key in info.keys(graph, resolvable_only=True):
                fields = alias_field_set(key.selection_set, walker.aliases)
                yield _InterfaceHop(interface.name, graph, fields, requires)


@dataclass(frozen=True, slots=True)
class _InterfaceHop:
    """An entity fetch into an @interfaceObject subgraph for an implementation's field."""

    interface: str
    graph: str
    key: SelectionSetNode
    requires: SelectionSetNode | None
    prerequisite: bool = False  # the key's fields are fetched first, from elsewhere


def _interface_hop(walker: Walker, position: Position, hop: _InterfaceHop) -> Position:
    """Like a hop, but the representation's `__typename` becomes the interface's name; the
    field's @requires are selected here first and sent along, and so are the key's fields
    when they come from other subgraphs (``prerequisite``)."""
    extra = walker.plan_requirements(position, hop.requires) if hop.requires else ()
    required = alias_field_set(hop.requires, walker.aliases) if hop.requires else None
    if hop.prerequisite:
        attempt = (position.type_name, position.group.service, hop.graph)
        walker.prerequisites.add(attempt)
        try:
            extra = (*extra, *walker.plan_requirements(position, hop.key))
        finally:
            walker.prerequisites.discard(attempt)
    position.node.field("__typename")
    if not hop.prerequisite:
        position.node.add_field_set(hop.key)
    walker.record(position, ())
    fits = requirement_fits(position.type_name, required) if required is not None else None
    group = walker.registry.entity_group(hop.graph, position.path, position.group, extra, fits)
    fragment = group.requires.fragment(position.type_name)
    fragment.field("__typename")
    fragment.add_field_set(hop.key)
    if required is not None:
        fragment.add_field_set(required)
    group.add_rewrite(ValueSetter((f"... on {position.type_name}", "__typename"), hop.interface))
    node = group.root.fragment(hop.interface)
    return Position(group, node, hop.interface, position.path, position.conditions, top_level=True)
