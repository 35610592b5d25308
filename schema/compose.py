"""Compose subgraph SDLs into a supergraph SDL: parse, validate each subgraph, merge, print,
then prove every API operation can be planned (satisfiability)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schema.errors import CompositionError, CompositionFailed
from schema.facts import compute_facts
from schema.fed1 import upgrade_all
from schema.merge.merger import merge
from schema.model import Subgraph
from schema.satisfiability import validate_satisfiability
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
    errors: list[CompositionError] = []
    subgraphs: list[Subgraph] = []
    for source in sorted(sources, key=lambda s: s.name):
        try:
            subgraph = parse_subgraph(source.name, source.url, source.sdl)
        except CompositionFailed as failed:
            errors.extend(failed.errors)
            continue
        subgraphs.append(subgraph)
        if not subgraph.fed1:  # Federation 1 subgraphs are checked once upgraded
            errors.extend(validate_subgraph(subgraph, compute_facts(subgraph)))
    if errors:
        raise CompositionFailed(errors)
    subgraphs, errors = upgrade_all(subgraphs)
    for subgraph in subgraphs:
        if subgraph.fed1:
            errors.extend(validate_subgraph(subgraph, compute_facts(subgraph)))
    if errors:
        raise CompositionFailed(errors)
    supergraph = print_supergraph(merge(subgraphs, [compute_facts(s) for s in subgraphs]))
    errors = validate_satisfiability(supergraph)
    if errors:
        raise CompositionFailed(errors)
    return supergraph
