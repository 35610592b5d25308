"""State shared by the merge rules: subgraphs in name order, their facts, errors, enum usage."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from schema.errors import CompositionError
from schema.facts import Facts
from schema.model import Element, Kind, Subgraph, TypeDef

Sources = dict[int, TypeDef]


def gql_string(value: str) -> str:
    """A GraphQL string literal."""
    return json.dumps(value, ensure_ascii=False)


def graph_enum_names(names: Sequence[str]) -> tuple[str, ...]:
    """join__Graph value for each subgraph name, as Apollo sanitizes and de-duplicates them."""
    sanitized = [_sanitize(n) for n in names]
    counts: dict[str, int] = {}
    result = []
    for s in sanitized:
        if sanitized.count(s) == 1:
            result.append(s)
        else:
            counts[s] = counts.get(s, 0) + 1
            result.append(f"{s}_{counts[s]}")
    return tuple(result)


def _sanitize(name: str) -> str:
    upper = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
    return "_" + upper if upper[:1].isdigit() or not upper else upper


@dataclass
class Context:
    """Mutable merge state; the values it produces are frozen."""

    subgraphs: tuple[Subgraph, ...]
    facts: tuple[Facts, ...]
    merged_directives: dict[str, bool]
    graphs: tuple[str, ...] = ()
    errors: list[CompositionError] = field(default_factory=list)
    enum_usage: dict[str, str] = field(default_factory=dict)
    enum_examples: dict[str, dict[str, str]] = field(default_factory=dict)
    kinds: dict[str, Kind] = field(default_factory=dict)
    implements: dict[str, list[str]] = field(default_factory=dict)
    union_members: dict[str, list[str]] = field(default_factory=dict)
    access_order: tuple[str, ...] = ()  # access-control directives in the supergraph's order

    def __post_init__(self) -> None:
        self.graphs = graph_enum_names([s.name for s in self.subgraphs])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subgraphs)

    def kind_in(self, idx: int, t: TypeDef) -> Kind:
        """The kind ``t`` merges as: @interfaceObject types count as interfaces."""
        return "INTERFACE" if t.name in self.facts[idx].interface_objects else t.kind

    def sources(self, name: str) -> Sources:
        """Each subgraph's definition of type ``name`` when its kind matches the merged kind."""
        found: Sources = {}
        for idx, subgraph in enumerate(self.subgraphs):
            t = subgraph.type(name)
            if t is not None and self.kind_in(idx, t) == self.kinds.get(name):
                found[idx] = t
        return found

    def graph(self, idx: int) -> tuple[str, str]:
        return ("graph", self.graphs[idx])

    def record_enum_usage(self, type_ref: str, position: str, coordinate: str) -> None:
        from schema.model import base_name

        name = base_name(type_ref)
        if self.kinds.get(name) != "ENUM":
            return
        existing = self.enum_usage.get(name)
        self.enum_usage[name] = position if existing in (None, position) else "Both"
        self.enum_examples.setdefault(name, {}).setdefault(position, coordinate)

    def subgraph_list(self, indexes: Iterable[int]) -> str:
        names = [f'"{self.names[i]}"' for i in indexes]
        if len(names) == 1:
            return f"subgraph {names[0]}"
        return "subgraphs " + ", ".join(names[:-1]) + " and " + names[-1]


def merge_description(elements: Iterable[Element | None]) -> str | None:
    """The shared description, or the most common one when subgraphs disagree."""
    counts: dict[str, int] = {}
    for e in elements:
        if e is not None and e.description is not None:
            counts[e.description] = counts.get(e.description, 0) + 1
    if not counts:
        return None
    non_empty = [d for d in counts if d != ""]
    if len(counts) == 1:
        return next(iter(counts))
    if len(non_empty) == 1:
        return non_empty[0]
    return max(counts, key=lambda d: counts[d] if d else -1)


def present(sources: Mapping[int, object | None]) -> Iterator[int]:
    return (i for i, s in sources.items() if s is not None)
