"""@requires and @fromContext must not reach data guarded by stronger @authenticated,
@requiresScopes or @policy than the field using them."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    parse_value,
    value_from_ast_untyped,
)

from schema.context import context_arguments
from schema.errors import CompositionError, error
from schema.facts import field_directives
from schema.merge.applied import dnf_conjunction
from schema.merge.context import Context
from schema.model import base_name
from schema.specs import ACCESS_CONTROL
from schema.supergraph import Applied, SType, SValue

Dnf = list[list[str]]


@dataclass(frozen=True)
class Requirements:
    """What a client must have to see an element."""

    authenticated: bool = False
    scopes: Dnf | None = None
    policies: Dnf | None = None

    def satisfies(self, other: Requirements) -> bool:
        return (
            (self.authenticated or not other.authenticated)
            and _implies(self.scopes, other.scopes)
            and _implies(self.policies, other.policies)
        )


def _implies(first: Dnf | None, second: Dnf | None) -> bool:
    a, b = first or [[]], second or [[]]
    return all(any(set(y) <= set(x) for y in b) for x in a)


def _dnf(applied: tuple[Applied, ...], name: str) -> Dnf | None:
    for d in applied:
        if d.name == name and d.args:
            value: Dnf = value_from_ast_untyped(parse_value(d.args[0][1]))
            return value
    return None


def requirements(*directive_lists: tuple[Applied, ...]) -> Requirements:
    """Requirements of elements applied together (a type and its field), conjoined."""
    scopes = [s for ds in directive_lists if (s := _dnf(ds, "requiresScopes")) is not None]
    policies = [p for ds in directive_lists if (p := _dnf(ds, "policy")) is not None]
    return Requirements(
        any(d.name == "authenticated" for ds in directive_lists for d in ds),
        dnf_conjunction(scopes) if scopes else None,
        dnf_conjunction(policies) if policies else None,
    )


def validate_requires_access(ctx: Context, merged: dict[str, SType]) -> None:
    """MISSING_TRANSITIVE_AUTH_REQUIREMENTS for @requires reaching better-guarded data."""
    if not any(name in ctx.merged_directives for name in ACCESS_CONTROL):
        return
    for subgraph in ctx.subgraphs:
        for parent, _target, d in field_directives(subgraph, "requires"):
            field = next(f for f in parent.fields if d in f.directives)
            merged_type = merged.get(parent.name)
            merged_field = _field(merged_type, field.name)
            if merged_type is None or merged_field is None:
                continue
            own = requirements(merged_type.directives, merged_field.directives)
            problem = _fields_problem(own, merged, merged_type, d.string("fields") or "")
            if problem is not None:
                coordinate = f"{parent.name}.{field.name}"
                ctx.errors.append(
                    _transitive_error(subgraph.name, coordinate, problem, "@requires")
                )


def _field(t: SType | None, name: str) -> SValue | None:
    return next((f for f in t.fields if f.name == name), None) if t else None


def validate_context_access(ctx: Context, merged: dict[str, SType]) -> None:
    """MISSING_TRANSITIVE_AUTH_REQUIREMENTS for @fromContext reaching better-guarded data:
    the types setting the context, then the fields its selection reads."""
    if not any(name in ctx.merged_directives for name in ACCESS_CONTROL):
        return
    setters = _context_setters(merged)
    for subgraph in ctx.subgraphs:
        for t in subgraph.types.values():
            for f in t.fields if t.kind in ("OBJECT", "INTERFACE") else ():
                merged_type = merged.get(t.name)
                merged_field = _field(merged_type, f.name)
                if merged_type is None or merged_field is None:
                    continue
                own = requirements(merged_type.directives, merged_field.directives)
                coordinate = f"{t.name}.{f.name}"
                for arg in context_arguments(subgraph, f):
                    for target in setters.get(arg.context or "", []):
                        problem = _context_problem(
                            own, merged, target, arg.context or "", arg.selection
                        )
                        if problem is not None:
                            ctx.errors.append(
                                _transitive_error(
                                    subgraph.name, coordinate, problem, "@fromContext"
                                )
                            )


def _context_setters(merged: dict[str, SType]) -> dict[str, list[SType]]:
    found: dict[str, list[SType]] = {}
    for t in merged.values():
        for d in t.directives:
            if d.name == "context" and d.args:
                name = value_from_ast_untyped(parse_value(d.args[0][1]))
                found.setdefault(str(name), []).append(t)
    return found


def _context_problem(
    own: Requirements, merged: dict[str, SType], target: SType, context: str, selection: str
) -> str | None:
    if not own.satisfies(requirements(target.directives)):
        return f"the transitive data in context {context}"
    return _fields_problem(own, merged, target, selection)


def _fields_problem(
    own: Requirements, merged: dict[str, SType], parent: SType, selection: str
) -> str | None:
    """What of ``selection`` (read on the supergraph type ``parent``) ``own`` may not see."""
    text = selection.strip()
    try:
        operation = parse(text if text.startswith("{") else "{" + text + "}").definitions[0]
    except GraphQLSyntaxError:
        return None
    assert isinstance(operation, OperationDefinitionNode)
    return _selection_problem(own, merged, parent, operation.selection_set)


def _selection_problem(
    own: Requirements, merged: dict[str, SType], parent: SType, selections: SelectionSetNode
) -> str | None:
    for node in selections.selections:
        if isinstance(node, FieldNode):
            field = _field(parent, node.name.value)
            if field is None:
                continue
            returned = merged.get(base_name(field.type))
            guards = [field.directives, returned.directives if returned else ()]
            if not all(own.satisfies(requirements(g)) for g in guards):
                return f'the transitive field "{parent.name}.{field.name}" data'
            if node.selection_set is not None and returned is not None:
                found = _selection_problem(own, merged, returned, node.selection_set)
                if found is not None:
                    return found
        elif isinstance(node, InlineFragmentNode):
            condition = merged.get(node.type_condition.name.value) if node.type_condition else None
            if condition is not None and not own.satisfies(requirements(condition.directives)):
                return f'the transitive data in inline fragment type condition "{condition.name}"'
            found = _selection_problem(own, merged, condition or parent, node.selection_set)
            if found is not None:
                return found
    return None


def _transitive_error(
    subgraph: str, coordinate: str, problem: str, directive: str
) -> CompositionError:
    return error(
        "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
        f'[{subgraph}] Field "{coordinate}" does not specify necessary @authenticated, '
        f"@requiresScopes and/or @policy auth requirements to access {problem} from "
        f"{directive} selection set.",
        [subgraph],
        coordinate,
    )
