"""@override: which subgraph's field is overridden, validated as Apollo does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from schema.errors import error
from schema.merge.context import Context
from schema.model import Field, TypeDef

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
_PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100)\)$")
_LABEL_RULE = (
    "labels must start with a letter and after that may contain alphanumerics, underscores, "
    'minuses, colons, periods, or slashes. Alternatively, labels may be of the form "percent(x)" '
    "where x is a float between 0-100 inclusive."
)


@dataclass
class OverrideState:
    """Per-field outcome of @override: overridden sources, labels, unknown targets."""

    used: set[int] = field(default_factory=set)
    unused: set[int] = field(default_factory=set)
    labels: dict[int, str] = field(default_factory=dict)
    unknown_target: set[int] = field(default_factory=set)

    def overridden(self, idx: int) -> bool:
        return idx in self.used or idx in self.unused


@dataclass(frozen=True)
class _Override:
    """One @override application being checked."""

    coordinate: str
    idx: int
    name: str
    source: str
    label: str | None


def validate_override(
    ctx: Context,
    coordinate: str,
    parents: Mapping[int, TypeDef],
    fields: Mapping[int, Field | None],
) -> OverrideState:
    """Check every @override on this field and record what it overrides."""
    state = OverrideState()
    with_override = {i: f for i, f in fields.items() if f is not None and f.has("override")}
    for idx, f in with_override.items():
        directive = f.first("override")
        assert directive is not None
        o = _Override(
            coordinate,
            idx,
            ctx.names[idx],
            directive.string("from") or "",
            directive.string("label"),
        )
        problem = _precondition(ctx, o, parents[idx], set(with_override))
        if problem is not None:
            code, message, involved = problem
            ctx.errors.append(error(code, message, involved, coordinate))
        elif o.source not in ctx.names:
            state.unknown_target.add(idx)
        elif (from_field := fields.get(ctx.names.index(o.source))) is not None:
            _resolve(ctx, o, from_field, state)
    return state


def _precondition(
    ctx: Context, o: _Override, parent: TypeDef, overriding: set[int]
) -> tuple[str, str, list[str]] | None:
    at = f'field "{o.coordinate}" on subgraph "{o.name}"'
    if parent.kind == "INTERFACE":
        return (
            "OVERRIDE_ON_INTERFACE",
            f"@override cannot be used on {at}: @override is not supported on interface type "
            f"fields.",
            [o.name],
        )
    if parent.name in ctx.facts[o.idx].interface_objects:
        return (
            "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
            f"@override is not yet supported on fields of @interfaceObject types: cannot be used "
            f"on {at}.",
            [o.name],
        )
    if o.source == o.name:
        return (
            "OVERRIDE_FROM_SELF_ERROR",
            f'Source and destination subgraphs "{o.source}" are the same for overridden field '
            f'"{o.coordinate}"',
            [o.name],
        )
    if o.source in ctx.names and ctx.names.index(o.source) in overriding:
        return (
            "OVERRIDE_SOURCE_HAS_OVERRIDE",
            f'Field "{o.coordinate}" on subgraph "{o.name}" is also marked with directive '
            f'@override in subgraph "{o.source}". Only one @override directive is allowed per '
            f"field.",
            [o.name, o.source],
        )
    return None


def _conflict(ctx: Context, o: _Override, from_field: Field) -> tuple[str, str] | None:
    """(directive, subgraph) that forbids this @override, if any."""
    conflict = next((d for d in ("requires", "provides") if from_field.has(d)), None)
    if conflict is not None:
        return conflict, o.source
    type_name, field_name = o.coordinate.split(".")
    if ctx.facts[o.idx].is_external(type_name, field_name):
        return "external", o.name
    return None


def _resolve(ctx: Context, o: _Override, from_field: Field, state: OverrideState) -> None:
    from_idx = ctx.names.index(o.source)
    conflict = _conflict(ctx, o, from_field)
    if conflict is not None:
        directive, where = conflict
        ctx.errors.append(
            error(
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f'@override cannot be used on field "{o.coordinate}" on subgraph "{o.name}" since '
                f'"{o.coordinate}" on "{where}" is marked with directive "@{directive}"',
                [o.name, o.source],
                o.coordinate,
            )
        )
        return
    facts = ctx.facts[from_idx]
    coord = tuple(o.coordinate.split("."))
    if coord not in facts.external:
        (state.used if coord in facts.used else state.unused).add(from_idx)
    if o.label is None:
        return
    if _LABEL.match(o.label) or _PERCENT.match(o.label):
        state.labels[o.idx] = state.labels[from_idx] = o.label
        return
    ctx.errors.append(
        error(
            "OVERRIDE_LABEL_INVALID",
            f'Invalid @override label "{o.label}" on field "{o.coordinate}" on subgraph '
            f'"{o.name}": ' + _LABEL_RULE,
            [o.name],
            o.coordinate,
        )
    )
