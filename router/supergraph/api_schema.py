"""Derive the client-facing API schema: no link/join machinery, no @inaccessible elements."""

from __future__ import annotations

import dataclasses
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
)

from router.supergraph.links import Links


def build_api_schema(document: DocumentNode, links: Links) -> GraphQLSchema:
    """The schema clients see, built from the supergraph's document."""
    stripper = _Stripper(links, document)
    definitions = [d for d in map(stripper.definition, document.definitions) if d is not None]
    return build_ast_schema(DocumentNode(definitions=tuple(definitions)))


class _Stripper:
    """Removes spec machinery and inaccessible elements from definitions."""

    def __init__(self, links: Links, document: DocumentNode) -> None:
        self.links = links
        self.inaccessible = links.prefix("inaccessible")
        self.hidden_types = {
            d.name.value
            for d in document.definitions
            if isinstance(d, TypeDefinitionNode)
            and (self._is_inaccessible(d) or links.machinery_type(d.name.value))
        }

    def _is_inaccessible(self, node: Any) -> bool:
        return any(d.name.value == self.inaccessible for d in node.directives or ())

    def _directives(self, node: Any) -> tuple[Any, ...]:
        kept = (
            d for d in node.directives or () if not self.links.machinery_directive(d.name.value)
        )
        return tuple(kept)

    def _named(self, type_node: Any) -> str:
        while not isinstance(type_node, NamedTypeNode):
            type_node = type_node.type
        return type_node.name.value

    def definition(self, node: Any) -> Any:
        if isinstance(node, DirectiveDefinitionNode):
            return None if self.links.machinery_directive(node.name.value) else node
        if isinstance(node, SchemaDefinitionNode):
            return _replace(node, directives=self._directives(node))
        if not isinstance(node, TypeDefinitionNode) or node.name.value in self.hidden_types:
            return None
        changes: dict[str, Any] = {"directives": self._directives(node)}
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            changes["fields"] = self._fields(node.fields)
            changes["interfaces"] = self._type_refs(node.interfaces)
        elif isinstance(node, UnionTypeDefinitionNode):
            changes["types"] = self._type_refs(node.types)
        elif isinstance(node, EnumTypeDefinitionNode):
            changes["values"] = tuple(
                _replace(v, directives=self._directives(v))
                for v in node.values or ()
                if not self._is_inaccessible(v)
            )
        elif isinstance(node, InputObjectTypeDefinitionNode):
            changes["fields"] = self._inputs(node.fields)
        return _replace(node, **changes)

    def _type_refs(self, refs: Any) -> tuple[NamedTypeNode, ...]:
        return tuple(r for r in refs or () if r.name.value not in self.hidden_types)

    def _fields(self, fields: Any) -> tuple[FieldDefinitionNode, ...]:
        return tuple(
            _replace(f, directives=self._directives(f), arguments=self._inputs(f.arguments))
            for f in fields or ()
            if not self._is_inaccessible(f) and self._named(f.type) not in self.hidden_types
        )

    def _inputs(self, inputs: Any) -> tuple[InputValueDefinitionNode, ...]:
        return tuple(
            _replace(i, directives=self._directives(i))
            for i in inputs or ()
            if not self._is_inaccessible(i) and self._named(i.type) not in self.hidden_types
        )


def _replace(node: Any, **changes: Any) -> Any:
    return dataclasses.replace(node, **changes)
