"""Remove what an identity may not see from an operation, before it is planned.

Apollo Router's semantics: an unauthorized field (its own requirements, or its return
type's) is removed from the operation sent to subgraphs, answered as `null`, and reported
with an `UNAUTHORIZED_FIELD_OR_TYPE` error at its path (`@` for list positions). An
unauthorized non-null field nulls its nearest nullable ancestor instead (as a field error
would), up to `data` itself. A fragment whose type condition is unauthorized is removed
with an error at its position.

The result has the document to plan (fragments inlined, unauthorized selections gone,
`__typename` where a selection set would be left empty) and, for the response shaper, the
client's field nodes to answer as null and the fragment nodes to ignore.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    is_list_type,
)

from router.errors import UNAUTHORIZED_FIELD_OR_TYPE, GraphQLErrorDict, graphql_error
from router.supergraph.access import AccessRules, Requirement

Allowed = Callable[[Requirement], bool]
TYPENAME = FieldNode(name=NameNode(value="__typename"))


@dataclass(frozen=True, slots=True)
class Filtered:
    """What the planner, the shaper and the response get from the authorization stage."""

    document: DocumentNode  # to plan: one operation, fragments inlined
    nulled: frozenset[int]  # ids of the client's FieldNodes answered as null
    dropped: frozenset[int]  # ids of fragment nodes the shaper ignores
    errors: tuple[GraphQLErrorDict, ...]
    data_nulled: bool  # a non-null root field was unauthorized: `data` is null


def touched_requirements(
    schema: GraphQLSchema,
    rules: AccessRules,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> frozenset[Requirement]:
    """Every requirement the operation meets anywhere (one walk; cached per operation)."""
    found: set[Requirement] = set()
    root = schema.get_root_type(operation.operation)
    assert root is not None
    seen: set[tuple[str, int]] = set()

    def walk(type_name: str, selection_set: SelectionSetNode) -> None:
        if (type_name, id(selection_set)) in seen:
            return
        seen.add((type_name, id(selection_set)))
        parent = schema.get_type(type_name)
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                definition = getattr(parent, "fields", {}).get(selection.name.value)
                if definition is None:
                    continue
                named = get_named_type(definition.type).name
                found.update(rules.fields.get((type_name, selection.name.value), ()))
                found.update(rules.types.get(named, ()))
                if selection.selection_set is not None:
                    walk(named, selection.selection_set)
            else:
                condition, inner = _fragment(selection, fragments, type_name)
                if inner is not None:
                    found.update(rules.types.get(condition, ()))
                    walk(condition, inner)

    walk(root.name, operation.selection_set)
    return frozenset(found)


def filter_operation(
    schema: GraphQLSchema,
    rules: AccessRules,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    allowed: Allowed,
) -> Filtered:
    walker = _Filter(schema, rules, fragments, allowed)
    root = schema.get_root_type(operation.operation)
    assert root is not None
    selections = walker.selection_set(root.name, operation.selection_set, ())
    planned = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=selections,
    )
    return Filtered(
        DocumentNode(definitions=(planned,)),
        frozenset(walker.nulled),
        frozenset(walker.dropped),
        tuple(walker.errors),
        walker.data_nulled,
    )


@dataclass
class _Filter:
    schema: GraphQLSchema
    rules: AccessRules
    fragments: Mapping[str, FragmentDefinitionNode]
    allowed: Allowed
    nulled: set[int] = field(default_factory=set)
    dropped: set[int] = field(default_factory=set)
    errors: list[GraphQLErrorDict] = field(default_factory=list)
    data_nulled: bool = False
    # the field nodes on the way down, with whether each is nullable (for bubbling)
    ancestors: list[tuple[FieldNode, bool]] = field(default_factory=list)
    bubbled: set[int] = field(default_factory=set)

    def selection_set(
        self, type_name: str, selection_set: SelectionSetNode, path: tuple[str, ...]
    ) -> SelectionSetNode:
        kept: list[SelectionNode] = []
        for selection in selection_set.selections:
            one = self.selection(type_name, selection, path)
            if one is not None:
                kept.append(one)
        return SelectionSetNode(selections=tuple(kept or (TYPENAME,)))

    def selection(
        self, type_name: str, selection: SelectionNode, path: tuple[str, ...]
    ) -> SelectionNode | None:
        if isinstance(selection, FieldNode):
            return self.field(type_name, selection, path)
        condition, inner = _fragment(selection, self.fragments, type_name)
        if inner is None:
            return None
        if not self._permits(self.rules.types.get(condition, ())):
            self.dropped.add(id(selection))
            self._error(f"Unauthorized type {condition}", path, selection)
            return None
        directives = selection.directives
        body = self.selection_set(condition, inner, path)
        return InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=condition)),
            directives=directives,
            selection_set=body,
        )

    def field(self, type_name: str, node: FieldNode, path: tuple[str, ...]) -> FieldNode | None:
        parent = self.schema.get_type(type_name)
        definition = getattr(parent, "fields", {}).get(node.name.value)
        key = (node.alias or node.name).value
        if definition is None:  # __typename and introspection meta-fields
            return node
        type_: GraphQLOutputType = definition.type
        named = get_named_type(type_).name
        demands = self.rules.fields.get((type_name, node.name.value), ()) + self.rules.types.get(
            named, ()
        )
        here = (*path, key)
        if not self._permits(demands):
            self._error(f"Unauthorized field or type {type_name}.{node.name.value}", here, node)
            self._null(node, nullable=not isinstance(type_, GraphQLNonNull))
            return None
        if id(node) in self.bubbled or node.selection_set is None:
            return None if id(node) in self.bubbled else node
        self.ancestors.append((node, not isinstance(type_, GraphQLNonNull)))
        try:
            below = (*here, "@") if is_list_type(_nullable(type_)) else here
            body = self.selection_set(named, node.selection_set, below)
        finally:
            self.ancestors.pop()
        if id(node) in self.bubbled:
            return None
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=body,
        )

    def _null(self, node: FieldNode, *, nullable: bool) -> None:
        """Answer ``node`` as null; a non-null one takes its nearest nullable ancestor along."""
        if nullable:
            self.nulled.add(id(node))
            return
        for ancestor, ancestor_nullable in reversed(self.ancestors):
            self.bubbled.add(id(ancestor))
            if ancestor_nullable:
                self.nulled.add(id(ancestor))
                return
        self.data_nulled = True

    def _permits(self, demands: tuple[Requirement, ...]) -> bool:
        return all(self.allowed(demand) for demand in demands)

    def _error(self, message: str, path: tuple[str, ...], node: Any) -> None:
        locations = []
        if node.loc is not None:
            location = node.loc.source.get_location(node.loc.start)
            locations = [{"line": location.line, "column": location.column}]
        self.errors.append(
            graphql_error(message, UNAUTHORIZED_FIELD_OR_TYPE, path=path, locations=locations)
        )


def _nullable(type_: GraphQLOutputType) -> GraphQLOutputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _fragment(
    selection: SelectionNode, fragments: Mapping[str, FragmentDefinitionNode], type_name: str
) -> tuple[str, SelectionSetNode | None]:
    if isinstance(selection, InlineFragmentNode):
        condition = selection.type_condition
        return (condition.name.value if condition else type_name), selection.selection_set
    assert isinstance(selection, FragmentSpreadNode)
    fragment = fragments.get(selection.name.value)
    if fragment is None:
        return type_name, None
    return fragment.type_condition.name.value, fragment.selection_set
