"""Fields of object and interface types: types, @external, join__field, @shareable."""

from __future__ import annotations

from collections.abc import Mapping

from schema.context import ContextArgument, context_arguments, is_contextual
from schema.errors import error
from schema.merge.applied import merged_applications
from schema.merge.context import (
    Context,
    Sources,
    gql_string,
    merge_description,
)
from schema.merge.external import check_merged_on_external, report_all_external, validate_external
from schema.merge.override import OverrideState, validate_override
from schema.merge.typerefs import merge_type
from schema.merge.values import merge_arguments
from schema.model import Field
from schema.supergraph import Applied, SValue

FieldSources = dict[int, Field | None]


def merge_fields(
    ctx: Context, type_name: str, sources: Sources, sharing: bool
) -> tuple[SValue, ...]:
    """Every field any subgraph defines on ``type_name``, merged."""
    extra = set(sources) | _interface_object_sources(ctx, type_name)
    names: list[str] = []
    for t in sources.values():
        names.extend(f.name for f in t.fields if f.name not in names)
    merged = []
    for name in names:
        fields: FieldSources = dict.fromkeys(sorted(extra))
        for i, t in sources.items():
            fields[i] = t.field(name)
        coordinate = f"{type_name}.{name}"
        state = validate_override(ctx, coordinate, sources, fields)
        if type_name == "Subscription":
            _validate_subscription_field(ctx, coordinate, fields)
        merged.append(_merge_field(ctx, coordinate, fields, state))
        if sharing:
            _validate_sharing(ctx, coordinate, fields, state)
    return tuple(merged)


def _validate_subscription_field(ctx: Context, coordinate: str, fields: FieldSources) -> None:
    shared = [i for i, f in fields.items() if f is not None and f.has("shareable")]
    if shared:
        message = "Fields on root level subscription object cannot be marked as shareable"
        ctx.errors.append(
            error("INVALID_FIELD_SHARING", message, [ctx.names[i] for i in shared], coordinate)
        )


def _interface_object_sources(ctx: Context, type_name: str) -> set[int]:
    return {
        i
        for i, facts in enumerate(ctx.facts)
        for itf in ctx.implements.get(type_name, ())
        if itf in facts.interface_objects
    }


def abstracted_fields(ctx: Context, idx: int, coordinate: str) -> list[tuple[str, Field]]:
    """Fields of @interfaceObject types in subgraph ``idx`` standing in for this object field."""
    type_name, name = coordinate.split(".")
    subgraph = ctx.subgraphs[idx]
    if ctx.kinds.get(type_name) != "OBJECT" or subgraph.type(type_name) is not None:
        return []
    found = []
    for itf in ctx.implements.get(type_name, ()):
        t = subgraph.type(itf)
        f = t.field(name) if t is not None and t.kind == "OBJECT" else None
        if f is not None:
            found.append((itf, f))
    return found


def _merge_field(
    ctx: Context, coordinate: str, fields: FieldSources, state: OverrideState
) -> SValue:
    type_name, name = coordinate.split(".")
    present = {i: f for i, f in fields.items() if f is not None}
    external = {i for i in present if ctx.facts[i].is_external(type_name, name)}
    if present and set(present) <= external and _abstracted_all_external(ctx, coordinate, fields):
        report_all_external(ctx, coordinate, list(present))
        return SValue(name)
    own = {i: f for i, f in present.items() if i not in external}
    check_merged_on_external(ctx, coordinate, present, external)
    inaccessible, others = merged_applications(
        ctx, own.values(), access_sources(ctx, coordinate), access_first=True
    )
    args = merge_arguments(ctx, coordinate, {i: f.args for i, f in own.items()}) if own else ()
    merged, equal = _merge_field_type(ctx, coordinate, own or present)
    if external:
        validate_external(ctx, coordinate, present, external, (merged, equal, args))
    join = _join_fields(ctx, coordinate, fields, external, state, equal)
    directives = inaccessible + join + others
    return SValue(name, merged, merge_description(own.values()), directives, None, args)


def access_sources(ctx: Context, coordinate: str) -> list[Field]:
    """Fields elsewhere whose access control also guards this field (Apollo's "additional
    sources"), by subgraph then in document order: for an interface field, the same field of
    every implementation; for the field of an implementation (or of another interface it
    implements), the same field of an @interfaceObject standing for one of its interfaces.
    @external fields do not count."""
    type_name, name = coordinate.split(".")
    is_interface = ctx.kinds.get(type_name) == "INTERFACE"
    found = []
    for subgraph, facts in zip(ctx.subgraphs, ctx.facts, strict=True):
        for t in subgraph.types.values():
            f = t.field(name) if t.kind == "OBJECT" else None
            if f is None or facts.is_external(t.name, name) or t.name == type_name:
                continue
            if t.name in facts.interface_objects:
                impls = implementations(ctx, t.name)
                if type_name in impls or (
                    is_interface and any(type_name in ctx.implements.get(i, ()) for i in impls)
                ):
                    found.append(f)
            elif is_interface and type_name in ctx.implements.get(t.name, ()):
                found.append(f)
    return found


