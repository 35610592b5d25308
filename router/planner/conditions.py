"""Read `@skip`/`@include` off operation nodes as variable conditions."""

from __future__ import annotations

from typing import Any, TypeAlias

from graphql import BooleanValueNode, VariableNode

Condition: TypeAlias = tuple[str, bool]
"""(variable, value): the selection applies when the Boolean variable equals value."""

Conditions: TypeAlias = frozenset[Condition]


class AlwaysSkipped(Exception):
    """A literal `@skip(if: true)` or `@include(if: false)`: drop the selection."""


def read_conditions(node: Any) -> tuple[Condition, ...]:
    """The variable conditions on `node`; raises AlwaysSkipped for literal exclusions."""
    found: list[Condition] = []
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        include_when = name == "include"
        if isinstance(value, VariableNode):
            found.append((value.name.value, include_when))
        elif isinstance(value, BooleanValueNode) and value.value != include_when:
            raise AlwaysSkipped
    return tuple(found)
