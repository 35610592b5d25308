"""Keys that need other fields first: fetch a target key's fields, then jump with them.

`@key(fields: "product { id pid }")` in pricing, from orders, which knows `product { id }`
only: no chain of whole-key jumps reaches pricing. The key's field set is then planned
like a `@requires` (`product` here, `pid` from catalog by Product's own key), and the
entity fetch into pricing waits for those fetches and reads its representation from their
merged results (issue #16, item 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import SelectionSetNode

from router.planner.aliases import alias_field_set
from router.planner.groups import FetchGroup, requirement_fits
from router.planner.interface_objects import representation_fragments
from router.planner.position import Position
from router.planner.routes import obtainable

if TYPE_CHECKING:
    from router.planner.walker import Walker


def prerequisite_jump(
    walker: Walker,
    position: Position,
    target: str,
    extra: tuple[FetchGroup, ...],
    required: SelectionSetNode | None,
) -> Position | None:
    """An entity fetch into `target` whose key fields are planned first; None when no
    resolvable key of `target` has fields the supergraph can supply at all."""
    type_name = position.type_name
    info = walker.supergraph.type(type_name)
    attempt = (type_name, position.group.service, target)
    if attempt in walker.prerequisites:  # the key's own fields need this jump: no way
        return None
    for key in info.keys(target, resolvable_only=True):
        if not obtainable(walker.supergraph, type_name, key.selection_set):
            continue
        fields = alias_field_set(key.selection_set, walker.aliases)
        walker.prerequisites.add(attempt)
        try:
            extra = (*extra, *walker.plan_requirements(position, fields))
        finally:
            walker.prerequisites.discard(attempt)
        position.node.field("__typename")
        walker.record(position, ())
        fits = requirement_fits(type_name, required) if required is not None else None
        group = walker.registry.entity_group(target, position.path, position.group, extra, fits)
        for fragment in representation_fragments(walker, group, type_name):
            fragment.field("__typename")
            fragment.add_field_set(fields)
            if required is not None:
                fragment.add_field_set(required)
        node = group.root.fragment(type_name)
        return Position(group, node, type_name, position.path, position.conditions, top_level=True)
    return None
