"""@requires must not reach data guarded by stronger @authenticated/@requiresScopes/@policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import parse_value, value_from_ast_untyped

from schema.errors import error
from schema.facts import field_directives, selections
from schema.fieldset import Selected
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
        for parent, target, d in field_directives(subgraph, "requires"):
            field = next(f for f in parent.fields if d in f.directives)
            merged_type = merged.get(parent.name)
            merged_field = _field(merged_type, field.name)
            if merged_type is None or merged_field is None:
                continue
            own = requirements(merged_type.directives, merged_field.directives)
            coordinate = f"{parent.name}.{field.name}"
            for reached in _reached(selections(subgraph, target, d)):
                if not _allowed(own, reached, merged):
                    ctx.errors.append(
                        error(
                            "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
                            f'[{subgraph.name}] Field "{coordinate}" does not specify necessary '
                            "@authenticated, @requiresScopes and/or @policy auth requirements to "
                            f'access the transitive field "{reached.parent}.{reached.field.name}" '
                            "data from @requires selection set.",
                            [subgraph.name],
                            coordinate,
                        )
                    )
                    break


def _field(t: SType | None, name: str) -> SValue | None:
    return next((f for f in t.fields if f.name == name), None) if t else None


def _reached(selected: tuple[Selected, ...]) -> Iterator[Selected]:
    for s in selected:
        yield s
        yield from _reached(s.children)


def _allowed(own: Requirements, reached: Selected, merged: dict[str, SType]) -> bool:
    parent = merged.get(reached.parent)
    field = (
        next((f for f in parent.fields if f.name == reached.field.name), None) if parent else None
    )
    returned = merged.get(base_name(reached.field.type))
    guards = [field.directives if field else (), returned.directives if returned else ()]
    return all(own.satisfies(requirements(g)) for g in guards)
