"""Parse and resolve ``fields:`` selections of @key, @requires and @provides against a subgraph."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from schema.model import Field, Subgraph, TypeDef, base_name


class FieldSetError(Exception):
    """A selection that does not resolve; ``code_suffix`` picks the Apollo error code."""

    def __init__(self, message: str, code_suffix: str = "INVALID_FIELDS") -> None:
        super().__init__(message)
        self.code_suffix = code_suffix


@dataclass(frozen=True)
class Selected:
    """One selected field, resolved: its parent type, definition and sub-selections."""

    parent: str
    field: Field
    children: tuple[Selected, ...]
    has_directives: bool = False


def parse_fieldset(subgraph: Subgraph, parent: TypeDef, text: str) -> tuple[Selected, ...]:
    """Resolve ``text`` (e.g. ``"id org { id }"``) on ``parent``; FieldSetError if it cannot."""
    try:
        document = parse("{" + text + "}")
    except GraphQLSyntaxError as exc:
        raise FieldSetError(exc.message) from None
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    if not operation.selection_set.selections:
        raise FieldSetError('Syntax Error: Expected Name, found "}".')
    return _resolve(subgraph, parent, operation.selection_set)


def _resolve(
    subgraph: Subgraph, parent: TypeDef, selections: SelectionSetNode
) -> tuple[Selected, ...]:
    found: list[Selected] = []
    for node in selections.selections:
        if isinstance(node, InlineFragmentNode):
            found.extend(_fragment(subgraph, parent, node))
        elif isinstance(node, FieldNode):
            if node.name.value == "__typename":
                continue
            found.append(_field(subgraph, parent, node))
        else:
            raise FieldSetError("named fragments are not allowed in field sets")
    return tuple(found)


def _fragment(
    subgraph: Subgraph, parent: TypeDef, node: InlineFragmentNode
) -> tuple[Selected, ...]:
    target = parent
    if node.type_condition is not None:
        name = node.type_condition.name.value
        found = subgraph.type(name)
        if found is None:
            raise FieldSetError(f'Unknown type "{name}"')
        if name != parent.name and name not in possible_types(subgraph, parent):
            raise FieldSetError(
                f'Fragment cannot be spread here as objects of type "{parent.name}" can never be '
                f'of type "{name}".'
            )
        target = found
    return _resolve(subgraph, target, node.selection_set)


def _field(subgraph: Subgraph, parent: TypeDef, node: FieldNode) -> Selected:
    name = node.name.value
    definition = parent.field(name) if parent.kind in ("OBJECT", "INTERFACE") else None
    if definition is None:
        raise FieldSetError(
            f'Cannot query field "{name}" on type "{parent.name}" (if the field is defined in '
            f"another subgraph, you need to add it to this subgraph with @external)."
        )
    target = subgraph.type(base_name(definition.type))
    composite = target is not None and target.kind in ("OBJECT", "INTERFACE", "UNION")
    if node.selection_set is None and composite:
        raise FieldSetError(
            f'Field "{parent.name}.{name}" of type "{definition.type}" must have a selection of '
            f"subfields."
        )
    if node.selection_set is not None and not composite:
        raise FieldSetError(
            f'Field "{parent.name}.{name}" must not have a selection since type '
            f'"{definition.type}" has no subfields.'
        )
    children = (
        _resolve(subgraph, target, node.selection_set) if node.selection_set and target else ()
    )
    return Selected(parent.name, definition, children, bool(node.directives))


def possible_types(subgraph: Subgraph, t: TypeDef) -> tuple[str, ...]:
    """Object types ``t`` may be at runtime in this subgraph."""
    if t.kind == "UNION":
        return t.members
    if t.kind == "INTERFACE":
        return tuple(
            o.name for o in subgraph.types.values() if o.kind == "OBJECT" and t.name in o.interfaces
        )
    return (t.name,)


def targets(subgraph: Subgraph, selected: tuple[Selected, ...]) -> set[tuple[str, str]]:
    """Every (type, field) a selection reaches, with interface fields' implementations."""
    found: set[tuple[str, str]] = set()
    for s in selected:
        found.add((s.parent, s.field.name))
        parent = subgraph.type(s.parent)
        if parent is not None and parent.kind == "INTERFACE":
            for impl in possible_types(subgraph, parent):
                impl_type = subgraph.type(impl)
                if impl_type is not None and impl_type.field(s.field.name):
                    found.add((impl, s.field.name))
        found |= targets(subgraph, s.children)
    return found
