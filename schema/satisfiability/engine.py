"""What the satisfiability walk shares: the query graph and its memo tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.satisfiability.extract import Extracted
from schema.satisfiability.graph import QueryGraph
from schema.satisfiability.state import DeadEnds, PathState


@dataclass(frozen=True)
class Resolution:
    """Whether an edge's conditions (@key fields, @requires, contexts) can be met."""

    ok: bool
    cost: int = 0
    reason: str | None = None  # "NO_POST_REQUIRE_KEY" | "NO_CONTEXT_SET"


NO_CONDITIONS = Resolution(True)
UNSATISFIED = Resolution(False)

# (hops as PathStates rebased on an empty start, dead ends) of one indirect computation
Hops = tuple[tuple[PathState, ...], DeadEnds]


@dataclass
class Engine:
    """The graph plus caches: condition resolutions and indirect (key) hops per path shape."""

    graph: QueryGraph
    relevant: frozenset[str]
    conditions: dict[Any, bool] = field(default_factory=dict)
    in_progress: set[Any] = field(default_factory=set)
    hops: dict[Any, Hops] = field(default_factory=dict)
    advanced: dict[Any, Any] = field(default_factory=dict)
    depth: int = 0
    has_contexts: bool = False

    @property
    def supergraph(self) -> Extracted:
        return self.graph.supergraph


def context_matches(supergraph: Extracted, parent: str, types: frozenset[str]) -> bool:
    """Whether a field of ``parent`` sits inside a type that sets one of these contexts."""
    t = supergraph.types.get(parent)
    if t is None:
        return False
    for name in types:
        if name == parent or name in t.interfaces:
            return True
        candidate = supergraph.types.get(name)
        if candidate is not None and candidate.kind == "UNION" and parent in candidate.members:
            return True
    return False


def relevant_types(graph: QueryGraph) -> frozenset[str]:
    """Field parent types that may set a context some field edge needs."""
    contexts = {c.types for e in graph.edges() for c in e.contexts}
    if not contexts:
        return frozenset()
    return frozenset(
        name
        for name in graph.supergraph.types
        if any(context_matches(graph.supergraph, name, types) for types in contexts)
    )
