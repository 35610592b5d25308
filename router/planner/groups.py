"""Fetch groups: the fetches being built while planning, and their subgraph operations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from graphql import SelectionSetNode, VariableDefinitionNode

from router.planner.conditions import Conditions
from router.planner.operation_text import OperationPrinter
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
        self._roots: set[str] = set()
        self._plain: dict[tuple[tuple[str, ...], int | None], set[str]] = {}

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
        return set(self._roots)

    def existing_entity_services(self, path: tuple[str, ...], parent: FetchGroup) -> set[str]:
        """Subgraphs of the plain entity groups (no extra parents, first variant) at
        `path` under `parent`."""
        return set(self._plain.get((path, parent.id), ()))

    def _get(self, key: GroupKey, *, is_entity: bool) -> FetchGroup:
        group = self._by_key.get(key)
        if group is None:
            group = FetchGroup(len(self.groups), key[0], key[1], is_entity)
            self._by_key[key] = group
            self.groups.append(group)
            if not is_entity:
                self._roots.add(key[0])
            elif not key[3] and not key[4]:
                self._plain.setdefault((key[1], key[2]), set()).add(key[0])
        return group


def requirement_fits(type_name: str, required: SelectionSetNode) -> GroupFilter:
    """A group fits a @requires when its representation can carry the required fields."""

    def fits(group: FetchGroup) -> bool:
        fragment = group.requires.children.get(("fragment", type_name, ()))
        return fragment is None or not fragment.clashes(required)

    return fits


def build_fetch(
    group: FetchGroup,
    kind: OperationKind,
    variables: Mapping[str, VariableDefinitionNode],
    operation_name: str | None,
    fetch_id: int,
    output_rewrites: tuple[Rewrite, ...] = (),
    printer: OperationPrinter | None = None,
) -> FetchNode:
    """Turn a finished group into the plan's FetchNode with its printed operation."""
    used: dict[str, None] = {}
    operation = (printer or OperationPrinter()).operation(
        group.root,
        kind=kind,
        name=operation_name,
        entity=group.is_entity,
        definitions=variables,
        variables=used,
    )
    return FetchNode(
        service_name=group.service,
        operation=operation,
        operation_kind=kind,
        variable_usages=tuple(name for name in used if name in variables),
        requires=group.requires.to_plan_selections() if group.is_entity else None,
        input_rewrites=tuple(group.input_rewrites),
        output_rewrites=output_rewrites,
        operation_name=operation_name,
        id=fetch_id,
    )
