"""`@interfaceObject`: reach interface-object fields, and concrete types from elsewhere."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from graphql import SelectionSetNode

from router.planner.aliases import alias_field_set
from router.planner.items import FieldItem, FragmentItem, Item
from router.planner.plan import ValueSetter
from router.planner.position import Position
from router.planner.routes import can_provide

if TYPE_CHECKING:
    from router.planner.walker import Walker


def concrete_elsewhere(walker: Walker, position: Position, items: list[Item]) -> list[Item]:
    """On an `@interfaceObject`, send type conditions and `__typename` to a subgraph that
    knows the implementations (an entity fetch of the interface); return what stays here."""
    info = walker.supergraph.type(position.type_name)
    known = info.graphs.get(position.group.service)
    if known is None or not known.is_interface_object:
        return items
    graph = next((g for g, t in info.graphs.items() if t.keys and not t.is_interface_object), None)
    if graph is None or not any(_needs_concrete_type(i) for i in items):
        return items
    target = walker.jump(position, graph, None)
    target.node.field("__typename")
    here: list[Item] = []
    for item in items:
        if isinstance(item, FragmentItem):
            here.extend(_split_fragment(walker, position, target, item))
        elif _needs_concrete_type(item):
            walker.walk(target, [item])
        else:
            here.append(item)
    return here


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


def interface_object_position(walker: Walker, position: Position, name: str) -> Position | None:
    """Jump to a subgraph that resolves the field on an `@interfaceObject` of the type."""
    if walker.supergraph.type(position.type_name).resolving_graphs(name):
        return None
    definition = walker.schema.get_type(position.type_name)
    for interface in getattr(definition, "interfaces", ()):
        info = walker.supergraph.type(interface.name)
        for graph in info.resolving_graphs(name):
            if not info.graphs[graph].is_interface_object:
                continue
            for key in info.keys(graph, resolvable_only=True):
                fields = alias_field_set(key.selection_set, walker.aliases)
                service = position.group.service
                if can_provide(walker.supergraph, service, position.type_name, fields):
                    return _interface_hop(walker, position, interface.name, graph, fields)
    return None


def _interface_hop(
    walker: Walker, position: Position, interface: str, graph: str, key: SelectionSetNode
) -> Position:
    """Like a hop, but the representation's `__typename` becomes the interface's name."""
    position.node.field("__typename")
    position.node.add_field_set(key)
    walker.record(position, ())
    group = walker.registry.entity_group(graph, position.path, position.group)
    required = group.requires.fragment(position.type_name)
    required.field("__typename")
    required.add_field_set(key)
    group.add_rewrite(ValueSetter((f"... on {position.type_name}", "__typename"), interface))
    node = group.root.fragment(interface)
    return Position(group, node, interface, position.path, position.conditions, top_level=True)
