"""@tag and @inaccessible in the supergraph: which are used, under which name, with their @link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from schema.errors import error
from schema.merge.context import Context, gql_string
from schema.model import Subgraph
from schema.specs import INACCESSIBLE_URL, TAG_URL
from schema.supergraph import Applied, SType, SValue

FEATURES = {"tag": (TAG_URL, None), "inaccessible": (INACCESSIBLE_URL, "SECURITY")}


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
    merged = {name: name == "tag" for name in FEATURES if name in used}
    for s in subgraphs:
        for name in s.compose_directives:
            definition = s.directive_defs.get(name)
            if definition is not None:
                merged[name] = definition.repeatable
    return merged


def feature_names(ctx: Context) -> dict[str, str]:
    """Canonical → supergraph name of @tag/@inaccessible; mismatched imports are errors."""
    names = {}
    for feature in FEATURES:
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


def _mismatch(ctx: Context, feature: str, local: Mapping[str, str]) -> None:
    by_name: dict[str, list[str]] = {}
    for subgraph, name in sorted(local.items()):
        by_name.setdefault(name, []).append(f'"{subgraph}"')
    detail = " but ".join(f'"@{name}" in {", ".join(s)}' for name, s in sorted(by_name.items()))
    ctx.errors.append(
        error(
            "LINK_IMPORT_NAME_MISMATCH",
            f'The "@{feature}" directive is imported with mismatched name between subgraphs: it '
            f"is imported as {detail}",
            sorted(local),
            f"@{feature}",
        )
    )


def feature_links(names: Mapping[str, str]) -> list[Applied]:
    """The @link of each feature used, importing it under its supergraph name if renamed."""
    links = []
    for feature, name in names.items():
        url, purpose = FEATURES[feature]
        args = [("url", gql_string(url))]
        if name != feature:
            args.append(
                ("import", f"[{{name: {gql_string('@' + feature)}, as: {gql_string('@' + name)}}}]")
            )
        if purpose:
            args.append(("for", purpose))
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
