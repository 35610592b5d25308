"""The API schema of a supergraph: join/link machinery and @inaccessible elements removed."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLSchema,
    Node,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    build_ast_schema,
    parse,
)

_EXECUTABLE = {
    "QUERY",
    "MUTATION",
    "SUBSCRIPTION",
    "FIELD",
    "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
}


def _hidden(node: Any) -> bool:
    return any(d.name.value == "inaccessible" for d in getattr(node, "directives", None) or ())


def _strip(node: Any, hidden_types: set[str]) -> Any:
    """A copy without @inaccessible children, references to hidden types or directives."""
    if isinstance(node, tuple | list):
        kept = [n for n in node if not _hidden(n) and not _names_hidden(n, hidden_types)]
        return tuple(_strip(n, hidden_types) for n in kept)
    if not isinstance(node, Node):
        return node
    values = {key: _strip(getattr(node, key), hidden_types) for key in node.keys if key != "loc"}
    if "directives" in values:
        values["directives"] = ()
    return type(node)(**values)


def _names_hidden(node: Any, hidden_types: set[str]) -> bool:
    """Union members and implemented interfaces naming a hidden type."""
    name = getattr(node, "name", None)
    return (
        type(node).__name__ == "NamedTypeNode" and name is not None and name.value in hidden_types
    )


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    """The schema clients see."""
    document = parse(supergraph_sdl, no_location=True)
    types = [d for d in document.definitions if isinstance(d, TypeDefinitionNode)]
    hidden_types = {
        d.name.value for d in types if _hidden(d) or d.name.value.startswith(("join__", "link__"))
    }
    kept: list[Any] = [d for d in types if d.name.value not in hidden_types]
    for d in document.definitions:
        if isinstance(d, SchemaDefinitionNode) or (
            isinstance(d, DirectiveDefinitionNode) and _executable(d)
        ):
            kept.append(d)
    stripped = _strip(DocumentNode(definitions=tuple(kept)), hidden_types)
    return build_ast_schema(stripped, assume_valid_sdl=True)


def _executable(d: DirectiveDefinitionNode) -> bool:
    return bool({loc.value for loc in d.locations} & _EXECUTABLE) and "__" not in d.name.value
