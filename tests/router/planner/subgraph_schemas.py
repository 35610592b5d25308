"""Subgraph schemas as a subgraph serves them (with `_entities`), to validate fetches."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    build_ast_schema,
    parse,
    print_ast,
)

from tests.kit.subgraph import extensions_as_definitions

FEDERATION = "\nscalar _Any\n"  # directives need no definitions: the SDL is assumed valid


def subgraph_schema(path: Path) -> GraphQLSchema:
    """The subgraph's schema plus `_entities` over its types with a resolvable @key."""
    document = extensions_as_definitions(parse(path.read_text()))
    text = print_ast(document)
    if "_entities" in text:
        return build_ast_schema(document, assume_valid_sdl=True)
    entities = _entity_names(document)
    extra = FEDERATION
    if entities:
        extra += f"union _Entity = {' | '.join(entities)}\n"
        query = "extend type Query" if _has_query(document) else "type Query"
        extra += f"{query} {{ _entities(representations: [_Any!]!): [_Entity]! }}\n"
    return build_ast_schema(parse(text + extra), assume_valid_sdl=True)


def _entity_names(document: DocumentNode) -> list[str]:
    names = []
    for definition in document.definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            continue
        directives = [d.name.value for d in definition.directives or ()]
        if "key" in directives or "interfaceObject" in directives:
            names.append(definition.name.value)
    return names


def _has_query(document: DocumentNode) -> bool:
    return any(
        isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Query"
        for d in document.definitions
    )
