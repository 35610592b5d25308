"""Arrange finished fetch groups into a plan tree: sequences, parallels, conditions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from router.planner.conditions import Conditions
from router.planner.groups import FetchGroup
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    SequenceNode,
)

FetchBuilder = Callable[[FetchGroup], FetchNode]


Parents = dict[int, list[FetchGroup]]


def arrange(groups: Sequence[FetchGroup], build: FetchBuilder) -> PlanNode | None:
    """Nest single-parent groups under their parent; run multi-parent groups in later stages.

    A parent that is already an ancestor of another parent adds no ordering, so it is
    dropped first: a group needing both the root fetch and an entity fetch under that root
    nests under the entity fetch instead of waiting for a whole later stage.
    """
    parents = _direct_parents(groups)
    children: dict[int, list[FetchGroup]] = {g.id: [] for g in groups}
    for group in groups:
        if len(parents[group.id]) == 1:
            children[parents[group.id][0].id].append(group)
    stage_of: dict[int, int] = {}
    stages: dict[int, list[FetchGroup]] = {}
    for group in _stage_roots_in_order(groups, parents):
        stage = 1 + max((stage_of[p.id] for p in parents[group.id]), default=-1)
        stages.setdefault(stage, []).append(group)
        _mark_tree(group, stage, children, stage_of)
    arranger = _Arranger(children, build)
    steps = [_parallel([arranger.tree(g, frozenset()) for g in stages[s]]) for s in sorted(stages)]
    return _sequence(steps)


def _direct_parents(groups: Sequence[FetchGroup]) -> Parents:
    """Each group's parents without those that are ancestors of its other parents."""
    ancestors: dict[int, set[int]] = {}

    def ancestors_of(group: FetchGroup) -> set[int]:
        found = ancestors.get(group.id)
        if found is None:
            found = set()
            for parent in group.parents:
                found.add(parent.id)
                found |= ancestors_of(parent)
            ancestors[group.id] = found
        return found

    reduced: Parents = {}
    for group in groups:
        kept = [
            p
            for p in group.parents
            if not any(p.id in ancestors_of(q) for q in group.parents if q is not p)
        ]
        reduced[group.id] = kept
    return reduced


def _stage_roots_in_order(groups: Sequence[FetchGroup], parents: Parents) -> list[FetchGroup]:
    """Groups with zero or several parents, each after everything it depends on."""
    roots = [g for g in groups if len(parents[g.id]) != 1]
    placed: set[int] = set()
    ordered: list[FetchGroup] = []

    def owner(group: FetchGroup) -> FetchGroup:
        while len(parents[group.id]) == 1:
            group = parents[group.id][0]
        return group

    def place(group: FetchGroup) -> None:
        if group.id in placed:
            return
        placed.add(group.id)
        for parent in parents[group.id]:
            place(owner(parent))
        ordered.append(group)

    for group in roots:
        place(group)
    return ordered


def _mark_tree(
    group: FetchGroup,
    stage: int,
    children: dict[int, list[FetchGroup]],
    stage_of: dict[int, int],
) -> None:
    stage_of[group.id] = stage
    for child in children[group.id]:
        _mark_tree(child, stage, children, stage_of)


class _Arranger:
    def __init__(self, children: dict[int, list[FetchGroup]], build: FetchBuilder) -> None:
        self.children = children
        self.build = build

    def tree(self, group: FetchGroup, enclosing: Conditions) -> PlanNode:
        conditions = group.hoisted_conditions() - enclosing
        inside = enclosing | conditions
        fetch = self.build(group)
        node: PlanNode = FlattenNode(group.path, fetch) if group.is_entity else fetch
        subtrees = [self.tree(c, inside) for c in self.children[group.id]]
        if subtrees:
            node = _sequence([node, _parallel(subtrees)]) or node
        return _wrap(node, conditions)


def _wrap(node: PlanNode, conditions: Conditions) -> PlanNode:
    for variable, include_when in sorted(conditions, reverse=True):
        node = (
            ConditionNode(variable, node, None)
            if include_when
            else ConditionNode(variable, None, node)
        )
    return node


def _parallel(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, ParallelNode) else (node,))
    return flat[0] if len(flat) == 1 else ParallelNode(tuple(flat))


def _sequence(nodes: list[PlanNode]) -> PlanNode | None:
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, SequenceNode) else (node,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else SequenceNode(tuple(flat))
