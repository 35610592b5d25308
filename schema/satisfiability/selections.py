"""Field sets (@key, @requires, @provides, @fromContext) as small selection trees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

# (parent type, field name) → the field's base type name, or None if there is no such field
FieldTypes = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Sel:
    """A field of ``parent`` (``field`` set) or an inline fragment (``field`` None)."""

    parent: str
    field: str | None
    condition: str | None = None
    children: tuple[Sel, ...] = ()

    def __str__(self) -> str:
        inner = " { " + " ".join(str(c) for c in self.children) + " }" if self.children else ""
        if self.field is not None:
            return self.field + inner
        return f"... on {self.condition}{inner}" if self.condition else "..." + inner


Selection = tuple[Sel, ...]


def selection_text(selection: Selection) -> str:
    """``id org { id }``, the way Apollo prints a field set in its messages."""
    return " ".join(str(s) for s in selection)


class BadSelection(Exception):
    """A field set that does not resolve against the schema it is read with."""


def parse_selection(text: str, parent: str, field_type: FieldTypes) -> Selection:
    """Resolve ``text`` (``"id org { id }"``) on ``parent``; BadSelection if it cannot."""
    body = text.strip()
    if not body.startswith("{"):
        body = "{" + body + "}"
    try:
        operation = parse(body, no_location=True).definitions[0]
    except GraphQLSyntaxError as exc:
        raise BadSelection(str(exc)) from None
    assert isinstance(operation, OperationDefinitionNode)
    return _resolve(operation.selection_set, parent, field_type)


def _resolve(node: SelectionSetNode, parent: str, field_type: FieldTypes) -> Selection:
    found: list[Sel] = []
    for s in node.selections:
        if isinstance(s, FieldNode):
            name = s.name.value
            target = "String" if name == "__typename" else field_type(parent, name)
            if target is None:
                raise BadSelection(f'no field "{parent}.{name}"')
            children = _resolve(s.selection_set, target, field_type) if s.selection_set else ()
            found.append(Sel(parent, name, None, children))
        elif isinstance(s, InlineFragmentNode):
            condition = s.type_condition.name.value if s.type_condition else None
            children = _resolve(s.selection_set, condition or parent, field_type)
            found.append(Sel(parent, None, condition, children))
        else:
            raise BadSelection("named fragments are not allowed in field sets")
    return tuple(found)


def without_local_leaves(selection: Selection, external: Callable[[Sel], bool]) -> Selection:
    """Only the parts selecting external fields: Apollo drops the rest of an inactive
    @requires or @provides before building the query graph."""
    kept: list[Sel] = []
    for s in selection:
        if s.field is not None and external(s):
            kept.append(s)
            continue
        if s.children:
            children = without_local_leaves(s.children, external)
            if children:
                kept.append(Sel(s.parent, s.field, s.condition, children))
    return tuple(kept)


def selects_top_level(selection: Selection, field: str) -> bool:
    """Whether ``field`` is selected directly at the top of ``selection``."""
    return any(s.field == field for s in selection)
