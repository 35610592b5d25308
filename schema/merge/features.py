"""@tag and @inaccessible in the supergraph: which are used, under which name, with their @link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from schema.errors import error
from schema.merge.context import Context, gql_string
from schema.model import Subgraph
from schema.specs import FEATURE_SPECS, NOT_MERGED
from schema.supergraph import Applied, SType, SValue

BUILT_IN = ("deprecated", "specifiedBy")


def applied_names(subgraph: Subgraph) -> set[str]:
    """Canonical names of every directive applied somewhere in ``subgraph``."""
    return {
        d.name
        for t in subgraph.types.values()
        for element in (
            t,
            *t.fields,
            *t.values,
            *t.input_fields,
            *(a for f in t.fields for a in f.args),
        )
        for d in element.directives
    }


def merged_directives(subgraphs: Sequence[Subgraph]) -> dict[str, bool]:
    """Directives carried into the supergraph → whether they are repeatable."""
    used = set().union(*(applied_names(s) for s in subgraphs))
    merged = {
        name: spec.repeatable
        for name, spec in FEATURE_SPECS.items()
        if name in used and name not in NOT_MERGED
    }
    merged |= {name: False for name in BUILT_IN if name in used}
    for s in subgraphs:
        for name in s.compose_directives:
            definition = s.directive_defs.get(name)
            if definition is not None:
                merged[name] = definition.repeatable
    return merged


def feature_order(subgraphs: Sequence[Subgraph]) -> list[str]:
    """Features in Apollo's order: by subgraph, then the subgraph's own directive definitions,
    then the federation spec's order; only features a subgraph applies count."""
    order: list[str] = []
    for s in subgraphs:
        used = applied_names(s)
        for name in (*s.defined_directives, *FEATURE_SPECS):
            if name in FEATURE_SPECS and name in used and name not in order:
                order.append(name)
    return order


def feature_names(ctx: Context) -> dict[str, str]:
    """Canonical → supergraph name of each feature directive, in Apollo's order; mismatched
    imports are errors."""
    names = {}
    for feature in feature_order(ctx.subgraphs):
        if feature not in ctx.merged_directives:
            continue
        local = {
            s.name: s.feature_names[feature] for s in ctx.subgraphs if feature in applied_names(s)
        }
        distinct = sorted(set(local.values()))
        if len(distinct) > 1:
            _mismatch(ctx, feature, local)
        names[feature] = distinct[0]
    return names


def with_companions(names: Mapping[str, str]) -> dict[str, str]:
    """Names to define: a linked spec brings all its directives (``@cost__listSize`` too)."""
    defined = dict(names)
    urls = {FEATURE_SPECS[f].url for f in names}
    for feature, spec in FEATURE_SPECS.items():
        if spec.url in urls and feature not in defined:
            spec_name = spec.url.rsplit("/", 2)[-2]
            defined[feature] = feature if feature == spec_name else f"{spec_name}__{feature}"
    return defined


def _mismatch(ctx: Context, feature: str, local: Mapping[str, str]) -> None:
    by_name: dict[str, list[str]] = {}
    for subgraph, name in sorted(local.items()):
        by_name.setdefault(name, []).append(f'"{subgraph}"')
    detail = " but ".join(f'"@{name}" in {", ".join(s)}' for name, s in sorted(by_name.items()))
    ctx.errors.append(
        error(
            "LINK_IMPORT_NAME_MISMATCH",
            f'The "@{feature}" directive is imported with mismatched name between subgraphs: it is '
            f"imported as {detail}",
            sorted(local),
            f"@{feature}",
        )
    )


def feature_links(names: Mapping[str, str]) -> list[Applied]:
    """One @link per spec used, importing directives not under the spec's own name."""
    by_url: dict[str, list[str]] = {}
    for feature, name in names.items():
        spec_name = FEATURE_SPECS[feature].url.rsplit("/", 2)[-2]
        imports = by_url.setdefault(FEATURE_SPECS[feature].url, [])
        if name == feature and name != spec_name:
            imports.append(gql_string("@" + feature))
        elif name != feature:
            local = gql_string("@" + name)
            imports.append(f"{{name: {gql_string('@' + feature)}, as: {local}}}")
    links = []
    for url, imports in by_url.items():
        purpose = next(s.purpose for s in FEATURE_SPECS.values() if s.url == url)
        args = [("url", gql_string(url))]
        if purpose:
            args.append(("for", purpose))
        if imports:
            args.append(("import", f"[{', '.join(imports)}]"))
        links.append(Applied("link", tuple(args)))
    return links


def rename_applied(types: Sequence[SType], renames: Mapping[str, str]) -> tuple[SType, ...]:
    """Types with directive applications renamed (``tag`` → ``label``)."""
    if not renames:
        return tuple(types)

    def applied(ds: tuple[Applied, ...]) -> tuple[Applied, ...]:
        return tuple(replace(d, name=renames.get(d.name, d.name)) for d in ds)

    def value(v: SValue) -> SValue:
        return replace(v, directives=applied(v.directives), args=tuple(value(a) for a in v.args))

    return tuple(
        replace(t, directives=applied(t.directives), fields=tuple(value(f) for f in t.fields))
        for t in types
    )
