"""Internal aliases: key and @requires fields must not clash with client aliases."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, FieldNode, NameNode, SelectionSetNode, Visitor, visit

INTERNAL_PREFIX = "__sb_"


class _AliasCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None and node.alias.value != node.name.value:
            self.names.add(node.alias.value)


def internal_aliases(document: DocumentNode) -> dict[str, str]:
    """Field name → internal alias, for names some client alias uses for another field.

    A fetch selecting `id: name` for the client cannot also select the key field as `id`;
    such key and required fields are selected as `__sb_id: id` instead, and the plan's
    `requires` names that alias so representations read the right value.
    """
    collector = _AliasCollector()
    visit(document, collector)
    return {n: INTERNAL_PREFIX + n for n in sorted(collector.names) if n != "__typename"}


def alias_field_set(
    selection_set: SelectionSetNode, aliases: Mapping[str, str]
) -> SelectionSetNode:
    """The field set with internal aliases applied at every level."""
    if not aliases:
        return selection_set
    return dataclasses.replace(
        selection_set,
        selections=tuple(_alias(s, aliases) for s in selection_set.selections),
    )


def _alias(selection: Any, aliases: Mapping[str, str]) -> Any:
    changes: dict[str, Any] = {}
    if isinstance(selection, FieldNode) and selection.name.value in aliases:
        changes["alias"] = NameNode(value=aliases[selection.name.value])
    if selection.selection_set is not None:
        changes["selection_set"] = alias_field_set(selection.selection_set, aliases)
    return dataclasses.replace(selection, **changes) if changes else selection
