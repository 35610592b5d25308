"""The supergraph model: subgraphs, and which subgraph knows and resolves what."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from graphql import GraphQLSchema, SelectionSetNode

from router.supergraph.access import AccessRules

TypeKind: TypeAlias = Literal["object", "interface", "union", "enum", "input", "scalar"]


@dataclass(frozen=True, slots=True)
class Graph:
    """One subgraph: its `join__Graph` enum value, its name and where to reach it."""

    enum_value: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Key:
    """An `@key` of a type in one subgraph, as text and as a parsed field set."""

    graph: str
    fields: str
    selection_set: SelectionSetNode
    resolvable: bool = True


@dataclass(frozen=True, slots=True)
class TypeInGraph:
    """How one subgraph declares a type (`@join__type`)."""

    graph: str
    keys: tuple[Key, ...] = ()
    extension: bool = False
    is_interface_object: bool = False


@dataclass(frozen=True, slots=True)
class FieldInGraph:
    """How one subgraph declares a field (`@join__field`)."""

    graph: str
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None

    def resolvable(self, labels: frozenset[str] = frozenset()) -> bool:
        """Whether this subgraph resolves the field, given the active override labels."""
        if self.external or self.used_overridden:
            return False
        if self.override_label is None:
            return True
        enabled = self.override_label in labels
        return enabled if self.override is not None else not enabled


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A field of a composite type and the subgraphs that declare it.

    `everywhere` (no `@join__field` at all) means every subgraph that has the type resolves
    it; a bare `@join__field` (no graph) means none does directly (e.g. a field an
    `@interfaceObject` adds to an implementation).
    """

    name: str
    type_name: str
    joins: Mapping[str, FieldInGraph]
    everywhere: bool = False

    def in_graph(self, graph: str) -> FieldInGraph | None:
        return self.joins.get(graph)


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A named type and its per-subgraph facts."""

    name: str
    kind: TypeKind
    graphs: Mapping[str, TypeInGraph]
    fields: Mapping[str, FieldInfo] = field(default_factory=dict)
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)
    union_members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def keys(self, graph: str, *, resolvable_only: bool = False) -> tuple[Key, ...]:
        known = self.graphs.get(graph)
        if known is None:
            return ()
        return tuple(k for k in known.keys if k.resolvable or not resolvable_only)

    def resolving_graphs(
        self, field_name: str, labels: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        """Subgraphs that resolve `field_name` (not external, not overridden), in order."""
        if field_name == "__typename":
            return tuple(self.graphs)
        info = self.fields.get(field_name)
        if info is None:
            return ()
        if info.everywhere:
            return tuple(self.graphs)
        return tuple(g for g, j in info.joins.items() if j.resolvable(labels) and g in self.graphs)

    def resolves(self, graph: str, field_name: str) -> bool:
        return graph in self.resolving_graphs(field_name)

    def possible_in(self, graph: str, member: str) -> bool:
        """Whether `graph` may return a `member` object where this abstract type is expected."""
        if self.kind == "union":
            return member in self.union_members.get(graph, frozenset())
        return True


@dataclass(frozen=True, slots=True)
class Supergraph:
    """An immutable, loaded supergraph: subgraphs, types, the full and the API schema."""

    graphs: Mapping[str, Graph]
    types: Mapping[str, TypeInfo]
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    query_type: str
    mutation_type: str | None = None
    subscription_type: str | None = None
    access: AccessRules = field(default_factory=AccessRules)

    def type(self, name: str) -> TypeInfo:
        return self.types[name]

    def url(self, graph: str) -> str:
        return self.graphs[graph].url

    def root_type(self, operation: str) -> str | None:
        roots = {
            "query": self.query_type,
            "mutation": self.mutation_type,
            "subscription": self.subscription_type,
        }
        return roots.get(operation)
