"""Compose subgraph SDLs into a supergraph SDL: parse, validate each subgraph, merge, print."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schema.errors import CompositionError, CompositionFailed
from schema.facts import compute_facts
from schema.merge.merger import merge
from schema.model import Subgraph
from schema.subgraph import parse_subgraph
from schema.supergraph import print_supergraph
from schema.validate import validate_subgraph


@dataclass(frozen=True)
class SubgraphSource:
    """A subgraph to compose: its name, routing URL and SDL."""

    name: str
    url: str
    sdl: str


def compose(sources: Iterable[SubgraphSource]) -> str:
    """The supergraph SDL; CompositionFailed carrying every error found otherwise."""
    ordered = sorted(sources, key=lambda s: s.name)
    errors: list[CompositionError] = []
    subgraphs: list[Subgraph] = []
    for source in ordered:
        try:
            subgraphs.append(parse_subgraph(source.name, source.url, source.sdl))
        except CompositionFailed as failed:
            errors.extend(failed.errors)
    facts = [compute_facts(s) for s in subgraphs]
    for subgraph, fact in zip(subgraphs, facts, strict=True):
        errors.extend(validate_subgraph(subgraph, fact))
    if errors:
        raise CompositionFailed(errors)
    return print_supergraph(merge(subgraphs, facts))
