"""Executable directives (``on FIELD``…): kept if all subgraphs define them; locations intersect."""

from __future__ import annotations

from schema.merge.context import Context, merge_description
from schema.merge.values import merge_arguments
from schema.model import DirectiveDef
from schema.supergraph import SValue

EXECUTABLE = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)


def executable_directives(ctx: Context) -> tuple[str, ...]:
    """Printed definitions of the executable directives every subgraph shares."""
    names: list[str] = []
    for subgraph in ctx.subgraphs:
        names.extend(
            name
            for name, d in subgraph.directive_defs.items()
            if name not in names
            and name not in ctx.merged_directives
            and EXECUTABLE & set(d.locations)
        )
    printed = []
    for name in names:
        defs = [s.directive_defs.get(name) for s in ctx.subgraphs]
        if all(d is not None for d in defs):
            merged = _merge(ctx, name, [d for d in defs if d is not None])
            if merged:
                printed.append(merged)
    return tuple(printed)


def _merge(ctx: Context, name: str, defs: list[DirectiveDef]) -> str | None:
    locations = set.intersection(*(set(d.locations) & EXECUTABLE for d in defs))
    if not locations:
        return None
    args = merge_arguments(ctx, f"@{name}", {i: d.args for i, d in enumerate(defs)})
    description = merge_description_of(defs)
    repeatable = " repeatable" if all(d.repeatable for d in defs) else ""
    head = f'"""{description}"""\n' if description else ""
    return f"{head}directive @{name}{_args(args)}{repeatable} on {' | '.join(sorted(locations))}"


def merge_description_of(defs: list[DirectiveDef]) -> str | None:
    from schema.model import Element

    return merge_description(Element(d.name, d.description) for d in defs)


def _args(args: tuple[SValue, ...]) -> str:
    if not args:
        return ""
    parts = [
        f"{a.name}: {a.type}" + (f" = {a.default}" if a.default is not None else "") for a in args
    ]
    return "(" + ", ".join(parts) + ")"
