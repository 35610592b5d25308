"""Satisfiability: every operation of the API schema can be planned over the subgraphs.

Apollo's composition validation, over the federated query graph of (type, subgraph)
vertices: for every path of the API schema from a root, some subgraph path must follow it.
Supergraphs in the join v0.2+ format (every Federation 2 supergraph) are understood; the
Federation 1 format (join v0.1, ``@join__owner``) is refused with ``UnsupportedSupergraph``.
"""

from __future__ import annotations

from graphql import DocumentNode, parse

from schema.errors import CompositionError
from schema.satisfiability.build import build_graph
from schema.satisfiability.engine import Engine, relevant_types
from schema.satisfiability.extract import extract
from schema.satisfiability.traversal import Traversal


class UnsupportedSupergraph(ValueError):
    """A supergraph format the check does not read (join v0.1)."""


def validate_satisfiability(supergraph_sdl: str) -> list[CompositionError]:
    """SATISFIABILITY_ERROR (and friends) for every API path no subgraph path can follow."""
    document = parse(supergraph_sdl, no_location=True)
    if not _joins_v02(document):
        raise UnsupportedSupergraph("only join v0.2 and later supergraphs are checked")
    graph = build_graph(extract(document))
    has_contexts = any(e.contexts for e in graph.edges())
    engine = Engine(graph, relevant_types(graph), has_contexts=has_contexts)
    return Traversal(engine).run()


def _joins_v02(document: DocumentNode) -> bool:
    text = [
        str(getattr(a.value, "value", ""))
        for d in document.definitions
        for directive in getattr(d, "directives", None) or ()
        if directive.name.value in ("link", "core")
        for a in directive.arguments or ()
        if a.name.value in ("url", "feature")
    ]
    join = [t for t in text if "specs.apollo.dev/join/v" in t]
    return bool(join) and all(not t.endswith("/join/v0.1") for t in join)
