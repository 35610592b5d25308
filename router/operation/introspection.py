"""Answer introspection (``__schema``, ``__type``) from the API schema, next to planned fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    execute,
)

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


def introspection_fields(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode] | None = None,
) -> list[SelectionNode]:
    """The root selections that reach ``__schema``/``__type``, pruned to just those fields.

    Introspection may sit in fragments spread (or inlined) on the root type; spreads become
    inline fragments, keeping their type condition and ``@skip``/``@include``.
    """
    return _pruned(operation.selection_set, fragments or {}, frozenset())


def _pruned(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> list[SelectionNode]:
    kept: list[SelectionNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOTS:
                kept.append(selection)
            continue
        if isinstance(selection, InlineFragmentNode):
            inner = _pruned(selection.selection_set, fragments, visiting)
            condition = selection.type_condition
            directives = selection.directives
        else:
            assert isinstance(selection, FragmentSpreadNode)
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue
            inner = _pruned(fragment.selection_set, fragments, visiting | {name})
            condition = fragment.type_condition
            directives = selection.directives
        if inner:
            kept.append(
                InlineFragmentNode(
                    type_condition=condition,
                    directives=directives,
                    selection_set=SelectionSetNode(selections=tuple(inner)),
                )
            )
    return kept


def run_introspection(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    fields: list[SelectionNode],
    variables: dict[str, Any],
) -> ExecutionResult:
    """Execute only the introspection fields of ``operation`` against ``schema``."""
    only = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    fragments = tuple(
        d
        for d in document.definitions
        if d is not operation and not isinstance(d, OperationDefinitionNode)
    )
    result = execute(
        schema, DocumentNode(definitions=(only, *fragments)), variable_values=variables
    )
    assert isinstance(result, ExecutionResult)  # introspection resolvers are synchronous
    return result