def implementations(ctx: Context, interface: str) -> list[str]:
    """Object types implementing ``interface`` in the supergraph."""
    return [
        t for t, itfs in ctx.implements.items() if interface in itfs and ctx.kinds[t] == "OBJECT"
    ]


def _merge_field_type(
    ctx: Context, coordinate: str, typed: Mapping[int, Field]
) -> tuple[str, bool]:
    merged, equal, incompatible = merge_type(ctx, (f.type for f in typed.values()), False)
    ctx.record_enum_usage(merged, "Output", coordinate)
    if incompatible:
        groups: dict[str, list[int]] = {}
        for i, f in typed.items():
            groups.setdefault(f.type, []).append(i)
        detail = " and ".join(f'type "{t}" in {ctx.subgraph_list(i)}' for t, i in groups.items())
        message = f'Type of field "{coordinate}" is incompatible across subgraphs: it has {detail}'
        ctx.errors.append(
            error("FIELD_TYPE_MISMATCH", message, [ctx.names[i] for i in typed], coordinate)
        )
    return merged, equal


def _abstracted_all_external(ctx: Context, coordinate: str, fields: FieldSources) -> bool:
    for i, f in fields.items():
        if f is None:
            itf = abstracted_fields(ctx, i, coordinate)
            if any(not ctx.facts[i].is_external(t, af.name) for t, af in itf):
                return False
    return True


def _needs_join_field(
    ctx: Context,
    type_name: str,
    fields: FieldSources,
    external: set[int],
    state: OverrideState,
    equal: bool,
) -> bool:
    if not equal or state.used or state.labels:
        return True
    if any(f is not None and any(is_contextual(a) for a in f.args) for f in fields.values()):
        return True
    for i, f in fields.items():
        if f is not None and i not in state.unused:
            if i in external or f.has("provides") or f.has("requires"):
                return True
        elif ctx.subgraphs[i].type(type_name) is not None:
            return True
    return False


def _join_fields(
    ctx: Context,
    coordinate: str,
    fields: Mapping[int, Field | None],
    external: set[int],
    state: OverrideState,
    equal: bool,
) -> tuple[Applied, ...]:
    type_name = coordinate.split(".")[0]
    if not _needs_join_field(ctx, type_name, dict(fields), external, state, equal):
        return ()
    return tuple(
        Applied("join__field", _join_field_args(ctx, i, f, external, state, equal))
        for i, f in fields.items()
        if f is not None and (i not in state.unused or i in state.labels)
    )


def _join_field_args(
    ctx: Context, i: int, f: Field, external: set[int], state: OverrideState, equal: bool
) -> tuple[tuple[str, str], ...]:
    """The arguments of one subgraph's @join__field, in the spec's order."""
    args = [ctx.graph(i)]
    for name in ("requires", "provides"):
        d = f.first(name)
        if d is not None:
            args.append((name, gql_string(d.string("fields") or "")))
    if not equal:
        args.append(("type", gql_string(f.type)))
    if i in external:
        args.append(("external", "true"))
    override = f.first("override")
    if override is not None:
        args.append(("override", gql_string(override.string("from") or "")))
    if i in state.used:
        args.append(("usedOverridden", "true"))
    if i in state.labels:
        args.append(("overrideLabel", gql_string(state.labels[i])))
    contextual = list(context_arguments(ctx.subgraphs[i], f))
    if contextual:
        args.append(
            ("contextArguments", "[" + ", ".join(_context_arg(a) for a in contextual) + "]")
        )
    return tuple(args)


def _context_arg(a: ContextArgument) -> str:
    return (
        f"{{context: {gql_string(a.context or '')}, name: {gql_string(a.name)}, "
        f"type: {gql_string(a.type)}, selection: {gql_string(a.selection)}}}"
    )


def _validate_sharing(
    ctx: Context, coordinate: str, fields: FieldSources, state: OverrideState
) -> None:
    type_name, name = coordinate.split(".")
    shareable: list[int] = []
    non_shareable: list[int] = []
    for i, f in fields.items():
        candidates = (
            [(type_name, name)]
            if f is not None
            else [(t, af.name) for t, af in abstracted_fields(ctx, i, coordinate)]
        )
        if f is not None and state.overridden(i):
            continue
        for t, n in candidates:
            if ctx.facts[i].is_fully_external(t, n):
                continue
            (shareable if ctx.facts[i].is_shareable(t, n) else non_shareable).append(i)
    if non_shareable and (shareable or len(non_shareable) > 1):
        resolving = sorted(shareable + non_shareable)
        which = ctx.subgraph_list(non_shareable) if shareable else "all of them"
        ctx.errors.append(
            error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is '
                f"resolved from {ctx.subgraph_list(resolving)} and defined as non-shareable in "
                f"{which}",
                [ctx.names[i] for i in resolving],
                coordinate,
            )
        )
