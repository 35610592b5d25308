"""@cost and @listSize rules inside one subgraph (demand control, Federation 2.9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import value_from_ast_untyped

from schema.errors import CompositionError, error
from schema.model import Directive, Field, Subgraph, TypeDef, base_name


def validate_cost(subgraph: Subgraph) -> Iterator[CompositionError]:
    """Every @cost on an interface field and every malformed @listSize."""
    for t in subgraph.types.values():
        for f in t.fields if t.kind in ("OBJECT", "INTERFACE") else ():
            coordinate = f"{t.name}.{f.name}"
            if t.kind == "INTERFACE" and f.has("cost"):
                yield _err(
                    subgraph,
                    "COST_APPLIED_TO_INTERFACE_FIELD",
                    f'@cost cannot be applied to interface "{coordinate}"',
                    coordinate,
                )
            for d in f.applied("listSize"):
                for code, message in _list_size(subgraph, f, d, coordinate):
                    yield _err(subgraph, code, message, coordinate)


def _err(subgraph: Subgraph, code: str, message: str, coordinate: str) -> CompositionError:
    return error(code, f"[{subgraph.name}] {message}", [subgraph.name], coordinate)


def _arg(d: Directive, name: str) -> Any:
    value = d.arg(name)
    return value_from_ast_untyped(value) if value is not None else None


def _is_list(type_ref: str) -> bool:
    return type_ref.rstrip("!").startswith("[")


def _list_size(
    subgraph: Subgraph, f: Field, d: Directive, coordinate: str
) -> Iterator[tuple[str, str]]:
    sized = _arg(d, "sizedFields") or []
    if not sized and not _is_list(f.type):
        yield "LIST_SIZE_APPLIED_TO_NON_LIST", f'"{coordinate}" is not a list'
    assumed = _arg(d, "assumedSize")
    if isinstance(assumed, int) and assumed < 0:
        yield "LIST_SIZE_INVALID_ASSUMED_SIZE", f'Assumed size of "{coordinate}" cannot be negative'
    for name in _arg(d, "slicingArguments") or []:
        arg = f.arg(name)
        if arg is None:
            yield (
                "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                f'Slicing argument "{name}" is not an argument of "{coordinate}"',
            )
        elif arg.type not in ("Int", "Int!"):
            yield (
                "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                f'Slicing argument "{coordinate}({name}:)" must be Int or Int!',
            )
    if sized:
        yield from _sized_fields(subgraph.type(base_name(f.type)), f, sized)


def _sized_fields(target: TypeDef | None, f: Field, sized: list[str]) -> Iterator[tuple[str, str]]:
    if target is None or target.kind not in ("OBJECT", "INTERFACE", "UNION"):
        yield (
            "LIST_SIZE_INVALID_SIZED_FIELD",
            f'Sized fields cannot be used because "{f.type}" is not a composite type',
        )
        return
    for name in sized:
        field = target.field(name)
        if field is None:
            yield (
                "LIST_SIZE_INVALID_SIZED_FIELD",
                f'Sized field "{name}" is not a field on type "{target.name}"',
            )
        elif not _is_list(field.type):
            yield (
                "LIST_SIZE_APPLIED_TO_NON_LIST",
                f'Sized field "{target.name}.{name}" is not a list',
            )
