"""Normalise an operation before planning: fragments inlined, repeated selections merged.

Planning walks selections; a document can describe exponentially many of them in a few
bytes (`fragment F0 on Query { ...F1 ...F1 }`, thirty times over). Normalising first keeps
planning polynomial in the document's size:

- fragment spreads become inline fragments, and one spread of a fragment (with the same
  directives) is read once per selection set, however often it is repeated;
- fragments that always apply where they stand (no type condition, the parent's own type
  or an abstract type the parent belongs to, and no directives) dissolve into the parent;
- fields with the same response key and the same directives merge into their first
  occurrence, their sub-selections normalised together; so do inline fragments with the
  same type condition and directives (their order only matters for the response, which
  the shaper builds from the client's own document);
- `@skip`/`@include` with literal arguments are applied, and a condition an enclosing
  selection already imposes is dropped.

Every selection read costs a work unit and every selection written a node of the budget,
so an operation whose expansion is genuinely exponential is refused, not planned.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    print_ast,
)
from graphql.type.definition import get_named_type

from router.planner.budget import BudgetMeter

_CONDITIONS = ("skip", "include")
Applied = frozenset[Hashable]


@dataclass
class _FieldEntry:
    node: FieldNode
    sets: list[SelectionSetNode] = field(default_factory=list)


@dataclass
class _FragmentEntry:
    type_condition: NamedTypeNode | None
    directives: tuple[DirectiveNode, ...]
    sets: list[SelectionSetNode] = field(default_factory=list)


_Entry = _FieldEntry | _FragmentEntry


def normalize_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    meter: BudgetMeter,
) -> OperationDefinitionNode:
    """The operation with no fragment spreads and every response key selected once per
    selection set and set of conditions; valid against `schema` when the input was."""
    root = schema.get_root_type(operation.operation)
    assert root is not None, "the operation was validated against the schema"
    normalizer = _Normalizer(schema, fragments, meter)
    selection_set = normalizer.selection_set(root, [operation.selection_set], frozenset())
    return replace(operation, selection_set=selection_set)


class _Normalizer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        meter: BudgetMeter,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.meter = meter

    def selection_set(
        self, parent: GraphQLNamedType, sets: list[SelectionSetNode], applied: Applied
    ) -> SelectionSetNode:
        """One normalised selection set from every set that merges at this position."""
        entries: dict[Hashable, _Entry] = {}
        visited: set[Hashable] = set()
        for selection_set in sets:
            self._gather(parent, selection_set, applied, entries, visited)
        selections = [self._build(parent, entry, applied) for entry in entries.values()]
        self.meter.add_nodes(len(selections))
        return SelectionSetNode(selections=tuple(selections))

    def _gather(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode,
        applied: Applied,
        entries: dict[Hashable, _Entry],
        visited: set[Hashable],
    ) -> None:
        for selection in selection_set.selections:
            self.meter.spend()
            directives = _kept_directives(selection, applied)
            if directives is None:
                continue  # @skip(if: true) or @include(if: false)
            conditions = _directives_key(directives)
            if isinstance(selection, FieldNode):
                response = (selection.alias or selection.name).value
                key: Hashable = ("field", response, conditions)
                entry = entries.get(key)
                if entry is None:
                    node = replace(selection, directives=directives, selection_set=None)
                    entry = entries[key] = _FieldEntry(node)
                if selection.selection_set is not None:
                    entry.sets.append(selection.selection_set)
                continue
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                definition = self.fragments.get(name)
                if definition is None or (name, conditions) in visited:
                    continue
                visited.add((name, conditions))
                condition: NamedTypeNode | None = definition.type_condition
                inner = definition.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:
                continue
            if self._always_applies(parent, condition):
                if not directives:
                    self._gather(parent, inner, applied, entries, visited)
                    continue
                condition = None  # only the directives remain
            name_key = condition.name.value if condition is not None else None
            key = ("fragment", name_key, conditions)
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = _FragmentEntry(condition, directives)
            entry.sets.append(inner)

    def _always_applies(self, parent: GraphQLNamedType, condition: NamedTypeNode | None) -> bool:
        """Whether every object at `parent` satisfies the type condition (the planner's
        own rule: the parent's type, or an abstract type an object parent belongs to)."""
        if condition is None or condition.name.value == parent.name:
            return True
        target = self.schema.get_type(condition.name.value)
        if not isinstance(parent, GraphQLObjectType) or not is_abstract_type(target):
            return False
        return self.schema.is_sub_type(target, parent)

    def _build(self, parent: GraphQLNamedType, entry: _Entry, applied: Applied) -> SelectionNode:
        if isinstance(entry, _FieldEntry):
            node = entry.node
            if not entry.sets:
                return node
            inner_applied = applied | _directive_keys(node.directives or ())
            child = self._field_type(parent, node.name.value)
            selection_set = self.selection_set(child, entry.sets, inner_applied)
            return replace(node, selection_set=selection_set)
        target = parent
        if entry.type_condition is not None:
            named = self.schema.get_type(entry.type_condition.name.value)
            assert named is not None, "the operation was validated against the schema"
            target = named
        inner_applied = applied | _directive_keys(entry.directives)
        return InlineFragmentNode(
            type_condition=entry.type_condition,
            directives=entry.directives,
            selection_set=self.selection_set(target, entry.sets, inner_applied),
        )

    def _field_type(self, parent: GraphQLNamedType, name: str) -> GraphQLNamedType:
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        if definition is None:  # introspection meta-fields: their types are in the schema
            return _meta_field_type(self.schema, name)
        named: GraphQLNamedType = get_named_type(definition.type)
        return named


def _meta_field_type(schema: GraphQLSchema, name: str) -> GraphQLNamedType:
    named = schema.get_type("__Schema" if name == "__schema" else "__Type")
    assert named is not None
    return named


def _kept_directives(
    selection: SelectionNode, applied: Applied
) -> tuple[DirectiveNode, ...] | None:
    """The selection's directives without literal or already-applied conditions; None
    when a literal condition excludes the selection."""
    if not selection.directives:
        return ()
    kept: list[DirectiveNode] = []
    for directive in selection.directives:
        name = directive.name.value
        if name not in _CONDITIONS:
            kept.append(directive)
            continue
        value = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        if isinstance(value, BooleanValueNode):
            if value.value != (name == "include"):
                return None
            continue
        if _directive_key(directive) not in applied:
            kept.append(directive)
    return tuple(kept)


def _directive_keys(directives: tuple[DirectiveNode, ...]) -> Applied:
    return frozenset(_directive_key(d) for d in directives if d.name.value in _CONDITIONS)


def _directive_key(directive: DirectiveNode) -> Hashable:
    value = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
    if isinstance(value, VariableNode):
        return (directive.name.value, value.name.value)
    return print_ast(directive)


def _directives_key(directives: tuple[DirectiveNode, ...]) -> Hashable:
    if not directives:
        return ()
    return tuple(_directive_key(d) for d in directives)
