"""Directive applications in the supergraph: repeatable ones deduplicated, others merged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from graphql import parse_value, value_from_ast_untyped

from schema.merge.context import Context
from schema.model import Element
from schema.specs import ACCESS_CONTROL
from schema.supergraph import Applied

_DNF = {"requiresScopes": "scopes", "policy": "policies"}


def merged_applications(
    ctx: Context,
    elements: Iterable[Element | None],
    extra: Iterable[Element] = (),
    access_first: bool = False,
) -> tuple[tuple[Applied, ...], tuple[Applied, ...]]:
    """(@inaccessible, other merged directives) applied to any of ``elements``.

    ``extra`` elements (an interface's implementations, an @interfaceObject's fields)
    contribute access-control directives only. With ``access_first`` (fields, interfaces) the
    access-control directives come first, in the order of their @link, as Apollo merges them
    in a pass of their own.
    """
    grouped: dict[str, list[Applied]] = {}
    for e in elements:
        for d in e.directives if e is not None else ():
            if d.name in ctx.merged_directives:
                grouped.setdefault(d.name, []).append(Applied(d.name, d.printed_args()))
    for e in extra:
        for d in e.directives:
            if d.name in ACCESS_CONTROL and d.name in ctx.merged_directives:
                grouped.setdefault(d.name, []).append(Applied(d.name, d.printed_args()))
    merged: list[Applied] = []
    for name, applications in grouped.items():
        distinct = list(dict.fromkeys(applications))
        if ctx.merged_directives[name] or len(distinct) == 1:
            merged.extend(distinct if ctx.merged_directives[name] else distinct[:1])
        elif name in _DNF:
            merged.append(_dnf_merge(name, distinct))
        elif name in _STRATEGIES:
            merged.append(_merge_by_argument(name, distinct))
        else:
            merged.append(max(distinct, key=applications.count))
    if access_first:
        access = [a for name in ctx.access_order for a in merged if a.name == name]
        merged = access + [a for a in merged if a.name not in ACCESS_CONTROL]
    inaccessible = tuple(a for a in merged if a.name == "inaccessible")
    return inaccessible, tuple(a for a in merged if a.name != "inaccessible")


def _dnf_merge(name: str, applications: list[Applied]) -> Applied:
    arg = _DNF[name]
    values = [
        value_from_ast_untyped(parse_value(dict(a.args)[arg])) for a in applications if a.args
    ]
    merged = dnf_conjunction(values)
    printed = "[" + ", ".join("[" + ", ".join(json.dumps(x) for x in c) + "]" for c in merged) + "]"
    return Applied(name, ((arg, printed),))


def dnf_conjunction(values: list[list[list[str]]]) -> list[list[str]]:
    """AND of disjunctions of conjunctions, as a disjunction without subsumed members."""
    if not values:
        return []
    normalised: list[list[list[str]]] = []
    for value in values:
        clauses = sorted((sorted(c) for c in (value or [[]])), key=_js_json)
        if clauses not in normalised:
            normalised.append(clauses)
    result = normalised[0]
    for current in normalised[1:]:
        candidates: list[list[str]] = []
        for left in result:
            for right in current:
                candidate = sorted([*left, *(x for x in right if x not in left)])
                if candidate not in candidates:
                    candidates.append(candidate)
        result = _without_subsumed(candidates)
    return result


def _js_json(value: list[str]) -> str:
    """JSON.stringify's spelling, which Apollo sorts by."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _without_subsumed(values: list[list[str]]) -> list[list[str]]:
    kept: list[list[str]] = []
    for candidate in sorted(values, key=len):
        if not any(set(k) <= set(candidate) for k in kept):
            kept.append(candidate)
    return kept


def _max(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _union(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    merged: list[Any] = []
    for value in present:
        merged.extend(x for x in value if x not in merged)
    return merged


def _and(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return all(present) if present else None


_STRATEGIES: dict[str, dict[str, Callable[[list[Any]], Any]]] = {
    "cost": {"weight": _max},
    "listSize": {
        "assumedSize": _max,
        "slicingArguments": _union,
        "sizedFields": _union,
        "requireOneSlicingArgument": _and,
    },
}
_DEFAULTS = {"listSize": {"requireOneSlicingArgument": True}}


def _merge_by_argument(name: str, applications: list[Applied]) -> Applied:
    """Each argument merged by its own strategy (max, union, and), as the cost spec says."""
    parsed = [
        {
            **_DEFAULTS.get(name, {}),
            **{k: value_from_ast_untyped(parse_value(v)) for k, v in a.args},
        }
        for a in applications
    ]
    args = []
    for arg, strategy in _STRATEGIES[name].items():
        value = strategy([p.get(arg) for p in parsed])
        if value is not None:
            args.append((arg, json.dumps(value)))
    return Applied(name, tuple(args))
