"""GraphQL validity of a subgraph, with the federation definitions added as Apollo does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    Undefined,
    Visitor,
    build_ast_schema,
    parse,
    validate_schema,
    value_from_ast,
    visit,
)
from graphql.validation import PossibleTypeExtensionsRule
from graphql.validation.specified_rules import specified_sdl_rules
from graphql.validation.validate import validate_sdl

from schema.errors import CompositionError, CompositionFailed
from schema.links import invalid
from schema.model import Link
from schema.specs import FEDERATION_DIRECTIVES, FEDERATION_TYPES, LINK_IDENTITY

_SDL_RULES = [rule for rule in specified_sdl_rules if rule is not PossibleTypeExtensionsRule]
_STUB_KEYWORDS = {
    "ObjectTypeExtensionNode": "type",
    "InterfaceTypeExtensionNode": "interface",
    "UnionTypeExtensionNode": "union",
    "EnumTypeExtensionNode": "enum",
    "InputObjectTypeExtensionNode": "input",
    "ScalarTypeExtensionNode": "scalar",
}


def validate_graphql(
    subgraph: str,
    document: DocumentNode,
    names: Mapping[str, str],
    links: Sequence[Link],
    version: tuple[int, int],
) -> None:
    """CompositionFailed(INVALID_GRAPHQL) for SDL or schema errors, one per problem."""
    defined = {
        d.name.value
        for d in document.definitions
        if isinstance(d, DirectiveDefinitionNode | TypeDefinitionNode)
    }
    extra = _federation_definitions(names, defined, version)
    extra += _link_definitions(names, links, defined)
    extra += _extension_stubs(document, defined)
    extra += [f"scalar {name}" for name in ("_Any", "_FieldSet") if name not in defined]
    if not _has_query(document, defined):
        extra.append("type Query { _service: String }")
    augmented = DocumentNode(
        definitions=(*document.definitions, *parse("\n".join(extra)).definitions)
    )
    errors: Sequence[GraphQLError] = validate_sdl(augmented, None, _SDL_RULES)
    if errors:
        raise CompositionFailed([invalid(subgraph, e.message) for e in errors])
    schema = build_ast_schema(augmented, assume_valid_sdl=True)
    problems = [
        invalid(subgraph, e.message)
        for e in validate_schema(schema)
        if e.message != "Query root type must be provided."  # federation adds one
    ]
    problems += _directive_values(subgraph, document, schema, names)
    if problems:
        raise CompositionFailed(problems)


class _Applications(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[DirectiveNode] = []

    def enter_directive(self, node: DirectiveNode, *_args: object) -> None:
        self.found.append(node)


def _directive_values(
    subgraph: str, document: DocumentNode, schema: GraphQLSchema, names: Mapping[str, str]
) -> list[CompositionError]:
    """Directive arguments whose value does not fit the argument's type."""
    applications = _Applications()
    visit(document, applications)
    problems = []
    for node in applications.found:
        definition = schema.get_directive(node.name.value)
        canonical = names.get(node.name.value, node.name.value)
        for arg in (node.arguments or ()) if definition else ():
            expected = definition.args.get(arg.name.value) if definition else None
            if expected is None or value_from_ast(arg.value, expected.type) is not Undefined:
                continue
            where = f"@{node.name.value}({arg.name.value}:)"
            if arg.name.value == "fields" and canonical in ("key", "requires", "provides"):
                problems.append(
                    invalid(
                        subgraph,
                        f'Invalid value for argument "{where}": must be a string.',
                        f"{canonical.upper()}_INVALID_FIELDS_TYPE",
                    )
                )
            else:
                problems.append(
                    invalid(subgraph, f'Invalid value for "{where}" of type "{expected.type}".')
                )
    return problems


def _federation_definitions(
    names: Mapping[str, str], defined: set[str], version: tuple[int, int]
) -> list[str]:
    specs = {spec.name: spec for spec in FEDERATION_DIRECTIVES}
    extra = []
    for local, canonical in names.items():
        if local in defined:
            continue
        spec = specs.get(canonical)
        if spec is not None:
            signature = spec.signature
            if canonical == "override" and version < (2, 7):
                signature = "(from: String!) on FIELD_DEFINITION"
            if canonical == "shareable" and version < (2, 2):
                signature = " on OBJECT | FIELD_DEFINITION"
            extra.append(f"directive @{local}{signature}")
        elif canonical in FEDERATION_TYPES:
            extra.append(f"scalar {local}")
    return extra


def _link_definitions(
    names: Mapping[str, str], links: Sequence[Link], defined: set[str]
) -> list[str]:
    link_local = next(k for k, v in names.items() if v == "link")
    prefix = next((ln.name for ln in links if ln.identity == LINK_IDENTITY), "link")
    extra = []
    if link_local not in defined:
        extra.append(
            f"directive @{link_local}(url: String, as: String, for: {prefix}__Purpose, import: "
            f"[{prefix}__Import]) repeatable on SCHEMA"
        )
    if f"{prefix}__Import" not in defined:
        extra.append(f"scalar {prefix}__Import")
    if f"{prefix}__Purpose" not in defined:
        extra.append(f"enum {prefix}__Purpose {{ SECURITY EXECUTION }}")
    return extra


def _extension_stubs(document: DocumentNode, defined: set[str]) -> list[str]:
    """Empty definitions for types only extended here: federation allows those."""
    stubs: dict[str, str] = {}
    for d in document.definitions:
        if isinstance(d, TypeExtensionNode) and d.name.value not in defined:
            stubs.setdefault(d.name.value, f"{_STUB_KEYWORDS[type(d).__name__]} {d.name.value}")
    return list(stubs.values())


def _has_query(document: DocumentNode, defined: set[str]) -> bool:
    extended = {d.name.value for d in document.definitions if isinstance(d, TypeExtensionNode)}
    schema_query = any(
        op.operation.value == "query"
        for d in document.definitions
        if isinstance(d, SchemaDefinitionNode)
        for op in d.operation_types
    )
    return schema_query or "Query" in defined or "Query" in extended
