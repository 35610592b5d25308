"""Drive the merge: kinds, then types in Apollo's order, then post-merge checks."""

from __future__ import annotations

from collections.abc import Sequence

from schema.errors import CompositionFailed, error
from schema.facts import Facts
from schema.merge.composed import composed_links
from schema.merge.composite import implemented, merge_composite, merge_union, union_members
from schema.merge.context import Context, gql_string
from schema.merge.executable import executable_directives
from schema.merge.features import (
    feature_links,
    feature_names,
    merged_directives,
    rename_applied,
    with_companions,
)
from schema.merge.interface_objects import add_interface_object_fields
from schema.merge.leaf import merge_enum, merge_input, merge_scalar
from schema.merge.postmerge import validate_merged
from schema.model import Kind, Subgraph
from schema.specs import ACCESS_CONTROL, FEATURE_SPECS, join_version
from schema.supergraph import Applied, SType, Supergraph

_ORDER: tuple[Kind, ...] = ("SCALAR", "INPUT_OBJECT", "INTERFACE", "OBJECT", "UNION", "ENUM")


def merge(subgraphs: Sequence[Subgraph], facts: Sequence[Facts]) -> Supergraph:
    """The supergraph of validated subgraphs (already in name order); CompositionFailed if not."""
    ctx = Context(tuple(subgraphs), tuple(facts), merged_directives(subgraphs))
    names = feature_names(ctx)
    ctx.access_order = tuple(n for n in names if n in ACCESS_CONTROL)
    _collect_kinds(ctx)
    for name in ctx.kinds:
        sources = ctx.sources(name)
        ctx.implements[name] = implemented(sources)
        ctx.union_members[name] = union_members(sources) if ctx.kinds[name] == "UNION" else []
    merged: dict[str, SType] = {}
    for kind in _ORDER:
        for name, k in ctx.kinds.items():
            if k == kind:
                t = _merge_type(ctx, name, kind)
                if t is not None:
                    merged[name] = t
    if "Query" not in merged:
        ctx.errors.append(
            error(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
            )
        )
    if not ctx.errors:
        merged = add_interface_object_fields(ctx, merged)
        validate_merged(ctx, merged)
    if ctx.errors:
        raise CompositionFailed(ctx.errors)
    return _supergraph(ctx, merged, names)


def _merge_type(ctx: Context, name: str, kind: Kind) -> SType | None:
    sources = ctx.sources(name)
    if kind in ("OBJECT", "INTERFACE"):
        return merge_composite(ctx, name, sources)
    if kind == "UNION":
        return merge_union(ctx, name, sources)
    if kind == "ENUM":
        return merge_enum(ctx, name, sources)
    if kind == "INPUT_OBJECT":
        return merge_input(ctx, name, sources)
    return merge_scalar(ctx, name, sources)


def _collect_kinds(ctx: Context) -> None:
    mismatched: dict[str, set[str]] = {}
    for idx, subgraph in enumerate(ctx.subgraphs):
        for t in subgraph.types.values():
            kind = ctx.kind_in(idx, t)
            known = ctx.kinds.setdefault(t.name, kind)
            if known != kind:
                mismatched.setdefault(t.name, {known}).add(kind)
    for name, kinds in mismatched.items():
        ctx.errors.append(
            error(
                "TYPE_KIND_MISMATCH",
                f'Type "{name}" has mismatched kind: it is defined as '
                f"{' and '.join(sorted(kinds))} in "
                "different subgraphs",
                [s.name for s in ctx.subgraphs if s.type(name)],
                name,
            )
        )
    for name, kind in ctx.kinds.items():
        if kind != "INTERFACE" or name in mismatched:
            continue
        if all(s.kind_of(name) in (None, "OBJECT") for s in ctx.subgraphs):
            ctx.errors.append(
                error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in '
                    f"which it is defined but should be defined as an interface in at least one "
                    f"subgraph",
                    [s.name for s in ctx.subgraphs if s.type(name)],
                    name,
                )
            )
    if ctx.errors:
        raise CompositionFailed(ctx.errors)


def _supergraph(ctx: Context, merged: dict[str, SType], names: dict[str, str]) -> Supergraph:
    version = max(s.federation_version for s in ctx.subgraphs)
    join = join_version(version)
    links = [
        Applied("link", (("url", gql_string("https://specs.apollo.dev/link/v1.0")),)),
        Applied(
            "link",
            (
                ("url", gql_string(f"https://specs.apollo.dev/join/v{join[0]}.{join[1]}")),
                ("for", "EXECUTION"),
            ),
        ),
    ]
    links += feature_links(names)
    extra_links, extra_directives = composed_links(ctx)
    roots = tuple(
        (op, name)
        for op, name in (
            ("query", "Query"),
            ("mutation", "Mutation"),
            ("subscription", "Subscription"),
        )
        if name in merged
    )
    return Supergraph(
        links=(*links, *extra_links),
        roots=roots,
        join_version=join,
        types=rename_applied(list(merged.values()), {k: v for k, v in names.items() if k != v}),
        graphs=tuple((g, s.name, s.url) for g, s in zip(ctx.graphs, ctx.subgraphs, strict=True)),
        extra_directives=extra_directives + executable_directives(ctx),
        features=tuple(with_companions(names).items()),
        extra_types=tuple(f"scalar {t}" for f in names for t in FEATURE_SPECS[f].types),
    )
