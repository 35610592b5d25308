"""Plan one operation against a supergraph: the planner's entry point."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)

from router.planner.aliases import internal_aliases
from router.planner.budget import DEFAULT_BUDGET, BudgetMeter, PlanningBudget
from router.planner.emit import arrange
from router.planner.groups import FetchGroup, GroupRegistry, build_fetch
from router.planner.items import FieldItem, Item, ItemCollector
from router.planner.merging import alias_non_merging
from router.planner.normalize import normalize_operation
from router.planner.plan import FetchNode, OperationKind, PlanNode, QueryPlan, SequenceNode
from router.planner.position import Position
from router.planner.routes import PlanningError, Routes
from router.planner.scoring import ServiceChooser
from router.planner.search import CostSearch
from router.planner.walker import INTROSPECTION_ROOTS, Walker
from router.supergraph import Supergraph, with_override_labels
from router.supergraph import override_labels as override_labels_of


def plan_operation(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None = None,
    override_labels: frozenset[str] = frozenset(),
    *,
    budget: PlanningBudget = DEFAULT_BUDGET,
    meter: BudgetMeter | None = None,
    cost_search: bool = True,
) -> QueryPlan:
    """Build the query plan for a validated operation; variable values play no part.

    `override_labels` are the enabled progressive-override labels (`@override(label:)`);
    a labelled field is planned on the overriding subgraph only when its label is enabled.
    Planning is pure and synchronous; it raises `PlanningBudgetExceeded` (a
    `PlanningError` with `code` QUERY_PLANNING_BUDGET_EXCEEDED) past `budget`. A caller
    that passes its own `meter` (holding the budget) can read the work it took after.
    `cost_search=False` chooses subgraphs field by field only (see `search`), for
    comparison.
    """
    if override_labels or _has_labels(supergraph):
        supergraph = with_override_labels(supergraph, override_labels)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise PlanningError(f"no operation named {operation_name!r} in the document")
    meter = meter or BudgetMeter(budget)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = normalize_operation(supergraph.schema, operation, fragments, meter)
    return _OperationPlanner(supergraph, operation, meter, cost_search).plan()


class _OperationPlanner:
    def __init__(
        self,
        supergraph: Supergraph,
        operation: OperationDefinitionNode,
        meter: BudgetMeter,
        cost_search: bool = True,
    ) -> None:
        self.supergraph = supergraph
        self.operation = operation
        self.meter = meter
        self.kind: OperationKind = _KINDS[operation.operation]
        self.fragments: dict[str, FragmentDefinitionNode] = {}  # normalised: none left
        self.variables = {v.variable.name.value: v for v in operation.variable_definitions or ()}
        root = supergraph.root_type(operation.operation.value)
        if root is None:
            raise PlanningError(f"the supergraph has no {operation.operation.value} type")
        self.root_type = root
        self.ids: Iterator[int] = itertools.count()
        self.aliases = internal_aliases(DocumentNode(definitions=(operation,)), supergraph)
        collect = ItemCollector(supergraph.schema, self.fragments).collect
        self.routes = Routes(supergraph)
        misses = ServiceChooser(supergraph, self.fragments, meter, self.routes).misses
        self.search = (
            CostSearch(supergraph, collect, misses, meter, self.routes) if cost_search else None
        )

    def plan(self) -> QueryPlan:
        items = self._root_items()
        if self.kind == "mutation":
            steps = [self._plan_batch(batch) for batch in self._mutation_batches(items)]
            nodes = [s for s in steps if s is not None]
            node: PlanNode | None = None
            if nodes:
                node = nodes[0] if len(nodes) == 1 else SequenceNode(tuple(_flat(nodes)))
            return QueryPlan(node)
        if self.kind == "subscription":
            return _subscription_plan(self._plan_batch(items))
        return QueryPlan(self._plan_batch(items))

    def _root_items(self) -> list[FieldItem]:
        walker = Walker(
            self.supergraph, self.fragments, GroupRegistry(), meter=self.meter, routes=self.routes
        )
        items: list[Item] = walker.collect(self.root_type, self.operation.selection_set)
        return [
            i
            for i in items
            if isinstance(i, FieldItem)
            and i.node.name.value not in INTROSPECTION_ROOTS
            and i.node.name.value != "__typename"
        ]

    def _mutation_batches(self, items: list[FieldItem]) -> list[list[FieldItem]]:
        """Consecutive mutation fields of one subgraph share a fetch; order is kept."""
        chooser = Walker(
            self.supergraph, self.fragments, GroupRegistry(), meter=self.meter, routes=self.routes
        ).chooser
        batches: list[tuple[str, list[FieldItem]]] = []
        for item in items:
            service = chooser.for_root(self.root_type, item.node, ())
            if batches and batches[-1][0] == service:
                batches[-1][1].append(item)
            else:
                batches.append((service, [item]))
        return [batch for _, batch in batches]

    def _plan_batch(self, items: list[FieldItem]) -> PlanNode | None:
        registry = GroupRegistry()
        shared = self.kind == "query"
        walker = Walker(
            self.supergraph,
            self.fragments,
            registry,
            self.aliases,
            shared_roots=shared,
            meter=self.meter,
            search=self.search,
            routes=self.routes,
        )
        forced = self._single_candidates(walker, items)
        roots = None
        if shared and self.search is not None:
            roots = self.search.choose(self.root_type, None, items)
        for item in items if shared else ():
            candidates = walker.chooser.candidates(self.root_type, item.node.name.value)
            if len(candidates) == 1:
                registry.root_group(candidates[0])  # visible to shared root fields before
        for item in items:
            existing = forced | registry.root_services()
            service = roots.graphs.get(id(item.node)) if roots is not None else None
            if service is None:
                service = walker.chooser.for_root(self.root_type, item.node, existing)
            group = registry.root_group(service)
            position = Position(group, group.root, self.root_type, (), top_level=True)
            walker.add_field(position, item)
        return arrange(registry.groups, self._build)

    def _single_candidates(self, walker: Walker, items: list[FieldItem]) -> set[str]:
        """Subgraphs some root field can only come from: they are fetched anyway."""
        found: set[str] = set()
        for item in items:
            candidates = walker.chooser.candidates(self.root_type, item.node.name.value)
            if len(candidates) == 1:
                found.add(candidates[0])
        return found

    def _build(self, group: FetchGroup) -> FetchNode:
        name = self.operation.name.value if self.operation.name else None
        fetch_id = next(self.ids)
        subgraph_name = f"{name}__{group.service}__{fetch_id}" if name else None
        kind: OperationKind = "query" if group.is_entity else self.kind
        parent = None if group.is_entity else self.root_type
        renames = alias_non_merging(group.root, parent, group.service, self.supergraph)
        return build_fetch(group, kind, self.variables, subgraph_name, fetch_id, renames)


_KINDS: dict[OperationType, OperationKind] = {
    OperationType.QUERY: "query",
    OperationType.MUTATION: "mutation",
    OperationType.SUBSCRIPTION: "subscription",
}


def _subscription_plan(node: PlanNode | None) -> QueryPlan:
    """Split a subscription's plan into its primary (stream) fetch and the per-event rest."""
    first, rest = node, None
    if isinstance(node, SequenceNode):
        first = node.nodes[0]
        tail = node.nodes[1:]
        rest = tail[0] if len(tail) == 1 else SequenceNode(tail)
    if not isinstance(first, FetchNode) or first.requires is not None:
        raise PlanningError("the subscription field must come from one subgraph fetch")
    return QueryPlan(rest, primary=first)


def _has_labels(supergraph: Supergraph) -> bool:
    return bool(override_labels_of(supergraph))


def _flat(nodes: list[PlanNode]) -> Iterator[PlanNode]:
    for node in nodes:
        if isinstance(node, SequenceNode):
            yield from node.nodes
        else:
            yield node
