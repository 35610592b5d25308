"""Object, interface and union types: join__type, join__implements, join__unionMember."""

from __future__ import annotations

from graphql import print_ast

from schema.errors import error
from schema.fieldset import possible_types
from schema.merge.applied import merged_applications
from schema.merge.context import (
    Context,
    Sources,
    gql_string,
    merge_description,
)
from schema.merge.fields import implementations, merge_fields
from schema.model import TypeDef
from schema.supergraph import Applied, SType


def join_types(ctx: Context, sources: Sources) -> tuple[Applied, ...]:
    """One @join__type per subgraph, or per @key when the type has keys there."""
    applied = []
    for i, t in sources.items():
        itf_object = (
            [("isInterfaceObject", "true")] if t.name in ctx.facts[i].interface_objects else []
        )
        keys = t.applied("key")
        if not keys:
            applied.append(Applied("join__type", (ctx.graph(i), *itf_object)))
        for key in keys:
            args = [ctx.graph(i), ("key", gql_string(key.string("fields") or ""))]
            if key.on_extension or t.has("extends"):
                args.append(("extension", "true"))
            resolvable = key.arg("resolvable")
            if resolvable is not None:
                args.append(("resolvable", print_ast(resolvable)))
            applied.append(Applied("join__type", (*args, *itf_object)))
    return tuple(applied)


def _implements(ctx: Context, name: str, sources: Sources) -> tuple[Applied, ...]:
    return tuple(
        Applied("join__implements", (ctx.graph(i), ("interface", gql_string(itf))))
        for i, t in sources.items()
        for itf in t.interfaces
    )


def check_extension_base(ctx: Context, name: str, sources: Sources) -> None:
    """An extension in every defining subgraph and no definition anywhere is an error."""
    if name in ("Query", "Mutation", "Subscription"):
        return
    if any(t.has_definition for t in sources.values()):
        return
    for i in sources:
        ctx.errors.append(
            error(
                "EXTENSION_WITH_NO_BASE",
                f'[{ctx.names[i]}] Type "{name}" is an extension type, but there is no type '
                f'definition for "{name}" in any subgraph.',
                [ctx.names[i]],
                name,
            )
        )


def merge_composite(ctx: Context, name: str, sources: Sources) -> SType | None:
    """An object or interface type; None when no subgraph left it any field."""
    kind = ctx.kinds[name]
    check_extension_base(ctx, name, sources)
    if kind == "INTERFACE":
        _validate_interface(ctx, name, sources)
    fields = merge_fields(ctx, name, sources, sharing=kind == "OBJECT")
    if not fields and kind == "OBJECT":
        return None
    extra = [  # implementations' access control guards the interface (subgraph, document order)
        t
        for s in (ctx.subgraphs if kind == "INTERFACE" else ())
        for t in s.types.values()
        if t.kind == "OBJECT" and name in ctx.implements.get(t.name, ())
    ]
    inaccessible, others = merged_applications(
        ctx, sources.values(), extra, access_first=kind == "INTERFACE"
    )
    return SType(
        kind=kind,
        name=name,
        description=merge_description(sources.values()),
        directives=_implements(ctx, name, sources)
        + inaccessible
        + join_types(ctx, sources)
        + others,
        interfaces=tuple(ctx.implements.get(name, ())),
        fields=fields,
    )


def _validate_interface(ctx: Context, name: str, sources: Sources) -> None:
    impls = implementations(ctx, name)
    for i, t in sources.items():
        subgraph = ctx.subgraphs[i]
        if t.name in ctx.facts[i].interface_objects:
            defined = [impl for impl in impls if subgraph.type(impl) is not None]
            if defined:
                ctx.errors.append(
                    error(
                        "INTERFACE_OBJECT_USAGE_ERROR",
                        f'[{subgraph.name}] Interface type "{name}" is defined as an '
                        f'@interfaceObject in subgraph "{subgraph.name}" so that subgraph should '
                        f'not define any of the implementation types of "{name}", but it defines '
                        + _types_list(defined),
                        [subgraph.name],
                        name,
                    )
                )
            continue
        resolvable = [k for k in t.applied("key") if k.boolean("resolvable", True)]
        mine = set(possible_types(subgraph, t))
        missing = [impl for impl in impls if impl not in mine]
        if resolvable and missing:
            ctx.errors.append(
                error(
                    "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                    f'[{subgraph.name}] Interface type "{name}" has a resolvable key in subgraph '
                    f'"{subgraph.name}" but that subgraph is missing some of the supergraph '
                    f"implementation "
                    f'types of "{name}". Subgraph "{subgraph.name}" should define '
                    f"{', '.join(missing)}.",
                    [subgraph.name],
                    name,
                )
            )


def merge_union(ctx: Context, name: str, sources: Sources) -> SType:
    """A union: members from every subgraph, with the subgraphs that know each member."""
    check_extension_base(ctx, name, sources)
    members = ctx.union_members.get(name, [])
    member_joins = tuple(
        Applied("join__unionMember", (ctx.graph(i), ("member", gql_string(m))))
        for m in members
        for i, t in sources.items()
        if m in t.members
    )
    inaccessible, others = merged_applications(ctx, sources.values())
    return SType(
        kind="UNION",
        name=name,
        description=merge_description(sources.values()),
        directives=inaccessible + join_types(ctx, sources) + member_joins + others,
        members=tuple(members),
    )


def _types_list(names: list[str]) -> str:
    """``type "A"`` or ``types "A", "B" and "C"``, as Apollo lists them."""
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"type {quoted[0]}"
    return "types " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def union_members(sources: Sources) -> list[str]:
    members: list[str] = []
    for t in sources.values():
        members.extend(m for m in t.members if m not in members)
    return members


def implemented(sources: dict[int, TypeDef]) -> list[str]:
    found: list[str] = []
    for t in sources.values():
        found.extend(i for i in t.interfaces if i not in found)
    return found
