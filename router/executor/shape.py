"""Shape merged subgraph data into the client's response.

Follows the client's selection set in order, with its aliases; drops fields the router
added for joins; evaluates ``@skip``/``@include``; applies GraphQL null propagation for
non-null fields of the API schema, adding an error only where no error explains the null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
    is_leaf_type,
    value_from_ast,
)
from graphql import GraphQLBoolean as _Boolean

from .errors import GraphQLErrorDict, Path

_INVALID = object()  # a null that must propagate to the nearest nullable parent


@dataclass
class Shaper:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    errors: list[GraphQLErrorDict]

    def shape_root(
        self, root: GraphQLObjectType, selection_set: SelectionSetNode, data: dict[str, Any]
    ) -> dict[str, Any] | None:
        shaped = self._object(root, selection_set, data, [])
        return None if shaped is _INVALID else shaped

    # selection collection ---------------------------------------------------------

    def collect(
        self, runtime: GraphQLObjectType, selection_set: SelectionSetNode
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        self._collect_into(runtime, selection_set, fields, set())
        return fields

    def _collect_into(
        self,
        runtime: GraphQLObjectType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, runtime):
                    self._collect_into(runtime, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, runtime):
                    self._collect_into(runtime, fragment.selection_set, fields, visited)

    def _applies(self, condition: str, runtime: GraphQLObjectType) -> bool:
        if condition == runtime.name:
            return True
        named = self.schema.get_type(condition)
        return is_abstract_type(named) and self.schema.is_sub_type(named, runtime)

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            argument = next((a for a in directive.arguments if a.name.value == "if"), None)
            value = value_from_ast(argument.value, _Boolean, self.variables) if argument else None
            if (name == "skip" and value is True) or (name == "include" and value is not True):
                return False
        return True

    # completion ------------------------------------------------------------------------

    def _object(
        self,
        runtime: GraphQLObjectType,
        selection_set: SelectionSetNode,
        source: dict[str, Any],
        path: Path,
    ) -> Any:
        out: dict[str, Any] = {}
        for key, nodes in self.collect(runtime, selection_set).items():
            name = nodes[0].name.value
            if name == "__typename":
                out[key] = runtime.name
                continue
            definition = runtime.fields.get(name)
            if definition is None:  # introspection meta-fields are answered elsewhere
                out[key] = source.get(key)
                continue
            value = self._value(
                definition.type, nodes, source.get(key), [*path, key], runtime, name
            )
            if value is _INVALID:
                return _INVALID
            out[key] = value
        return out

    def _value(
        self,
        type_: GraphQLOutputType,
        nodes: list[FieldNode],
        value: Any,
        path: Path,
        parent: GraphQLObjectType,
        field_name: str,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self._value(type_.of_type, nodes, value, path, parent, field_name)
            if completed is None or completed is _INVALID:
                self._null_error(path, f"{parent.name}.{field_name}")
                return _INVALID
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return self._list(type_, nodes, value, path, parent, field_name)
        if is_leaf_type(type_):
            return self._leaf(type_, value, path)
        completed = self._composite(type_, nodes, value, path)
        return None if completed is _INVALID else completed  # a nullable field absorbs it

    def _list(
        self,
        type_: GraphQLList[Any],
        nodes: list[FieldNode],
        value: Any,
        path: Path,
        parent: GraphQLObjectType,
        field_name: str,
    ) -> Any:
        if not isinstance(value, list):
            self._error(path, f"Expected a list for {parent.name}.{field_name}.")
            return None
        items = []
        for index, item in enumerate(value):
            completed = self._value(type_.of_type, nodes, item, [*path, index], parent, field_name)
            if completed is _INVALID:
                return None
            items.append(completed)
        return items

    def _leaf(self, type_: Any, value: Any, path: Path) -> Any:
        if isinstance(type_, GraphQLEnumType) and value not in type_.values:
            self._error(path, f"Invalid value {value!r} for enum {type_.name}.")
            return None
        return value

    def _composite(self, type_: Any, nodes: list[FieldNode], value: Any, path: Path) -> Any:
        if not isinstance(value, dict):
            self._error(path, f"Expected an object of type {type_.name}.")
            return None
        runtime = self._runtime_type(type_, value, path)
        if runtime is None:
            return None
        merged = _merge_selection_sets(nodes)
        return self._object(runtime, merged, value, path)

    def _runtime_type(
        self, type_: Any, value: dict[str, Any], path: Path
    ) -> GraphQLObjectType | None:
        if isinstance(type_, GraphQLObjectType):
            return type_
        abstract: GraphQLAbstractType = type_
        typename = value.get("__typename")
        runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
        if isinstance(runtime, GraphQLObjectType) and self.schema.is_sub_type(abstract, runtime):
            return runtime
        possible = self.schema.get_possible_types(abstract)
        if typename is None and len(possible) == 1:
            return possible[0]
        if typename is not None:
            self._error(path, f"Abstract type {abstract.name} resolved to unknown {typename!r}.")
        else:
            self._error(path, f"Could not determine the runtime type of {abstract.name}.")
        return None

    # errors ----------------------------------------------------------------------------

    def _null_error(self, path: Path, coordinate: str) -> None:
        if not self._explained(path):
            self._error(path, f"Cannot return null for non-nullable field {coordinate}.")

    def _explained(self, path: Path) -> bool:
        for error in self.errors:
            other = error.get("path")
            if other is None:
                continue
            shorter = min(len(other), len(path))
            if other[:shorter] == path[:shorter]:
                return True
        return False

    def _error(self, path: Path, message: str) -> None:
        self.errors.append({"message": message, "path": list(path)})


def _merge_selection_sets(nodes: list[FieldNode]) -> SelectionSetNode:
    if len(nodes) == 1 and nodes[0].selection_set is not None:
        return nodes[0].selection_set
    selections = tuple(s for n in nodes if n.selection_set for s in n.selection_set.selections)
    return SelectionSetNode(selections=selections)


def shape_response(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    data: dict[str, Any],
    errors: list[GraphQLErrorDict],
) -> dict[str, Any] | None:
    """The client's ``data``; appends null-propagation errors to ``errors``."""
    root = schema.get_root_type(operation.operation)
    assert root is not None, "operation was validated against the schema"
    return Shaper(schema, fragments, variables, errors).shape_root(
        root, operation.selection_set, data
    )
