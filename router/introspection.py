"""Answer introspection (``__schema``, ``__type``) from the API schema, next to planned fields."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
)

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


def introspection_fields(operation: OperationDefinitionNode) -> list[FieldNode]:
    """The operation's root ``__schema``/``__type`` fields (top level only, as clients send)."""
    return [
        s
        for s in operation.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value in INTROSPECTION_ROOTS
    ]


def run_introspection(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    fields: list[FieldNode],
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
