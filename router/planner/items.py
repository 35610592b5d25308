"""Client selections flattened for planning: fields and narrowing fragments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
)

from router.planner.conditions import AlwaysSkipped, Condition, read_conditions


@dataclass(frozen=True, slots=True)
class FieldItem:
    """A client field with the @skip/@include conditions of its own level."""

    node: FieldNode
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class FragmentItem:
    """A type-conditioned fragment that narrows an abstract parent type."""

    type_condition: str
    selection_set: SelectionSetNode
    conditions: tuple[Condition, ...] = ()
    expanded: bool = False  # written by the planner for an abstract field, not the client


Item = FieldItem | FragmentItem


class ItemCollector:
    """Reads a client selection set against the supergraph schema."""

    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.schema = schema
        self.fragments = fragments

    def collect(
        self, type_name: str, selection_set: SelectionSetNode, outer: tuple[Condition, ...] = ()
    ) -> list[Item]:
        """Flatten fragments that always apply to `type_name`; keep narrowing ones."""
        items: list[Item] = []
        for selection in selection_set.selections:
            try:
                conditions = outer + read_conditions(selection)
            except AlwaysSkipped:
                continue
            if isinstance(selection, FieldNode):
                items.append(FieldItem(selection, conditions))
                continue
            fragment = self._fragment_parts(selection)
            if fragment is None:
                continue
            condition, inner = fragment
            if condition is None or condition == type_name or self._always(type_name, condition):
                items.extend(self.collect(type_name, inner, conditions))
            elif is_abstract_type(self.schema.get_type(type_name)):
                items.append(FragmentItem(condition, inner, conditions))
        return items

    def _fragment_parts(self, selection: object) -> tuple[str | None, SelectionSetNode] | None:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            return (condition.name.value if condition else None, selection.selection_set)
        if isinstance(selection, FragmentSpreadNode):
            definition = self.fragments[selection.name.value]
            return (definition.type_condition.name.value, definition.selection_set)
        return None

    def _always(self, type_name: str, condition: str) -> bool:
        """Whether every object of `type_name` also satisfies `condition`."""
        parent = self.schema.get_type(type_name)
        target = self.schema.get_type(condition)
        if not isinstance(parent, GraphQLObjectType) or not is_abstract_type(target):
            return False
        return self.schema.is_sub_type(target, parent)
