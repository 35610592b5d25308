"""Progressive override: the supergraph as planned for one set of enabled labels."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from router.supergraph.model import FieldInfo, FieldInGraph, Supergraph, TypeInfo


def with_override_labels(supergraph: Supergraph, labels: frozenset[str]) -> Supergraph:
    """Resolve every `@override(label:)` for `labels`: the losing side stops resolving."""
    types = {name: _type(info, labels) for name, info in supergraph.types.items()}
    return dataclasses.replace(supergraph, types=types)


def override_labels(supergraph: Supergraph) -> frozenset[str]:
    """Every progressive-override label the supergraph uses."""
    return frozenset(
        join.override_label
        for info in supergraph.types.values()
        for field in info.fields.values()
        for join in field.joins.values()
        if join.override_label is not None
    )


def _type(info: TypeInfo, labels: frozenset[str]) -> TypeInfo:
    if not any(j.override_label for f in info.fields.values() for j in f.joins.values()):
        return info
    fields = {name: _field(field, labels) for name, field in info.fields.items()}
    return dataclasses.replace(info, fields=fields)


def _field(field: FieldInfo, labels: frozenset[str]) -> FieldInfo:
    joins: Mapping[str, FieldInGraph] = {
        graph: _join(join, labels) for graph, join in field.joins.items()
    }
    return dataclasses.replace(field, joins=joins)


def _join(join: FieldInGraph, labels: frozenset[str]) -> FieldInGraph:
    if join.override_label is None:
        return join
    resolvable = join.resolvable(labels)
    return dataclasses.replace(join, override_label=None, used_overridden=not resolvable)
