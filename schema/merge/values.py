"""Arguments and input fields: intersection across subgraphs, type narrowing, default values."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import print_ast

from schema.context import is_contextual
from schema.errors import error
from schema.merge.applied import merged_applications
from schema.merge.context import Context, merge_description, present
from schema.merge.typerefs import merge_type
from schema.model import InputValue
from schema.supergraph import SValue

ValueSources = Mapping[int, InputValue | None]


def merge_arguments(
    ctx: Context, coordinate: str, args_by_source: Mapping[int, tuple[InputValue, ...]]
) -> tuple[SValue, ...]:
    """Arguments present in every source; a required one missing somewhere is an error."""
    names: list[str] = []
    for args in args_by_source.values():
        names.extend(a.name for a in args if a.name not in names)
    merged = []
    for name in names:
        sources = {
            i: next((a for a in args if a.name == name), None) for i, args in args_by_source.items()
        }
        arg_coordinate = f"{coordinate}({name}:)"
        if any(is_contextual(a) for a in sources.values()):
            _check_contextual(ctx, arg_coordinate, sources)
            continue
        if any(a is None for a in sources.values()):
            required = [i for i, a in sources.items() if a is not None and a.required]
            if required:
                missing = [i for i, a in sources.items() if a is None]
                ctx.errors.append(
                    error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{arg_coordinate}" is required in some subgraphs but does not '
                        f"appear in all subgraphs: it is required in {ctx.subgraph_list(required)} "
                        f"but does not appear in {ctx.subgraph_list(missing)}",
                        [ctx.names[i] for i in required + missing],
                        arg_coordinate,
                    )
                )
            continue
        merged.append(merge_input_value(ctx, arg_coordinate, sources, "Argument"))
    return tuple(merged)


def _check_contextual(ctx: Context, coordinate: str, sources: ValueSources) -> None:
    """A contextual argument leaves the supergraph; elsewhere it must be optional."""
    for i, a in sources.items():
        if a is not None and not is_contextual(a) and a.required:
            ctx.errors.append(
                error(
                    "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
                    f'Argument "{coordinate}" is contextual in at least one subgraph but in '
                    f'subgraph "{ctx.names[i]}" it does not have @fromContext, is not nullable and '
                    "has no default value.",
                    [ctx.names[i]],
                    coordinate,
                )
            )


def merge_input_value(ctx: Context, coordinate: str, sources: ValueSources, kind: str) -> SValue:
    """One argument or input field present in the given sources."""
    values = [sources[i] for i in present(sources)]
    inaccessible, others = merged_applications(ctx, values)
    merged, _equal, incompatible = merge_type(ctx, (v.type for v in values if v), True)
    ctx.record_enum_usage(merged, "Input", coordinate)
    if incompatible:
        code = "FIELD_ARGUMENT_TYPE_MISMATCH" if kind == "Argument" else "FIELD_TYPE_MISMATCH"
        element = "argument" if kind == "Argument" else "field"
        ctx.errors.append(
            error(
                code,
                f'Type of {element} "{coordinate}" is incompatible across subgraphs: it has '
                + _per_subgraph(ctx, sources, lambda v: f'type "{v.type}"'),
                [ctx.names[i] for i in present(sources)],
                coordinate,
            )
        )
    return SValue(
        name=values[0].name if values[0] else "",
        type=merged,
        description=merge_description(values),
        directives=inaccessible + others,
        default=_merge_default(ctx, coordinate, sources, kind),
    )


def _per_subgraph(ctx: Context, sources: ValueSources, show: object) -> str:
    assert callable(show)
    groups: dict[str, list[int]] = {}
    for i in present(sources):
        groups.setdefault(show(sources[i]), []).append(i)
    parts = [f"{label} in {ctx.subgraph_list(idx)}" for label, idx in groups.items()]
    return " and ".join(parts)


def _merge_default(ctx: Context, coordinate: str, sources: ValueSources, kind: str) -> str | None:
    defaults = [
        print_ast(v.default) if v.default is not None else None for v in sources.values() if v
    ]
    given = {d for d in defaults if d is not None}
    if len(given) > 1:
        code = (
            "FIELD_ARGUMENT_DEFAULT_MISMATCH"
            if kind == "Argument"
            else "INPUT_FIELD_DEFAULT_MISMATCH"
        )
        ctx.errors.append(
            error(
                code,
                f'{kind} "{coordinate}" has incompatible default values across subgraphs: it has '
                + _per_subgraph(
                    ctx,
                    sources,
                    lambda v: (
                        f"default value {print_ast(v.default)}"
                        if v.default is not None
                        else "no default value"
                    ),
                ),
                [ctx.names[i] for i in present(sources)],
                coordinate,
            )
        )
        return defaults[0]
    if given and None in defaults:
        return None
    return next(iter(given), None)
