"""Where a REST answer's resources are: their ``object`` tags, references answered as ids,
and the REST names of the keys (``naming.py``).

A *resource* is an object of a type with an ``id`` field (a customer, an order); Stripe's
clients expect each to say what it is (``"object": "customer"``). A nested resource whose
operation selects only its ``id`` unconditionally is a *reference*, answered as the id
string (``"customer": "cus_…"``); what an ``@include(if: $expand_…)`` adds to it is its
expansion (``expand[]=customer``), answered as the tagged object.

    customer { id ...CustomerFields @include(if: $expand_customer) }
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
)

from router.rest.naming import Naming


@dataclass(frozen=True, slots=True)
class Shape:
    """What is at one place of a resource: its tag, whether it is a reference, its fields."""

    object: str | None = None  # the tag of the objects here
    reference: bool = False  # selected as `{ id }` (plus expansions): the id unless expanded
    fields: Mapping[str, Shape] = field(default_factory=dict)  # response key → its shape
    names: Mapping[str, str] = field(default_factory=dict)  # response key → its REST name


def is_resource(kind: Any) -> bool:
    return isinstance(kind, GraphQLObjectType) and "id" in kind.fields


def apply(value: Any, shape: Shape, *, top: bool = False) -> Any:
    """``value`` with its resources tagged and its unexpanded references as ids."""
    if isinstance(value, list):
        return [apply(item, shape, top=top) for item in value]
    if not isinstance(value, dict):
        return value
    if shape.reference and not top and set(value) == {"id"}:
        return value["id"]
    answer = {
        shape.names.get(key, key): apply(item, shape.fields[key]) if key in shape.fields else item
        for key, item in value.items()
    }
    if shape.object is not None:
        answer = {"object": shape.object, **answer}
    return answer


def walk(shape: Shape, path: tuple[str, ...]) -> Shape | None:
    """The shape at ``path``, a path of REST names (``expand[]``'s)."""
    for part in path:
        keys = [key for key in shape.fields if shape.names.get(key, key) == part]
        if not keys:
            return None
        shape = shape.fields[keys[0]]
    return shape


class ShapeBuilder:
    """Shapes of an operation's selections, by the API schema's types."""

    def __init__(self, schema: GraphQLSchema, naming: Naming) -> None:
        self.schema, self.naming = schema, naming

    def route(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        result: tuple[str, ...],
        paginated: bool,
        expand: Iterable[str],
    ) -> Shape:
        """A route's resource shape (a list route's: its objects'), its ``expand[]`` paths
        checked to be references (ValueError)."""
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}  # fmt: skip
        shape = self.resource(operation, fragments, result)
        if paginated:
            shape = replace(shape.fields.get("nodes", Shape()), reference=False)
        else:
            shape = replace(shape, object=self.top_name(operation, fragments, result),
                            reference=False)  # fmt: skip
        listed = paginated or self.result_type(operation, fragments, result)[1]
        for name in expand:
            parts = tuple(name.split("."))
            if listed:
                if parts[0] != "data":
                    raise ValueError(f"expand {name!r}: a list's paths start with `data.`")
                parts = parts[1:]
            found = walk(shape, parts)
            if found is None or not found.reference:
                raise ValueError(
                    f"expand {name!r}: not a reference (`{{ id ...@include(if: $variable) }}`)"
                )
        return shape

    def resource(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        result: tuple[str, ...],
    ) -> Shape:
        """The shape of the data at ``result``, tagged whatever its type (it is the resource)."""
        root = self.schema.get_root_type(operation.operation)
        shape = self._selection(root, operation.selection_set, fragments, nested=False)
        for key in result:
            shape = shape.fields.get(key, Shape())
        return shape

    def top_name(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        result: tuple[str, ...],
    ) -> str | None:
        """The tag of the resource at ``result`` (its type's, a union's included)."""
        kind, _ = self.result_type(operation, fragments, result)
        if isinstance(kind, GraphQLObjectType) or is_abstract_type(kind):
            return self.naming.object(kind)
        return None

    def result_type(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        result: tuple[str, ...],
    ) -> tuple[Any, bool]:
        """The named type at ``result``, and whether the field there is a list."""
        kind: Any = self.schema.get_root_type(operation.operation)
        selection_set: SelectionSetNode | None = operation.selection_set
        listed = False
        for key in result:
            node = _field_node(selection_set, key, fragments) if selection_set else None
            if node is None or not hasattr(kind, "fields") or node.name.value not in kind.fields:
                return None, False
            field_type = kind.fields[node.name.value].type
            listed = isinstance(get_nullable_type(field_type), GraphQLList)
            kind, selection_set = get_named_type(field_type), node.selection_set
        return kind, listed

    def _selection(
        self,
        kind: Any,
        selection_set: SelectionSetNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        nested: bool,
    ) -> Shape:
        found = collect(self.schema, kind, selection_set, fragments)
        fields = {}
        for key, selected in found.fields.items():
            merged = selected.selection_set
            if merged is not None:
                child = get_named_type(selected.parent.fields[selected.name].type)
                fields[key] = self._selection(child, merged, fragments, True)
        resource = is_resource(kind)
        names = self.naming.names(found.fields, getattr(kind, "name", "?"))
        return Shape(
            object=self.naming.object(kind) if resource else None,
            reference=nested and resource and found.always == {"id"},
            fields=fields,
            names={key: name for key, name in names.items() if key != name},
        )


