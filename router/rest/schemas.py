"""GraphQL types as JSON Schema (2020-12, as OpenAPI 3.1 uses it).

Inputs are described by type (input objects and enums become named components); outputs by
the operation's selection set, so a response schema has exactly the keys the operation
asks for, aliases included. Custom scalars take the JSON Schema the mapping gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    SelectionSetNode,
    is_abstract_type,
)
from graphql.pyutils import Undefined

from router.rest.naming import Naming
from router.rest.shapes import Selected, collect, is_resource

Schema = dict[str, Any]
INT_RANGE = {"minimum": -(2**31), "maximum": 2**31 - 1}
BUILT_IN: dict[str, Schema] = {
    "Int": {"type": "integer", **INT_RANGE},
    "Float": {"type": "number"},
    "String": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "ID": {"type": "string"},
}


class SchemaBuilder:
    """Builds schemas, collecting named input objects and enums in ``components``."""

    def __init__(
        self,
        schema: GraphQLSchema,
        scalars: Mapping[str, Mapping[str, Any]],
        naming: Naming | None = None,
    ) -> None:
        self.schema = schema
        self.scalars = scalars
        self.naming = naming or Naming()
        self.components: dict[str, Schema] = {}

    # inputs -----------------------------------------------------------------------------
    def input(self, kind: Any) -> Schema:
        if isinstance(kind, GraphQLNonNull):
            return self._required_input(kind.of_type)
        return nullable(self._required_input(kind))

    def _required_input(self, kind: Any) -> Schema:
        if isinstance(kind, GraphQLList):
            return {"type": "array", "items": self.input(kind.of_type)}
        if isinstance(kind, GraphQLInputObjectType):
            return self._input_object(kind)
        return self.leaf(kind)

    def _input_object(self, kind: GraphQLInputObjectType) -> Schema:
        if kind.name not in self.components:
            self.components[kind.name] = {}  # recursion stops here
            properties = {}
            required = []
            names = self.naming.names(kind.fields, kind.name)
            for name, field in kind.fields.items():
                rest = names[name]
                properties[rest] = described(self.input(field.type), field.description)
                if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined:
                    required.append(rest)
            component: Schema = {"type": "object", "properties": properties}
            if required:
                component["required"] = required
            component["additionalProperties"] = False
            self.components[kind.name] = described(component, kind.description)
        return {"$ref": f"#/components/schemas/{kind.name}"}

    def leaf(self, kind: GraphQLNamedType) -> Schema:
        if isinstance(kind, GraphQLEnumType):
            if kind.name not in self.components:
                values = list(kind.values)
                self.components[kind.name] = described({"type": "string", "enum": values},
                                                       kind.description)  # fmt: skip
            return {"$ref": f"#/components/schemas/{kind.name}"}
        if isinstance(kind, GraphQLScalarType):
            given = self.scalars.get(kind.name)
            if given is not None:
                return dict(given)
            return dict(BUILT_IN.get(kind.name, {"description": kind.description or kind.name}))
        raise TypeError(f"{kind} is not a leaf type")

    # outputs ----------------------------------------------------------------------------
    def selection(
        self,
        parent: Any,
        selection_set: SelectionSetNode,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> Schema:
        found = collect(self.schema, parent, selection_set, fragments)
        names = self.naming.names(found.fields, getattr(parent, "name", "?"))
        properties = {
            names[key]: self._field(selected, fragments) for key, selected in found.fields.items()
        }
        schema: Schema = {"type": "object", "properties": properties}
        required = [names[key] for key in found.fields if key in found.always]
        if required:
            schema["required"] = required
        return schema

    def _field(self, selected: Selected, fragments: Mapping[str, FragmentDefinitionNode]) -> Schema:
        if selected.name == "__typename":
            return {"type": "string", "description": "The object's GraphQL type."}
        definition = selected.parent.fields[selected.name]
        schema = self.output(definition.type, selected.selection_set, fragments)
        return described(schema, definition.description)

    def output(
        self,
        kind: Any,
        selection_set: SelectionSetNode | None,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> Schema:
        if isinstance(kind, GraphQLNonNull):
            return self._required_output(kind.of_type, selection_set, fragments)
        return nullable(self._required_output(kind, selection_set, fragments))

    def _required_output(
        self,
        kind: Any,
        selection_set: SelectionSetNode | None,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> Schema:
        if isinstance(kind, GraphQLList):
            return {"type": "array", "items": self.output(kind.of_type, selection_set, fragments)}
        if isinstance(kind, GraphQLObjectType) or is_abstract_type(kind):
            assert selection_set is not None
            schema = self.selection(kind, selection_set, fragments)
            if isinstance(kind, GraphQLObjectType) and is_resource(kind):
                return self._resource(kind, schema)
            return described(schema, kind.description)
        return self.leaf(kind)

    def _resource(self, kind: GraphQLObjectType, schema: Schema) -> Schema:
        """A tagged object; a reference (only ``id`` unconditionally) is its id, or expanded."""
        name = self.naming.object(kind)
        if schema.get("required") != ["id"]:
            return described(tagged(schema, name), kind.description)
        reference = {"type": "string", "description": f"The {name}'s id."}
        if set(schema["properties"]) == {"id"}:
            return reference
        expanded = described(tagged(schema, name), f"The {name}, with `expand[]`.")
        return {"anyOf": [reference, expanded]}


def tagged(schema: Schema, name: str) -> Schema:
    """An object schema with its ``object`` tag (``"object": "customer"``), first."""
    properties = {"object": {"type": "string", "const": name}, **schema.get("properties", {})}
    return {**schema, "properties": properties, "required": ["object", *schema.get("required", [])]}


def nullable(schema: Schema) -> Schema:
    kind = schema.get("type")
    if isinstance(kind, str) and "enum" not in schema:
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def described(schema: Schema, description: str | None) -> Schema:
    if not description or "$ref" in schema:
        return schema
    return {**schema, "description": description}


def strip_null(schema: Schema) -> Schema:
    """``schema`` without its null alternative (a resource answered null is a 404)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        return {**schema, "type": rest[0] if len(rest) == 1 else rest}
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            extra = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**kept[0], **extra}
    return schema
