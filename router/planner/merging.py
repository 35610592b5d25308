"""Fields that cannot merge in a subgraph: alias them in the fetch, rename them back after.

A client's `... on Book { code } ... on Pen { code }` is valid against the supergraph, where
both are `String`, but not in a subgraph where `Book.code` is `String!` (`@join__field(type:)`
records such differences): GraphQL's "fields in set can merge" rule rejects it. Like Apollo's
planner, the later field is selected as `code__alias_0: code`, and the fetch's output
rewrite (`KeyRenamer`) puts the value back under `code` before the result is merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, parse_type

from router.planner.plan import KeyRenamer
from router.planner.selection import SelNode
from router.supergraph import Supergraph

Level = tuple[tuple[str, ...], SelNode, str | None]
"""A selection set to check: its path in the fetch result, its node and its parent type."""


@dataclass
class _Seen:
    """The first field answering a response name at one level, and the sets beneath it."""

    name: str
    type: TypeNode
    levels: list[Level] = field(default_factory=list)


def alias_non_merging(
    root: SelNode, parent_type: str | None, graph: str, supergraph: Supergraph
) -> tuple[KeyRenamer, ...]:
    """Alias fields of `root` that `graph` cannot merge; the renames that undo it."""
    renames: list[KeyRenamer] = []
    _Aliaser(graph, supergraph, renames).level([((), root, parent_type)])
    return tuple(reversed(renames))  # inner renames first: their paths use outer aliases


class _Aliaser:
    def __init__(self, graph: str, supergraph: Supergraph, renames: list[KeyRenamer]) -> None:
        self.graph = graph
        self.supergraph = supergraph
        self.renames = renames

    def level(self, levels: list[Level]) -> None:
        """One response level, possibly spread over several selection sets (merged fields)."""
        seen: dict[str, _Seen] = {}
        for prefix, node, parent in levels:
            for path, child, child_parent in _fields_in_set(node, parent, prefix):
                self._field(seen, path, child, child_parent)
        for entry in seen.values():
            if entry.levels:
                self.level(entry.levels)

    def _field(
        self, seen: dict[str, _Seen], path: tuple[str, ...], node: SelNode, parent: str | None
    ) -> None:
        assert node.name is not None
        field_type = self._type(parent, node.name)
        response = node.response_name
        sub = self._sub_type(parent, node.name)
        previous = seen.get(response)
        if previous is None:
            seen[response] = _Seen(node.name, field_type)
            previous = seen[response]
        elif previous.name != node.name or not self._mergeable(previous.type, field_type):
            alias = _alias_name(response, seen)
            node.alias = alias
            self.renames.append(KeyRenamer((*path, alias), response))
            seen[alias] = previous = _Seen(node.name, field_type)
        if node.composite:
            previous.levels.append(((*path, node.response_name), node, sub))

    def _type(self, parent: str | None, name: str) -> TypeNode:
        if name == "__typename" or parent is None:
            return _parsed_type("String!")
        info = self.supergraph.types.get(parent)
        known = info.fields.get(name) if info is not None else None
        join = known.in_graph(self.graph) if known is not None else None
        if join is not None and join.type:
            return _parsed_type(join.type)
        definition = self.supergraph.schema.get_type(parent)
        fields = getattr(definition, "fields", {})
        return _parsed_type(str(fields[name].type) if name in fields else "String")

    def _sub_type(self, parent: str | None, name: str) -> str | None:
        info = self.supergraph.types.get(parent) if parent is not None else None
        known = info.fields.get(name) if info is not None else None
        return known.type_name if known is not None else None

    def _mergeable(self, first: TypeNode, second: TypeNode) -> bool:
        """Apollo's `typesCanBeMerged`: same wrappers; composite leaves always merge."""
        if isinstance(first, NonNullTypeNode | ListTypeNode):
            same_wrapper = type(first) is type(second)
            return same_wrapper and self._mergeable(first.type, second.type)  # type: ignore[attr-defined]
        if isinstance(second, NonNullTypeNode | ListTypeNode):
            return False
        assert isinstance(first, NamedTypeNode)
        assert isinstance(second, NamedTypeNode)
        if self._composite(first.name.value) and self._composite(second.name.value):
            return True
        return first.name.value == second.name.value

    def _composite(self, name: str) -> bool:
        info = self.supergraph.types.get(name)
        return info is not None and info.kind in ("object", "interface", "union")


@lru_cache(maxsize=1024)
def _parsed_type(text: str) -> TypeNode:
    return parse_type(text)


def _fields_in_set(
    node: SelNode, parent: str | None, prefix: tuple[str, ...]
) -> list[tuple[tuple[str, ...], SelNode, str | None]]:
    """Every field of one level: its path (with `... on T` steps), node and parent type."""
    found: list[tuple[tuple[str, ...], SelNode, str | None]] = []
    for child in node.children.values():
        if child.name is not None:
            found.append((prefix, child, parent))
        else:
            condition = child.type_condition
            step = (f"... on {condition}",) if condition else ()
            found.extend(_fields_in_set(child, condition or parent, (*prefix, *step)))
    return found


def _alias_name(response: str, seen: dict[str, _Seen]) -> str:
    counter = 0
    while f"{response}__alias_{counter}" in seen:
        counter += 1
    return f"{response}__alias_{counter}"