@dataclass(frozen=True, slots=True)
class Selected:
    """One response key of a selection set: its field, and every sub-selection asked of it."""

    parent: Any  # the type the field is selected on
    name: str
    selection_set: SelectionSetNode | None


@dataclass(frozen=True, slots=True)
class Collected:
    fields: dict[str, Selected]  # response key → the field, in the order first selected
    always: set[str]  # the keys selected unconditionally (no directive, no narrowing)


def collect(
    schema: GraphQLSchema,
    kind: Any,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Collected:
    """The fields of ``selection_set`` on ``kind``, fragments flattened; a key selected more
    than once has all its sub-selections merged, as GraphQL executes it."""
    nodes: dict[str, list[tuple[Any, FieldNode]]] = {}
    always: set[str] = set()
    _collect(schema, kind, selection_set, fragments, nodes, always, True)
    fields = {}
    for key, found in nodes.items():
        parent, first = found[0]
        inner = [s for _, n in found if n.selection_set for s in n.selection_set.selections]
        merged = SelectionSetNode(selections=tuple(inner)) if first.selection_set else None
        fields[key] = Selected(parent, first.name.value, merged)
    return Collected(fields, always)


def _collect(
    schema: GraphQLSchema,
    runtime: Any,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    nodes: dict[str, list[tuple[Any, FieldNode]]],
    always: set[str],
    unconditional: bool,
) -> None:
    for node in selection_set.selections:
        conditional = not unconditional or bool(node.directives)
        if isinstance(node, FieldNode):
            key = (node.alias or node.name).value
            nodes.setdefault(key, []).append((runtime, node))
            if not conditional:
                always.add(key)
            continue
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            selections = node.selection_set
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments[node.name.value]
            condition, selections = fragment.type_condition.name.value, fragment.selection_set
        else:  # pragma: no cover - graphql-core has no other selections
            continue
        target = schema.get_type(condition) if condition else runtime
        narrows = condition is not None and target is not runtime
        _collect(schema, target, selections, fragments, nodes, always,
                 not conditional and not narrows)  # fmt: skip


def _field_node(
    selection_set: SelectionSetNode, key: str, fragments: Mapping[str, FragmentDefinitionNode]
) -> FieldNode | None:
    for node in selection_set.selections:
        if isinstance(node, FieldNode) and (node.alias or node.name).value == key:
            return node
        inner = None
        if isinstance(node, InlineFragmentNode):
            inner = node.selection_set
        elif isinstance(node, FragmentSpreadNode):
            inner = fragments[node.name.value].selection_set
        found = _field_node(inner, key, fragments) if inner is not None else None
        if found is not None:
            return found
    return None
