"""Scalars, enums (union, intersection or equality by usage) and input objects (intersection)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from schema.errors import error
from schema.merge.applied import merged_applications
from schema.merge.composite import check_extension_base, join_types
from schema.merge.context import (
    Context,
    Sources,
    gql_string,
    merge_description,
)
from schema.merge.values import merge_input_value
from schema.model import InputValue
from schema.supergraph import Applied, SType, SValue


def merge_scalar(ctx: Context, name: str, sources: Sources) -> SType:
    inaccessible, others = merged_applications(ctx, sources.values())
    return SType(
        kind="SCALAR",
        name=name,
        description=merge_description(sources.values()),
        directives=inaccessible + join_types(ctx, sources) + others,
    )


def merge_enum(ctx: Context, name: str, sources: Sources) -> SType:
    """Output enums take every value, input enums the common ones, both-ways enums must agree."""
    usage = ctx.enum_usage.get(name, "Output")
    names: list[str] = []
    for t in sources.values():
        names.extend(v.name for v in t.values if v.name not in names)
    values = []
    for value in names:
        elements = {i: t.value(value) for i, t in sources.items()}
        inaccessible, others = merged_applications(ctx, elements.values())
        joins = tuple(Applied("join__enumValue", (ctx.graph(i),)) for i, e in elements.items() if e)
        missing = [i for i, e in elements.items() if e is None]
        if missing and not inaccessible and usage != "Output":
            if usage == "Both":
                _enum_mismatch(ctx, name, value, elements)
            continue
        description = merge_description(elements.values())
        values.append(
            SValue(value, description=description, directives=inaccessible + joins + others)
        )
    if not values:
        ctx.errors.append(
            error(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{name}" are defined consistently in all the '
                f"subgraphs defining that type. As only values common to all subgraphs are merged, "
                f"this would result in an empty type.",
                [ctx.names[i] for i in sources],
                name,
            )
        )
    inaccessible, others = merged_applications(ctx, sources.values())
    check_extension_base(ctx, name, sources)
    return SType(
        kind="ENUM",
        name=name,
        description=merge_description(sources.values()),
        directives=inaccessible + join_types(ctx, sources) + others,
        fields=tuple(values),
    )


def _enum_mismatch(
    ctx: Context, name: str, value: str, elements: Mapping[int, object | None]
) -> None:
    examples = ctx.enum_examples.get(name, {})
    have = [i for i, e in elements.items() if e is not None]
    lack = [i for i, e in elements.items() if e is None]
    ctx.errors.append(
        error(
            "ENUM_VALUE_MISMATCH",
            f'Enum type "{name}" is used as both input type (for example, as type of '
            f'"{examples.get("Input")}") and output type (for example, as type of '
            f'"{examples.get("Output")}"), but value "{value}" is not defined in all the subgraphs '
            f'defining "{name}": "{value}" is defined in {ctx.subgraph_list(have)} but not in '
            f"{ctx.subgraph_list(lack)}",
            [ctx.names[i] for i in elements],
            f"{name}.{value}",
        )
    )


def merge_input(ctx: Context, name: str, sources: Sources) -> SType:
    """An input object: only fields every subgraph defines (a required one missing is an error)."""
    check_extension_base(ctx, name, sources)
    names: list[str] = []
    for t in sources.values():
        names.extend(f.name for f in t.input_fields if f.name not in names)
    fields = [f for n in names if (f := _input_field(ctx, name, n, sources)) is not None]
    if not fields:
        ctx.errors.append(
            error(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{name}" are consistently defined in all '
                f"the subgraphs defining that type. As only fields common to all subgraphs are "
                f"merged, this would result in an empty type.",
                [ctx.names[i] for i in sources],
                name,
            )
        )
    inaccessible, others = merged_applications(ctx, sources.values())
    return SType(
        kind="INPUT_OBJECT",
        name=name,
        description=merge_description(sources.values()),
        directives=inaccessible + join_types(ctx, sources) + others,
        fields=tuple(fields),
    )


def _input_field(ctx: Context, name: str, field_name: str, sources: Sources) -> SValue | None:
    """One input field, or None when it is dropped for missing in some subgraph."""
    coordinate = f"{name}.{field_name}"
    present = {i: t.input_field(field_name) for i, t in sources.items()}
    merged = merge_input_value(ctx, coordinate, present, "Input field")
    missing = [i for i, f in present.items() if f is None]
    hidden = tuple(d for d in merged.directives if d.name == "inaccessible")
    if missing and not hidden:
        _missing_input_field(ctx, coordinate, present, missing)
        return None
    types = {f.type for f in present.values() if f is not None}
    if not missing and len(types) == 1:
        return merged
    joins = tuple(
        Applied("join__field", (ctx.graph(i), *(_type_arg(f.type) if len(types) > 1 else ())))
        for i, f in present.items()
        if f is not None
    )
    rest = tuple(d for d in merged.directives if d.name != "inaccessible")
    return replace(merged, directives=hidden + joins + rest)


def _type_arg(type_ref: str) -> tuple[tuple[str, str]]:
    return (("type", gql_string(type_ref)),)


def _missing_input_field(
    ctx: Context, coordinate: str, present: Mapping[int, InputValue | None], missing: list[int]
) -> None:
    required = [i for i, f in present.items() if f is not None and f.required]
    if required:
        ctx.errors.append(
            error(
                "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                f'Input object field "{coordinate}" is required in some subgraphs but does not '
                f"appear in all subgraphs: it is required in {ctx.subgraph_list(required)} but "
                f"does not appear in {ctx.subgraph_list(missing)}",
                [ctx.names[i] for i in required + missing],
                coordinate,
            )
        )
