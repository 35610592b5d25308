"""Choose among subgraphs that can resolve a field: fewer fetches first, then order."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, SelectionSetNode

from router.planner.abstract import provided_field
from router.planner.budget import BudgetMeter
from router.planner.groups import FetchGroup, GroupRegistry
from router.planner.routes import PlanningError, Routes
from router.supergraph import Supergraph


class ServiceChooser:
    """Scores candidate subgraphs by the entity fetches choosing them would cost."""

    def __init__(
        self,
        supergraph: Supergraph,
        fragments: Mapping[str, FragmentDefinitionNode],
        meter: BudgetMeter | None = None,
        routes: Routes | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.fragments = fragments
        self.meter = meter or BudgetMeter()
        self.routes = routes or Routes(supergraph)

    def candidates(self, type_name: str, name: str) -> tuple[str, ...]:
        found = self.supergraph.type(type_name).resolving_graphs(name)
        if not found:
            raise PlanningError(f"no subgraph resolves {type_name}.{name}")
        return found

    def for_root(self, type_name: str, node: FieldNode, existing: Collection[str]) -> str:
        """The subgraph for a root field: fewest new fetches, then fewest sequential steps."""
        candidates = self.candidates(type_name, node.name.value)

        def cost(graph: str) -> tuple[int, int, int]:
            fresh = 0 if graph in existing else 1
            misses = self.misses(graph, type_name, node)
            return (fresh + misses, int(misses > 0), candidates.index(graph))

        return min(candidates, key=cost)

    def for_field(
        self,
        group: FetchGroup,
        type_name: str,
        path: tuple[str, ...],
        node: FieldNode,
        registry: GroupRegistry,
    ) -> str:
        """The subgraph to jump to for a field the current fetch cannot resolve."""
        candidates = self.candidates(type_name, node.name.value)
        existing = registry.existing_entity_services(path, group)

        def cost(graph: str) -> tuple[int, int, int]:
            hops = self.routes.length(type_name, group.service, graph)
            if graph in existing:
                hops -= 1
            requires = self._has_requires(type_name, node.name.value, graph)
            misses = self.misses(graph, type_name, node) + requires
            return (hops + misses, misses, candidates.index(graph))

        return min(candidates, key=cost)

    def _has_requires(self, type_name: str, name: str, graph: str) -> int:
        field = self.supergraph.type(type_name).fields.get(name)
        join = field.in_graph(graph) if field else None
        return int(join is not None and join.requires is not None)

    def misses(
        self,
        graph: str,
        type_name: str,
        node: FieldNode,
        provided: SelectionSetNode | None = None,
    ) -> int:
        """How many fields under `node` the subgraph would have to fetch elsewhere; fields
        its `@provides` on `node` (or `provided`, from above) covers are not missing."""
        field = self.supergraph.type(type_name).fields.get(node.name.value)
        if field is None or node.selection_set is None:
            return 0
        entry = provided_field(provided, node.name.value, type_name)
        if entry is not None:
            below = entry.selection_set
        else:
            join = field.in_graph(graph)
            below = join.provides if join is not None else None
        join = field.in_graph(graph)
        declared = join.type.strip("[]!") if join is not None and join.type else None
        narrowed = declared if declared != field.type_name else None
        return self._selection_misses(graph, field.type_name, node.selection_set, below, narrowed)

    def _selection_misses(
        self,
        graph: str,
        type_name: str,
        selection_set: SelectionSetNode,
        provided: SelectionSetNode | None = None,
        narrowed: str | None = None,
    ) -> int:
        info = self.supergraph.types.get(type_name)
        if info is None:
            return 0
        total = 0
        self.meter.spend(len(selection_set.selections))
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name == "__typename" or name not in info.fields:
                    continue
                given = provided_field(provided, name, type_name) is not None
                if not given and not info.resolves(graph, name):
                    total += 1
                else:
                    total += self.misses(graph, type_name, selection, provided)
                continue
            inner, condition = self._fragment(selection)
            known = self.supergraph.types.get(condition or type_name)
            object_type = known is not None and known.kind == "object"
            if narrowed is not None and object_type and condition != narrowed:
                continue  # the subgraph declares the field narrower: never such objects
            total += self._selection_misses(graph, condition or type_name, inner, provided)
        return total

    def _fragment(self, selection: object) -> tuple[SelectionSetNode, str | None]:
        if isinstance(selection, FragmentSpreadNode):
            definition = self.fragments[selection.name.value]
            return definition.selection_set, definition.type_condition.name.value
        type_condition = getattr(selection, "type_condition", None)
        selection_set: SelectionSetNode = getattr(selection, "selection_set")  # noqa: B009
        return selection_set, type_condition.name.value if type_condition else None
