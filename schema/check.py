"""Breaking and dangerous changes between two supergraphs' API schemas, via graphql-core."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import find_breaking_changes, find_dangerous_changes

from schema.api import api_schema


@dataclass(frozen=True)
class Change:
    """One schema change a client could notice."""

    breaking: bool
    kind: str
    description: str

    def __str__(self) -> str:
        level = "BREAKING" if self.breaking else "DANGEROUS"
        return f"{level} {self.kind}: {self.description}"


def schema_changes(current_supergraph: str, proposed_supergraph: str) -> list[Change]:
    """Breaking changes first, then dangerous ones, each in graphql-core's order."""
    old, new = api_schema(current_supergraph), api_schema(proposed_supergraph)
    breaking = [Change(True, c.type.name, c.description) for c in find_breaking_changes(old, new)]
    dangerous = [
        Change(False, c.type.name, c.description) for c in find_dangerous_changes(old, new)
    ]
    return breaking + dangerous
