"""GraphQL types as JSON Schema (2020-12, as OpenAPI 3.1 uses it).

Inputs are described by type (input objects and enums become named components); outputs by
the operation's selection set, so a response schema has exactly the keys the operation
asks for, aliases included. Custom scalars take the JSON Schema the mapping gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
)
from graphql.pyutils import Undefined

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

    def __init__(self, schema: GraphQLSchema, scalars: Mapping[str, Mapping[str, Any]]) -> None:
        self.schema = schema
        self.scalars = scalars
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
            for name, field in kind.fields.items():
                properties[name] = described(self.input(field.type), field.description)
                if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined:
                    required.append(name)
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
        properties: dict[str, Schema] = {}
        required: list[str] = []
        self._collect(parent, parent, selection_set, fragments, properties, required, True)
        schema: Schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema

    def _collect(
        self,
        parent: Any,
        runtime: Any,
        selection_set: SelectionSetNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        properties: dict[str, Schema],
        required: list[str],
        always: bool,
    ) -> None:
        for node in selection_set.selections:
            conditional = not always or bool(node.directives)
            if isinstance(node, FieldNode):
                key = (node.alias or node.name).value
                if key in properties:
                    continue
                properties[key] = self._field(runtime, node, fragments)
                if not conditional:
                    required.append(key)
                continue
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else None
                selections = node.selection_set
            elif isinstance(node, FragmentSpreadNode):
                fragment = fragments[node.name.value]
                condition, selections = fragment.type_condition.name.value, fragment.selection_set
            else:  # pragma: no cover - graphql-core has no other selections
                continue
            target = self.schema.get_type(condition) if condition else runtime
            narrows = condition is not None and target is not runtime
            self._collect(parent, target, selections, fragments, properties, required,
                          not conditional and not narrows)  # fmt: skip

    def _field(
        self, parent: Any, node: FieldNode, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> Schema:
        name = node.name.value
        if name == "__typename":
            return {"type": "string", "description": "The object's GraphQL type."}
        definition = parent.fields[name]
        schema = self.output(definition.type, node.selection_set, fragments)
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
            return described(self.selection(kind, selection_set, fragments), kind.description)
        return self.leaf(kind)


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
