"""Entity batching: a plan's fetches by level, and one request per subgraph per level.

With batching on, the executor runs a plan level by level instead of branch by branch: a
fetch's level is the number of fetches that must finish before it (a `Sequence` puts its
steps on successive levels, a `Parallel` starts its branches on the same one, a
`Condition` is decided up front from the variables). Every entity fetch of one level to
one subgraph goes out as one request, each distinct fetch as its own aliased field::

    query Name($representations_0: [_Any!]!, $representations_1: [_Any!]!, $x: Int) {
      _e0: _entities(representations: $representations_0) { ... on Product { name } }
      _e1: _entities(representations: $representations_1) { ... on User { email } }
    }

An entity fetch nothing waits for until a later level is moved, within that window, to a
level where its subgraph is asked anyway. Fetches with the same selection (the same
`_entities` body, `requires` and rewrites, at different paths) share one field and one
de-duplicated list of representations. A branch
no longer starts its next fetch the moment its own previous one answered; it waits for
its level. Fewer requests, at the price of that wait.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    print_ast,
)

from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    SequenceNode,
)

Leaf = FetchNode | FlattenNode
_ANY_LIST = NonNullTypeNode(
    type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="_Any"))))
)
_CACHE_SIZE = 1024


def levels(node: PlanNode, variables: dict[str, Any]) -> list[list[Leaf]]:
    """The plan's fetches by level, conditions decided by `variables`.

    Each fetch goes on the earliest level its predecessors allow; an entity fetch that
    nothing waits for until a later level moves to the first level in that window where
    its subgraph is asked anyway, saving a request without lengthening the plan."""
    placed: list[_Placed] = []
    whole: list[int | None] = [None]
    end = _schedule(node, 0, whole, variables, placed)
    whole[0] = end - 1
    return _assign(placed, end)


class _Placed:
    __slots__ = ("deadline", "earliest", "leaf")

    def __init__(self, leaf: Leaf, earliest: int, deadline: list[int | None]) -> None:
        self.leaf = leaf
        self.earliest = earliest
        self.deadline = deadline  # the last level it may take, filled in once known

    @property
    def batchable(self) -> bool:
        return isinstance(self.leaf, FlattenNode) and self.leaf.node.requires is not None


def _schedule(
    node: PlanNode,
    level: int,
    deadline: list[int | None],
    variables: dict[str, Any],
    out: list[_Placed],
) -> int:
    """Place `node` from `level` on; the first level free after it. A step of a sequence
    must finish by the level before the next step starts: its `deadline`."""
    if isinstance(node, SequenceNode):
        for index, child in enumerate(node.nodes):
            last = index == len(node.nodes) - 1
            box: list[int | None] = deadline if last else [None]
            level = _schedule(child, level, box, variables, out)
            if not last:
                box[0] = level - 1
        return level
    if isinstance(node, ParallelNode):
        ends = [_schedule(c, level, deadline, variables, out) for c in node.nodes]
        return max(ends, default=level)
    if isinstance(node, ConditionNode):
        branch = node.if_clause if variables.get(node.condition) else node.else_clause
        return level if branch is None else _schedule(branch, level, deadline, variables, out)
    out.append(_Placed(node, level, deadline))
    return level + 1


def _assign(placed: list[_Placed], end: int) -> list[list[Leaf]]:
    found: list[list[Leaf]] = [[] for _ in range(end)]
    asked: list[set[str]] = [set() for _ in range(end)]
    movable: list[tuple[_Placed, int]] = []
    for entry in placed:
        latest = entry.deadline[0]
        assert latest is not None
        if entry.batchable and latest > entry.earliest:
            movable.append((entry, latest))
            continue
        found[entry.earliest].append(entry.leaf)
        if entry.batchable:
            asked[entry.earliest].add(_service(entry.leaf))
    for entry, latest in movable:
        service = _service(entry.leaf)
        window = range(entry.earliest, latest + 1)
        level = next((at for at in window if service in asked[at]), entry.earliest)
        found[level].append(entry.leaf)
        asked[level].add(service)
    return [level for level in found if level]


def _service(leaf: Leaf) -> str:
    return leaf.node.service_name if isinstance(leaf, FlattenNode) else leaf.service_name


def batch_key(node: FetchNode) -> Hashable:
    """Entity fetches with equal keys select the same: they can share one `_entities`."""
    body = node.operation[node.operation.index("{") :]
    return (node.service_name, body, node.requires, node.input_rewrites, node.output_rewrites)


class BatchOperations:
    """Merged operations for tuples of entity fetches, memoised (plans are cached)."""

    def __init__(self) -> None:
        self._merged: OrderedDict[tuple[int, ...], tuple[tuple[FetchNode, ...], Merged]] = (
            OrderedDict()
        )

    def merged(self, nodes: tuple[FetchNode, ...]) -> Merged:
        key = tuple(id(n) for n in nodes)
        known = self._merged.get(key)
        if known is not None and all(a is b for a, b in zip(known[0], nodes, strict=True)):
            return known[1]
        merged = merge_operations(nodes)
        self._merged[key] = (nodes, merged)
        if len(self._merged) > _CACHE_SIZE:
            self._merged.popitem(last=False)
        return merged


class Merged:
    """One request's text for several entity fetches, and its variable names."""

    __slots__ = ("operation", "representations", "variable_usages")

    def __init__(
        self, operation: str, representations: tuple[str, ...], variable_usages: tuple[str, ...]
    ) -> None:
        self.operation = operation
        self.representations = representations  # the variable for each fetch, in order
        self.variable_usages = variable_usages  # client variables any of them uses


def merge_operations(nodes: tuple[FetchNode, ...]) -> Merged:
    """`_e<i>: _entities(representations: $representations_<i>) { … }`, one per fetch."""
    parsed = [_operation(node) for node in nodes]
    clients: dict[str, VariableDefinitionNode] = {}
    for operation in parsed:
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name != "representations":
                clients.setdefault(name, definition)
    prefix = "representations"
    while any(name.startswith(prefix + "_") for name in clients):
        prefix = "_" + prefix
    names = tuple(f"{prefix}_{index}" for index in range(len(nodes)))
    fields = [_aliased_entities(op, i, names[i]) for i, op in enumerate(parsed)]
    any_list = _ANY_LIST
    definitions = [
        VariableDefinitionNode(variable=VariableNode(name=NameNode(value=name)), type=any_list)
        for name in names
    ]
    merged = OperationDefinitionNode(
        operation=parsed[0].operation,
        name=parsed[0].name,
        variable_definitions=(*definitions, *clients.values()),
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    usages = tuple(dict.fromkeys(v for node in nodes for v in node.variable_usages))
    return Merged(print_ast(merged), names, usages)


def _operation(node: FetchNode) -> OperationDefinitionNode:
    document = parse(node.operation, no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def _aliased_entities(operation: OperationDefinitionNode, index: int, name: str) -> FieldNode:
    entities = operation.selection_set.selections[0]
    assert isinstance(entities, FieldNode)
    assert entities.name.value == "_entities"
    argument = ArgumentNode(
        name=NameNode(value="representations"), value=VariableNode(name=NameNode(value=name))
    )
    return FieldNode(
        alias=NameNode(value=f"_e{index}"),
        name=entities.name,
        arguments=(argument,),
        selection_set=entities.selection_set,
    )
