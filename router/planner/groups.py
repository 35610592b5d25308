"""Fetch groups: the fetches being built while planning, and their subgraph operations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)

from router.planner.conditions import Conditions
from router.planner.plan import FetchNode, OperationKind, Rewrite
from router.planner.selection import SelNode

GroupKey = tuple[str, tuple[str, ...], int | None, frozenset[int], int]
GroupFilter = Callable[["FetchGroup"], bool]


@dataclass(eq=False)
class FetchGroup:
    """One future fetch: a subgraph, where its result merges, and what it selects."""

    id: int
    service: str
    path: tuple[str, ...]
    is_entity: bool
    root: SelNode = field(default_factory=SelNode)
    requires: SelNode = field(default_factory=SelNode)
    parents: list[FetchGroup] = field(default_factory=list)
    entries: list[Conditions] = field(default_factory=list)
    input_rewrites: list[Rewrite] = field(default_factory=list)

    def add_rewrite(self, rewrite: Rewrite) -> None:
        if rewrite not in self.input_rewrites:
            self.input_rewrites.append(rewrite)

    def record_entry(self, conditions: Conditions) -> None:
        """Remember the conditions under which a top-level selection was added."""
        self.entries.append(conditions)

    def hoisted_conditions(self) -> Conditions:
        """Conditions every top-level selection shares: the whole fetch can be skipped."""
        if not self.entries:
            return frozenset()
        return frozenset.intersection(*self.entries)


class GroupRegistry:
    """Creates fetch groups and finds existing ones to merge into."""

    def __init__(self) -> None:
        self.groups: list[FetchGroup] = []
        self._by_key: dict[GroupKey, FetchGroup] = {}

    def root_group(self, service: str) -> FetchGroup:
        return self._get((service, (), None, frozenset(), 0), is_entity=False)

    def entity_group(
        self,
        service: str,
        path: tuple[str, ...],
        parent: FetchGroup,
        extra_parents: tuple[FetchGroup, ...] = (),
        fits: GroupFilter | None = None,
    ) -> FetchGroup:
        """The entity group for these coordinates; with `fits`, the first one that fits.

        Two @requires of one field with different arguments cannot share a representation:
        `fits` rejects such a group, and the next variant (a parallel fetch) is used.
        """
        extra = frozenset(g.id for g in extra_parents)
        variant = 0
        group = self._get((service, path, parent.id, extra, variant), is_entity=True)
        while fits is not None and not fits(group):
            variant += 1
            group = self._get((service, path, parent.id, extra, variant), is_entity=True)
        for dependency in (parent, *extra_parents):
            if dependency not in group.parents:
                group.parents.append(dependency)
        return group

    def root_services(self) -> set[str]:
        return {g.service for g in self.groups if not g.is_entity}

    def existing_entity_services(self, path: tuple[str, ...], parent: FetchGroup) -> set[str]:
        return {
            k[0]
            for k in self._by_key
            if k[1] == path and k[2] == parent.id and not k[3] and not k[4]
        }

    def _get(self, key: GroupKey, *, is_entity: bool) -> FetchGroup:
        group = self._by_key.get(key)
        if group is None:
            group = FetchGroup(len(self.groups), key[0], key[1], is_entity)
            self._by_key[key] = group
            self.groups.append(group)
        return group


def requirement_fits(type_name: str, required: SelectionSetNode) -> GroupFilter:
    """A group fits a @requires when its representation can carry the required fields."""

    def fits(group: FetchGroup) -> bool:
        fragment = group.requires.children.get(("fragment", type_name, ()))
        return fragment is None or not fragment.clashes(required)

    return fits


_REPRESENTATIONS = "representations"
_ANY_LIST = NonNullTypeNode(
    type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="_Any"))))
)


def build_fetch(
    group: FetchGroup,
    kind: OperationKind,
    variables: Mapping[str, VariableDefinitionNode],
    operation_name: str | None,
    fetch_id: int,
    output_rewrites: tuple[Rewrite, ...] = (),
) -> FetchNode:
    """Turn a finished group into the plan's FetchNode with its printed operation."""
    selection_set = group.root.to_selection_set()
    used = _used_variables(selection_set)
    definitions = [variables[name] for name in used if name in variables]
    if group.is_entity:
        selection_set = _entities_selection(selection_set)
        definitions.insert(0, _representations_definition())
    operation = OperationDefinitionNode(
        operation=OperationType.MUTATION if kind == "mutation" else OperationType.QUERY,
        name=NameNode(value=operation_name) if operation_name else None,
        variable_definitions=tuple(definitions),
        selection_set=selection_set,
    )
    return FetchNode(
        service_name=group.service,
        operation=print_ast(operation),
        operation_kind=kind,
        variable_usages=tuple(name for name in used if name in variables),
        requires=group.requires.to_plan_selections() if group.is_entity else None,
        input_rewrites=tuple(group.input_rewrites),
        output_rewrites=output_rewrites,
        operation_name=operation_name,
        id=fetch_id,
    )


def _entities_selection(inner: SelectionSetNode) -> SelectionSetNode:
    argument = ArgumentNode(
        name=NameNode(value=_REPRESENTATIONS),
        value=VariableNode(name=NameNode(value=_REPRESENTATIONS)),
    )
    entities = FieldNode(
        name=NameNode(value="_entities"), arguments=(argument,), selection_set=inner
    )
    return SelectionSetNode(selections=(entities,))


def _representations_definition() -> VariableDefinitionNode:
    return VariableDefinitionNode(
        variable=VariableNode(name=NameNode(value=_REPRESENTATIONS)), type=_ANY_LIST
    )


class _VariableCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if node.name.value not in self.names:
            self.names.append(node.name.value)


def _used_variables(selection_set: SelectionSetNode) -> list[str]:
    collector = _VariableCollector()
    visit(selection_set, collector)
    return collector.names
