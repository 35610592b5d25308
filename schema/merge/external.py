"""@external fields across subgraphs: some subgraph must own the field, and copies must match."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import print_ast

from schema.errors import error
from schema.merge.context import Context
from schema.merge.typerefs import is_strict_subtype
from schema.model import Field
from schema.supergraph import SValue

Merged = tuple[str, bool, tuple[SValue, ...]]


def report_all_external(ctx: Context, coordinate: str, present: list[int]) -> None:
    ctx.errors.append(
        error(
            "EXTERNAL_MISSING_ON_BASE",
            f'Field "{coordinate}" is marked @external on all the subgraphs in which it is listed '
            f"({ctx.subgraph_list(present)}).",
            [ctx.names[i] for i in present],
            coordinate,
        )
    )


def check_merged_on_external(
    ctx: Context, coordinate: str, fields: Mapping[int, Field], external: set[int]
) -> None:
    """@inaccessible, @tag or a composed directive on an @external field is an error."""
    for i in sorted(external):
        for d in fields[i].directives:
            if d.name in ctx.merged_directives:
                ctx.errors.append(
                    error(
                        "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
                        f"[{ctx.names[i]}] Cannot apply merged directive @{d.name} to external "
                        f'field "{coordinate}"',
                        [ctx.names[i]],
                        coordinate,
                    )
                )


def validate_external(
    ctx: Context, coordinate: str, fields: Mapping[int, Field], external: set[int], merged: Merged
) -> None:
    """External copies must have a compatible type and the merged field's arguments."""
    names = [ctx.names[i] for i in sorted(external)]
    for i in sorted(external):
        for code, message, where in _problems(ctx, coordinate, fields[i], merged):
            ctx.errors.append(
                error(code, f'{message} (in subgraph "{ctx.names[i]}")', names, where)
            )


def _problems(
    ctx: Context, coordinate: str, f: Field, merged: Merged
) -> Iterator[tuple[str, str, str]]:
    merged_type, equal, args = merged
    if not (f.type == merged_type or (not equal and is_strict_subtype(ctx, merged_type, f.type))):
        yield (
            "EXTERNAL_TYPE_MISMATCH",
            f'Type of field "{coordinate}" is incompatible across subgraphs (where marked '
            f'@external): it has type "{f.type}" but "{merged_type}" in the supergraph',
            coordinate,
        )
    for arg in args:
        mine, where = f.arg(arg.name), f"{coordinate}({arg.name}:)"
        if mine is None:
            yield (
                "EXTERNAL_ARGUMENT_MISSING",
                f'Field "{coordinate}" is missing argument "{where}" where it is marked @external',
                where,
            )
        elif mine.type != arg.type and not is_strict_subtype(ctx, mine.type, arg.type):
            yield (
                "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
                f'Type of argument "{where}" is incompatible across subgraphs (where '
                f'"{coordinate}" is marked @external)',
                where,
            )
        elif (print_ast(mine.default) if mine.default else None) != arg.default:
            yield (
                "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH",
                f'Argument "{where}" has incompatible defaults across subgraphs (where '
                f'"{coordinate}" is marked @external)',
                where,
            )
