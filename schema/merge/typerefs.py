"""Type reference compatibility: subtyping rules and merging a field's or argument's type."""

from __future__ import annotations

from collections.abc import Iterable

from schema.merge.context import Context


def is_subtype(ctx: Context, super_type: str, sub_type: str) -> bool:
    return super_type == sub_type or is_strict_subtype(ctx, super_type, sub_type)


def is_strict_subtype(ctx: Context, super_type: str, sub_type: str) -> bool:
    """Apollo's default rules: non-null ⊂ nullable, list/non-null propagation, abstract members."""
    if sub_type.endswith("!"):
        inner = sub_type[:-1]
        if super_type.endswith("!"):
            return is_subtype(ctx, super_type[:-1], inner)
        return is_subtype(ctx, super_type, inner)
    if sub_type.startswith("["):
        return super_type.startswith("[") and is_subtype(ctx, super_type[1:-1], sub_type[1:-1])
    if super_type.endswith("!") or super_type.startswith("["):
        return False
    kind = ctx.kinds.get(super_type)
    if kind == "UNION":
        return sub_type in ctx.union_members.get(super_type, ())
    if kind == "INTERFACE":
        return super_type in ctx.implements.get(sub_type, ())
    return False


def merge_type(ctx: Context, types: Iterable[str], input_position: bool) -> tuple[str, bool, bool]:
    """(merged type, all equal, incompatible): outputs widen, inputs narrow."""
    merged: str | None = None
    equal, incompatible = True, False
    for t in types:
        if merged is None or merged == t:
            merged = t
        elif is_strict_subtype(ctx, merged, t):
            equal = False
            if input_position:
                merged = t
        elif is_strict_subtype(ctx, t, merged):
            equal = False
            if not input_position:
                merged = t
        else:
            incompatible = True
    assert merged is not None
    return merged, equal and not incompatible, incompatible
