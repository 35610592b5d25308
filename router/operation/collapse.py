"""Repeated selections merged before validation, so no client can make validation quadratic.

In one selection set, fields with the same response key, name, arguments and directives
always merge (the spec's field collection does exactly that), so they become one field
whose sub-selections are the union of theirs; repeated spreads of one fragment and repeated
inline fragments with the same condition and directives become one. The result is the
same response for every valid document and the same verdict from validation, but its size
is linear in the text: `{ ...F0 } fragment F0 on Query { ...F1 ...F1 }` … no longer doubles
per level, and 5,000 copies of `code` are one field, not 12.5 million pairs to compare.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)


def collapse_document(document: DocumentNode) -> DocumentNode:
    """``document`` with repeated selections merged; the same object when nothing repeats."""
    changed = False
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            selection_set = collapse(definition.selection_set)
            if selection_set is not definition.selection_set:
                definition = _copy(definition, selection_set=selection_set)
                changed = True
        definitions.append(definition)
    if not changed:
        return document
    return DocumentNode(definitions=tuple(definitions), loc=document.loc)


def collapse(selection_set: SelectionSetNode) -> SelectionSetNode:
    """One selection set with its repeats merged, recursively; unchanged sets are returned as is.

    Fields merge at the first one's position and spreads of one fragment keep the first:
    later copies add no response key the first did not, so the response order is kept.
    Inline fragments merge only with an identical-condition neighbour for the same reason.
    """
    if not _may_repeat(selection_set.selections):
        return _collapse_children(selection_set)
    merged: list[SelectionNode] = []
    parts: dict[tuple[Any, ...], list[SelectionNode]] = {}
    for selection in selection_set.selections:
        key = _key(selection)
        if key[0] == "inline" and merged and _key(merged[-1]) == key:
            key = ("inline-run", id(merged[-1]))
            parts[key].append(selection)
            continue
        if key[0] == "inline":
            key = ("inline-run", id(selection))
        if key in parts:
            parts[key].append(selection)
            continue
        parts[key] = [selection]
        merged.append(selection)
    changed = len(merged) != len(selection_set.selections)
    result: list[SelectionNode] = []
    for same in parts.values():
        one = same[0] if len(same) == 1 else _merge(same)
        inner = getattr(one, "selection_set", None)
        if inner is not None:
            collapsed = collapse(inner)
            if collapsed is not inner:
                one = _copy(one, selection_set=collapsed)
                changed = True
        result.append(one)
    if not changed:
        return selection_set
    return SelectionSetNode(selections=tuple(result), loc=selection_set.loc)


def _may_repeat(selections: tuple[SelectionNode, ...]) -> bool:
    """A cheap first look: a repeated response key or spread, or two inline fragments in a row."""
    seen: set[tuple[str, str | None]] = set()
    previous_inline: str | bool | None = False
    for selection in selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if previous_inline is not False and previous_inline == condition:
                return True
            previous_inline = condition
            continue
        previous_inline = False
        if isinstance(selection, FieldNode):
            mark = ("field", (selection.alias or selection.name).value)
        else:
            assert isinstance(selection, FragmentSpreadNode)
            mark = ("spread", selection.name.value)
        if mark in seen:
            return True
        seen.add(mark)
    return False


def _collapse_children(selection_set: SelectionSetNode) -> SelectionSetNode:
    selections = list(selection_set.selections)
    changed = False
    for index, selection in enumerate(selections):
        inner = getattr(selection, "selection_set", None)
        if inner is not None:
            collapsed = collapse(inner)
            if collapsed is not inner:
                selections[index] = _copy(selection, selection_set=collapsed)
                changed = True
    if not changed:
        return selection_set
    return SelectionSetNode(selections=tuple(selections), loc=selection_set.loc)


def _key(selection: SelectionNode) -> tuple[Any, ...]:
    directives = tuple(print_ast(d) for d in selection.directives or ())
    if isinstance(selection, FieldNode):
        response_key = (selection.alias or selection.name).value
        arguments = tuple(print_ast(a) for a in selection.arguments or ())
        has_children = selection.selection_set is not None
        return ("field", response_key, selection.name.value, arguments, directives, has_children)
    if isinstance(selection, FragmentSpreadNode):
        return ("spread", selection.name.value, directives)
    assert isinstance(selection, InlineFragmentNode)
    condition = selection.type_condition.name.value if selection.type_condition else None
    return ("inline", condition, directives)


def _merge(same: list[SelectionNode]) -> SelectionNode:
    first = same[0]
    if isinstance(first, FragmentSpreadNode):
        return first
    children: list[SelectionNode] = []
    for selection in same:
        inner = getattr(selection, "selection_set", None)
        if inner is not None:
            children.extend(inner.selections)
    if not children:
        return first
    merged: SelectionNode = _copy(first, selection_set=SelectionSetNode(selections=tuple(children)))
    return merged


def _copy(node: Any, **changes: Any) -> Any:
    """A shallow copy of an AST node with some attributes replaced."""
    values = {key: getattr(node, key) for key in node.keys}
    values.update(changes)
    return type(node)(**values)
