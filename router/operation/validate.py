"""Stage 6, validate: the document against the API schema, then the operation to run.

Every validation error is reported (graphql-core stops at 100), each with its locations.
Production's introspection switch is applied here too, as a rule of this router.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    Visitor,
    get_operation_ast,
    validate,
    visit,
)

from router.errors import (
    GRAPHQL_UNKNOWN_OPERATION_NAME,
    GRAPHQL_VALIDATION_FAILED,
    INTROSPECTION_DISABLED,
    RouterError,
    graphql_error,
)

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class ValidOperation:
    """A validated document and the operation of it that a request runs."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    operation_name: str | None  # as the request named it

    @property
    def kind(self) -> str:
        return self.operation.operation.value  # "query", "mutation" or "subscription"


def validate_document(
    schema: GraphQLSchema, document: DocumentNode, *, introspection: bool = True
) -> None:
    errors = validate(schema, document)
    if errors:
        raise RouterError(
            GRAPHQL_VALIDATION_FAILED,
            errors[0].message,
            errors=[_validation_error(e) for e in errors],
        )
    if not introspection and uses_introspection(document):
        raise RouterError(INTROSPECTION_DISABLED, "Introspection is disabled on this router.")


def select_operation(document: DocumentNode, operation_name: str | None) -> ValidOperation:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f"Unknown operation named {operation_name!r}."
            if operation_name
            else "The document has several operations: name one with operationName."
        )
        raise RouterError(GRAPHQL_UNKNOWN_OPERATION_NAME, message)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return ValidOperation(document, operation, fragments, operation_name)


def _validation_error(error: GraphQLError) -> dict[str, object]:
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]
    return graphql_error(error.message, GRAPHQL_VALIDATION_FAILED, locations=locations)


class _IntrospectionFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_args: object) -> object:
        if node.name.value in INTROSPECTION_ROOTS:
            self.found = True
            return Visitor.BREAK
        return None


def uses_introspection(document: DocumentNode) -> bool:
    """True when any field of the document (fragments included) is ``__schema`` or ``__type``.

    Validation allows these only on the query root, but through fragments and inline
    fragments too, so the whole document is searched, not only the top-level selections.
    """
    finder = _IntrospectionFinder()
    visit(document, finder)
    return finder.found
