"""Compare what plans fetch: per fetch, its subgraph, path and the leaf fields it selects."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
)

FetchContent = tuple[str, str, frozenset[str]]


def fetch_contents(node: dict[str, Any] | None, schema: GraphQLSchema) -> Counter[FetchContent]:
    """(service, flatten path, leaf field paths) for every fetch; aliases, `__typename` and
    fragments on the parent's own type are ignored, so equivalent selections compare equal."""
    found: Counter[FetchContent] = Counter()
    _collect(node, "", schema, found)
    return found


def _collect(node: Any, path: str, schema: GraphQLSchema, found: Counter[FetchContent]) -> None:
    if node is None:
        return
    kind = node["kind"]
    if kind == "Fetch":
        found[(node["serviceName"], path, _leaves(node, schema))] += 1
    elif kind == "Flatten":
        steps = (re.sub(r"\|\[.*\]$", "", p) for p in node["path"])
        _collect(node["node"], ".".join(s for s in steps if not s.startswith("...")), schema, found)
    elif kind == "Condition":
        _collect(node.get("ifClause"), path, schema, found)
        _collect(node.get("elseClause"), path, schema, found)
    else:
        for child in node["nodes"]:
            _collect(child, path, schema, found)


def _leaves(fetch: dict[str, Any], schema: GraphQLSchema) -> frozenset[str]:
    document = parse(fetch["operation"])
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    selection_set = operation.selection_set
    root = schema.get_root_type(operation.operation)
    assert root is not None
    parent = root.name
    if fetch.get("requires") is not None:
        entities = selection_set.selections[0]
        assert isinstance(entities, FieldNode)
        assert entities.selection_set is not None
        selection_set, parent = entities.selection_set, ""
    out: set[str] = set()
    _Walker(schema, fragments, out).walk(selection_set, parent, "")
    return frozenset(out)


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        out: set[str],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.out = out

    def walk(self, selection_set: SelectionSetNode, parent: str, prefix: str) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                condition = definition.type_condition.name.value
                self._fragment(definition.selection_set, condition, parent, prefix)
            elif isinstance(selection, InlineFragmentNode):
                named = selection.type_condition
                condition = named.name.value if named else parent
                self._fragment(selection.selection_set, condition, parent, prefix)
            else:
                assert isinstance(selection, FieldNode)
                self._field(selection, parent, prefix)

    def _fragment(
        self, selection_set: SelectionSetNode, condition: str, parent: str, prefix: str
    ) -> None:
        inner = prefix if condition == parent else f"{prefix}on {condition}/"
        self.walk(selection_set, condition, inner)

    def _field(self, selection: FieldNode, parent: str, prefix: str) -> None:
        name = selection.name.value
        if name == "__typename":
            return
        if selection.selection_set is None:
            self.out.add(prefix + name)
            return
        owner: Any = self.schema.get_type(parent)
        child = get_named_type(owner.fields[name].type).name
        self.walk(selection.selection_set, child, f"{prefix}{name}/")
