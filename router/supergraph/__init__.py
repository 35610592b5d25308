"""The supergraph: subgraphs, join metadata and the client-facing API schema."""

from __future__ import annotations

from router.supergraph.loader import SupergraphError, load_supergraph, parse_field_set
from router.supergraph.model import (
    FieldInfo,
    FieldInGraph,
    Graph,
    Key,
    Supergraph,
    TypeInfo,
    TypeInGraph,
)
from router.supergraph.overrides import override_labels, with_override_labels

__all__ = [
    "FieldInGraph",
    "FieldInfo",
    "Graph",
    "Key",
    "Supergraph",
    "SupergraphError",
    "TypeInGraph",
    "TypeInfo",
    "load_supergraph",
    "override_labels",
    "parse_field_set",
    "with_override_labels",
]
