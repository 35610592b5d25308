"""``@defer``: split an operation into its initial part and one operation per deferred fragment.

``split_deferred`` expands fragment spreads into inline fragments, then removes each enabled
``@defer`` fragment (``if:`` true or absent) from the initial operation and makes it an
operation of its own: the path of fields (and type conditions) down to the fragment, then
the fragment's selections. Nested defers become parts of their own, children of the part
they sit in. Each operation runs through every request stage (authentication, limits,
authorization, planning), so a deferred part's fetches run after the initial payload is
sent. The price, until the planner emits defer nodes: a part fetches its path again rather
than starting from the entities the initial fetches returned.

A mutation or subscription is never split (re-running the mutation would repeat it): its
deferred fragments are delivered inline, in the only payload, which the spec allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    print_ast,
    visit,
)

from router.errors import BAD_REQUEST, RouterError

MAX_EXPANDED_SELECTIONS = 20_000  # fragment spreads expanded; a bigger document is refused
PathStep = FieldNode | InlineFragmentNode


@dataclass(frozen=True, slots=True)
class DeferredPart:
    """One deferred fragment: its operation, the response keys down to it, its parent part."""

    label: str | None
    path: tuple[str, ...]
    query: str
    parent: int | None


@dataclass(frozen=True, slots=True)
class Split:
    initial: str
    parts: tuple[DeferredPart, ...]


def mentions_defer(query: str | None) -> bool:
    return query is not None and "@defer" in query


def split_deferred(
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    *,
    inline: bool = False,
) -> Split | None:
    """The initial operation (no ``@defer`` left) and the deferred parts, or None when the
    document has no such operation (validation reports it). ``inline`` keeps every
    fragment in the initial operation (a client that cannot take incremental delivery)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    budget = [MAX_EXPANDED_SELECTIONS]
    root = _expand(operation.selection_set, fragments, frozenset(), budget)
    splitting = operation.operation == OperationType.QUERY and not inline
    parts: list[_Part] = []
    initial = _strip(root, (), None, parts, variables, splitting)
    texts = [_text(operation, initial)]
    deferred = tuple(
        DeferredPart(p.label, _keys(p.path), _text(operation, _wrap(p.path, p.fragment)), p.parent)
        for p in parts
    )
    return Split(texts[0], deferred)


@dataclass(frozen=True, slots=True)
class _Part:
    label: str | None
    path: tuple[PathStep, ...]
    fragment: InlineFragmentNode
    parent: int | None


def _expand(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
    budget: list[int],
) -> SelectionSetNode:
    selections: list[SelectionNode] = []
    for selection in selection_set.selections:
        budget[0] -= 1
        if budget[0] < 0:
            raise RouterError(BAD_REQUEST, "The operation is too large to defer.")
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:  # validation reports it
                selections.append(selection)
                continue
            inner = _expand(fragment.selection_set, fragments, seen | {name}, budget)
            selections.append(
                InlineFragmentNode(
                    type_condition=fragment.type_condition,
                    directives=selection.directives,
                    selection_set=inner,
                )
            )
        elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
            inner = _expand(selection.selection_set, fragments, seen, budget)
            selections.append(_with(selection, selection_set=inner))
        else:
            selections.append(selection)
    return SelectionSetNode(selections=tuple(selections))


def _strip(
    selection_set: SelectionSetNode,
    path: tuple[PathStep, ...],
    parent: int | None,
    parts: list[_Part],
    variables: dict[str, Any],
    splitting: bool,
) -> SelectionSetNode:
    """``selection_set`` without its enabled deferred fragments, which go to ``parts``."""
    kept: list[SelectionNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.selection_set is not None:
            inner = _strip(selection.selection_set, (*path, selection), parent, parts,
                           variables, splitting)  # fmt: skip
            kept.append(_with(selection, selection_set=inner))
        elif isinstance(selection, InlineFragmentNode):
            defer = _defer_of(selection)
            others = tuple(d for d in selection.directives or () if d is not defer)
            fragment = _with(selection, directives=others)
            if defer is not None and splitting and _enabled(defer, variables):
                index = len(parts)
                parts.append(_Part(_label(defer), path, fragment, parent))  # placeholder
                inner = _strip(fragment.selection_set, path, index, parts, variables, splitting)
                parts[index] = _Part(_label(defer), path, _with(fragment, selection_set=inner),
                                     parent)  # fmt: skip
                continue
            inner = _strip(fragment.selection_set, (*path, fragment), parent, parts,
                           variables, splitting)  # fmt: skip
            kept.append(_with(fragment, selection_set=inner))
        else:
            kept.append(selection)
    if not kept:  # every selection was deferred: the object is still there
        kept.append(FieldNode(name=NameNode(value="__typename")))
    return SelectionSetNode(selections=tuple(kept))


def _with(node: Any, **changes: Any) -> Any:
    """The AST ``node`` (a frozen dataclass) with ``changes``."""
    return replace(node, **changes)


def _defer_of(node: InlineFragmentNode) -> DirectiveNode | None:
    return next((d for d in node.directives or () if d.name.value == "defer"), None)


def _argument(directive: DirectiveNode, name: str) -> Any:
    return next((a.value for a in directive.arguments or () if a.name.value == name), None)


def _enabled(directive: DirectiveNode, variables: dict[str, Any]) -> bool:
    value = _argument(directive, "if")
    if value is None:
        return True
    if isinstance(value, BooleanValueNode):
        return value.value
    if isinstance(value, VariableNode):
        return bool(variables.get(value.name.value, True))
    raise RouterError(BAD_REQUEST, "@defer(if:) takes a Boolean or a variable.")


def _label(directive: DirectiveNode) -> str | None:
    value = _argument(directive, "label")
    if value is None:
        return None
    if not isinstance(value, StringValueNode):
        raise RouterError(BAD_REQUEST, "@defer(label:) takes a string literal.")
    return value.value


def _wrap(path: tuple[PathStep, ...], fragment: InlineFragmentNode) -> SelectionSetNode:
    """The selection set reaching ``fragment`` through ``path`` and nothing else."""
    selection_set = SelectionSetNode(selections=(fragment,))
    for step in reversed(path):
        selection_set = SelectionSetNode(selections=(_with(step, selection_set=selection_set),))
    return selection_set


def _keys(path: tuple[PathStep, ...]) -> tuple[str, ...]:
    return tuple((s.alias or s.name).value for s in path if isinstance(s, FieldNode))


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.used: set[str] = set()

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        self.used.add(node.name.value)


def _text(operation: OperationDefinitionNode, selection_set: SelectionSetNode) -> str:
    """``operation`` with ``selection_set``, declaring only the variables it uses."""
    finder = _Variables()
    visit(selection_set, finder)
    definitions = tuple(
        d for d in operation.variable_definitions or () if d.variable.name.value in finder.used
    )
    derived = _with(operation, selection_set=selection_set, variable_definitions=definitions)
    return print_ast(DocumentNode(definitions=(derived,)))


def objects_at(data: Any, keys: tuple[str, ...]) -> list[tuple[list[str | int], dict[str, Any]]]:
    """Every object at response ``keys`` (lists stepped into), with its response path."""
    found: list[tuple[list[str | int], Any]] = [([], data)]
    for key in keys:
        following: list[tuple[list[str | int], Any]] = []
        for path, value in found:
            if isinstance(value, dict) and key in value:
                following.extend(_items([*path, key], value[key]))
        found = following
    return [(p, v) for p, v in found if isinstance(v, dict)]


def _items(path: list[str | int], value: Any) -> list[tuple[list[str | int], Any]]:
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in _items([*path, i], v)]
    return [(path, value)]
