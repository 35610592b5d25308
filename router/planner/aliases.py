"""Internal aliases: key and @requires fields must not clash with client or other fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    SelectionSetNode,
    print_ast,
)

from router.supergraph import Supergraph

INTERNAL_PREFIX = "__sb_"


@dataclass(frozen=True, slots=True)
class InternalAliases:
    """The response names the planner gives the fields it adds for joins.

    `names`: field name → alias, for names a client alias uses for another field. A fetch
    selecting `id: name` for the client cannot also select the key field as `id`; such key
    and required fields are selected as `__sb_id: id`.

    `arguments`: (field name, printed arguments) → alias, for @requires fields with
    arguments that another selection of the same response name could contradict: two
    @requires of `price(currency: "EUR")` and `price(currency: "USD")`, or the client's own
    `price(currency: "GBP")`. Each argument set gets its own `__sb_price_<n>`, and the
    plan's `requires` reads it there and sends it to the requiring subgraph as `price`.
    """

    names: Mapping[str, str] = field(default_factory=dict)
    arguments: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.names or self.arguments)

    def for_field(self, node: FieldNode) -> str | None:
        name = node.name.value
        if node.arguments:
            found = self.arguments.get((name, arguments_text(node)))
            if found is not None:
                return found
        return self.names.get(name)


class _FieldCollector:
    """Client aliases, and the argument sets of unaliased fields, in a document."""

    def __init__(self) -> None:
        self.client_aliases: set[str] = set()
        self.arguments: dict[str, set[str]] = {}

    def selection_set(self, selection_set: SelectionSetNode | None) -> None:
        pending = [selection_set] if selection_set is not None else []
        while pending:
            for node in pending.pop().selections:
                if isinstance(node, FieldNode):
                    self.field(node)
                inner = getattr(node, "selection_set", None)
                if inner is not None:
                    pending.append(inner)

    def field(self, node: FieldNode) -> None:
        name = node.name.value
        if node.alias is not None and node.alias.value != name:
            self.client_aliases.add(node.alias.value)
        else:
            self.arguments.setdefault(name, set()).add(arguments_text(node))


def internal_aliases(document: DocumentNode, supergraph: Supergraph) -> InternalAliases:
    """The internal aliases one operation needs against this supergraph."""
    collector = _FieldCollector()
    for definition in document.definitions:
        collector.selection_set(getattr(definition, "selection_set", None))
    names = {n: INTERNAL_PREFIX + n for n in sorted(collector.client_aliases) if n != "__typename"}
    required: dict[str, set[str]] = {}
    for node in _required_fields(supergraph):
        required.setdefault(node.name.value, set()).add(arguments_text(node))
    arguments: dict[tuple[str, str], str] = {}
    for name, texts in required.items():
        client = collector.arguments.get(name, set())
        for index, text in enumerate(sorted(texts)):
            clash = len(texts) > 1 or bool(client - {text}) or name in names
            if text and clash:
                arguments[(name, text)] = f"{INTERNAL_PREFIX}{name}_{index}"
    return InternalAliases(names, arguments)


def _required_fields(supergraph: Supergraph) -> Iterator[FieldNode]:
    for info in supergraph.types.values():
        for field_info in info.fields.values():
            for join in field_info.joins.values():
                if join.requires is not None:
                    yield from _fields_in(join.requires)


def _fields_in(selection_set: SelectionSetNode) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        sub = getattr(selection, "selection_set", None)
        if sub is not None:
            yield from _fields_in(sub)


def arguments_text(node: FieldNode) -> str:
    """The field's arguments, printed in name order ("" without arguments)."""
    if not node.arguments:
        return ""
    return ", ".join(sorted(print_ast(argument) for argument in node.arguments))


def alias_field_set(selection_set: SelectionSetNode, aliases: InternalAliases) -> SelectionSetNode:
    """The field set with internal aliases applied at every level."""
    if not aliases:
        return selection_set
    return dataclasses.replace(
        selection_set,
        selections=tuple(_alias(s, aliases) for s in selection_set.selections),
    )


def _alias(selection: Any, aliases: InternalAliases) -> Any:
    changes: dict[str, Any] = {}
    if isinstance(selection, FieldNode):
        alias = aliases.for_field(selection)
        if alias is not None:
            changes["alias"] = NameNode(value=alias)
    if selection.selection_set is not None:
        changes["selection_set"] = alias_field_set(selection.selection_set, aliases)
    return dataclasses.replace(selection, **changes) if changes else selection
