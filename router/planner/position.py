"""Where the planner stands: a node in a fetch group, a type, a response path."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import SelectionSetNode

from router.planner.conditions import Conditions
from router.planner.groups import FetchGroup
from router.planner.items import FieldItem
from router.planner.selection import SelNode


@dataclass(frozen=True, slots=True)
class Position:
    """Where in a fetch group the walk is: node, type, response path and conditions."""

    group: FetchGroup
    node: SelNode
    type_name: str
    path: tuple[str, ...]
    conditions: Conditions = frozenset()
    provided: SelectionSetNode | None = None
    top_level: bool = False
    parent: Position | None = None
    via: FieldItem | None = None
    expanded: bool = False  # inside a fragment the planner wrote per implementation
