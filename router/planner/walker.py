"""Walk an operation's selections and place every field in a fetch group."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from graphql import (
    FragmentDefinitionNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    SelectionSetNode,
    is_abstract_type,
)
from graphql.type.definition import GraphQLOutputType

from router.planner.abstract import (
    provided_field,
    resolves_for_every_implementation,
    unprovided,
)
from router.planner.aliases import InternalAliases, alias_field_set
from router.planner.budget import BudgetMeter
from router.planner.conditions import Condition
from router.planner.groups import FetchGroup, GroupRegistry, requirement_fits
from router.planner.interface_objects import (
    concrete_elsewhere,
    concrete_position,
    entity_interface_position,
    interface_object_position,
    representation_fragments,
)
from router.planner.items import FieldItem, FragmentItem, Item, ItemCollector
from router.planner.key_prerequisites import prerequisite_jump
from router.planner.position import Position
from router.planner.routes import Hop, PlanningError, Routes, own_key_of
from router.planner.scoring import ServiceChooser
from router.planner.search import CostSearch
from router.supergraph import Supergraph

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


class Walker:
    """Places the fields of one selection tree into fetch groups."""

    def __init__(
        self,
        supergraph: Supergraph,
        fragments: Mapping[str, FragmentDefinitionNode],
        registry: GroupRegistry,
        aliases: InternalAliases | None = None,
        *,
        shared_roots: bool = False,
        meter: BudgetMeter | None = None,
        search: CostSearch | None = None,
        routes: Routes | None = None,
    ) -> None:
        self.shared_roots = shared_roots
        self.meter = meter or BudgetMeter()
        self.supergraph = supergraph
        self.aliases = aliases or InternalAliases()
        self.schema = supergraph.schema
        self.fragments = fragments
        self.registry = registry
        self.routes = routes or Routes(supergraph)
        self.chooser = ServiceChooser(supergraph, fragments, self.meter, self.routes)
        self.collect = ItemCollector(supergraph.schema, fragments).collect
        self.search = search
        self.prerequisites: set[tuple[str, str, str]] = set()  # key jumps being prepared
        self._touched: set[int] = set()

    def walk(self, position: Position, items: list[Item]) -> None:
        """Place items; local fields whose subtree needs jumps go last (see _walk_deferred)."""
        deferred: list[FieldItem] = []
        self.meter.spend(len(items))
        items = concrete_elsewhere(self, position, items)
        assigned = self._assigned(position, items)
        for item in items:
            if isinstance(item, FragmentItem):
                self.walk_fragment(position, item)
            elif assigned.get(id(item.node), position.group.service) != position.group.service:
                self._walk_assigned(position, item, assigned[id(item.node)])
            elif self._misses_here(position, item):
                deferred.append(item)
            else:
                self.walk_field(position, item)
        for item in deferred:
            self._walk_deferred(position, item)

    def _assigned(self, position: Position, items: list[Item]) -> dict[int, str]:
        """The cost search's subgraph per field here (empty where it does not apply)."""
        if self.search is None or position.provided is not None:
            return {}
        choice = self.search.choose(position.type_name, position.group.service, items)
        return choice.graphs if choice is not None else {}

    def _walk_assigned(self, position: Position, item: FieldItem, target: str) -> None:
        """Place a field in the subgraph the cost search chose: an existing sibling fetch
        that resolves it where there is one, else an entity jump (merged with the other
        fields the search sent there)."""
        name = item.node.name.value
        if not self._resolves_here(position, name):
            sibling = self._sibling_position(position, name)
            if sibling is not None:
                self.add_field(sibling, item)
                return
        self.add_field(self.jump(position, target, None), item)

    def _misses_here(self, position: Position, item: FieldItem) -> int:
        name = item.node.name.value
        if item.node.selection_set is None or not self._resolves_here(position, name):
            return 0
        provided = provided_field(position.provided, name, position.type_name)
        if provided is not None:
            field_type = self.supergraph.type(position.type_name).fields[name].type_name
            items = self.collect(field_type, item.node.selection_set)
            return unprovided(
                self.supergraph, self.collect, position.group.service, field_type, items, provided
            )
        return self.chooser.misses(position.group.service, position.type_name, item.node)

    def _walk_deferred(self, position: Position, item: FieldItem) -> None:
        """Move a field to a sibling entity fetch that already exists if it jumps less there.

        A provided field stays on its provided path; walked last, its missing sub-fields
        find the sibling fetches its siblings made (see _sibling_position)."""
        name = item.node.name.value
        if provided_field(position.provided, name, position.type_name) is not None:
            self.add_field(position, item)
            return
        info = self.supergraph.type(position.type_name)
        existing = self.registry.existing_entity_services(position.path, position.group)
        best, best_misses = position.group.service, self._misses_here(position, item)
        for graph in info.resolving_graphs(name):
            join = info.fields[name].in_graph(graph)
            if graph not in existing or (join is not None and join.requires is not None):
                continue
            misses = self.chooser.misses(graph, position.type_name, item.node)
            if misses < best_misses:
                best, best_misses = graph, misses
        if best == position.group.service:
            self.add_field(position, item)
        else:
            self.add_field(self.jump(position, best, None), item)

    def walk_fragment(self, position: Position, item: FragmentItem) -> None:
        target = self.supergraph.types.get(item.type_condition)
        service = position.group.service
        parent = self.supergraph.type(position.type_name)
        split = self._split_abstract(position, item)
        if split is not None:
            for narrowed in split:
                self.walk_fragment(position, narrowed)
            return
        if target is None or service not in target.graphs:
            return  # the subgraph cannot return objects of this type
        if target.kind == "object" and not self._member_in(parent.name, target.name, service):
            return
        node = position.node.fragment(item.type_condition, item.conditions)
        inner = replace(
            position,
            node=node,
            type_name=item.type_condition,
            conditions=position.conditions | frozenset(item.conditions),
            expanded=position.expanded or item.expanded,
        )
        self.walk(inner, self.collect(item.type_condition, item.selection_set))

    def _split_abstract(self, position: Position, item: FragmentItem) -> list[FragmentItem] | None:
        """`... on Node` where the subgraph returns objects that are Nodes in the supergraph
        but not in the subgraph (its Oven does not implement Node): one fragment per such
        implementation instead, or the subgraph would skip them (issue #16, item 4)."""
        target = self.supergraph.types.get(item.type_condition)
        if target is None or target.kind == "object":
            return None
        service = position.group.service
        condition = self.schema.get_type(item.type_condition)
        possible = self.schema.get_possible_types(condition)  # type: ignore[arg-type]
        members = [
            p.name
            for p in possible
            if service in self.supergraph.type(p.name).graphs
            and self._member_in(position.type_name, p.name, service)
        ]
        if all(self._member_in(item.type_condition, m, service) for m in members):
            return None
        return [FragmentItem(m, item.selection_set, item.conditions) for m in members]

    def _member_in(self, abstract: str, member: str, service: str) -> bool:
        """Union membership / interface implementation as `service` declares it."""
        parent = self.supergraph.type(abstract)
        if parent.kind == "union":
            return parent.possible_in(service, member)
        if parent.kind == "interface":
            implements = self.supergraph.type(member).implements.get(service, frozenset())
            return abstract in implements
        return True

    def walk_field(self, position: Position, item: FieldItem) -> None:
        name = item.node.name.value
        if name == "__typename":
            self._add_typename(position, item)
            return
        info = self.supergraph.type(position.type_name)
        local = self._resolves_here(position, name)
        if not local and info.kind != "object":
            entity = entity_interface_position(self, position, name)
            if entity is not None:
                self.add_field(entity, item)
            else:
                self._expand_abstract(position, item)
            return
        if local:
            self.add_field(position, item)
            return
        sibling = self._sibling_position(position, name) or interface_object_position(
            self, position, name
        )
        if sibling is not None:
            self.add_field(sibling, item)
            return
        target = self.chooser.for_field(
            position.group, position.type_name, position.path, item.node, self.registry
        )
        join = info.fields[name].in_graph(target)
        requires = join.requires if join is not None else None
        self.add_field(self.jump(position, target, requires), item)

    def _sibling_position(self, position: Position, name: str) -> Position | None:
        """The same spot in an existing sibling fetch that resolves the field directly.

        `a { b c }` with `c` missing here: if a fetch at `a`'s parent already goes to a
        subgraph resolving `a { c }`, select it there instead of adding a jump. At the root
        of a query this fetches a shared (`@shareable`) root field from both subgraphs; the
        executor merges the two results item by item.
        """
        parent, via = position.parent, position.via
        if parent is None or via is None or parent.group is not position.group:
            return None
        at_root = not parent.path and not parent.group.is_entity
        if at_root:
            existing = self._shared_root_services(position, via)
        else:
            existing = sorted(self.registry.existing_entity_services(parent.path, parent.group))
        for graph in (g for g in existing if g != position.group.service):
            if at_root and position.expanded and not self._reachable(position, graph):
                continue  # a rescue, not a shortcut: these objects cannot reach `graph`
            via_type = self.supergraph.type(parent.type_name).fields[via.node.name.value].type_name
            listed = bool(position.path) and position.path[-1] == "@"
            if listed and not self._same_members(via_type, position.group.service, graph):
                continue  # two lists of different members must not merge item by item
            if (
                self._resolves_plainly(graph, parent.type_name, via.node.name.value)
                and self._resolves_plainly(graph, position.type_name, name)
                and (
                    via_type == position.type_name
                    or self._member_in(via_type, position.type_name, graph)
                )
            ):
                outer = self._root_position(graph) if at_root else self.jump(parent, graph, None)
                return self._narrowed(self._select(outer, via), position.type_name)
        return None

    def _same_members(self, type_name: str, first: str, second: str) -> bool:
        """Whether two subgraphs agree on the possible types of an abstract type. A shared
        list is answered by a second subgraph only then; otherwise by one subgraph, with
        the members it knows (Apollo's rule), the others' fields by entity jump (issue
        #16, item 6)."""
        info = self.supergraph.type(type_name)
        if info.kind == "union":
            return info.union_members.get(first) == info.union_members.get(second)
        if info.kind != "interface":
            return True
        abstract = self.schema.get_type(type_name)
        for possible in self.schema.get_possible_types(abstract):  # type: ignore[arg-type]
            implements = self.supergraph.type(possible.name).implements
            in_first = type_name in implements.get(first, frozenset())
            if in_first != (type_name in implements.get(second, frozenset())):
                return False
        return True

    def _reachable(self, position: Position, graph: str) -> bool:
        """Whether an entity jump could take the objects here to `graph`. For a field the
        client selected on an interface (expanded per implementation by the planner),
        fetching the shared root field from a second subgraph is a shortcut only then;
        otherwise the interface's field cannot be answered for every object (issue #16,
        item 8) and planning fails, as Apollo's planner does. A client's own `... on Pen`
        may still come from the subgraph that resolves it."""
        return self.routes.length(position.type_name, position.group.service, graph) < 1_000

    def _narrowed(self, position: Position | None, type_name: str) -> Position | None:
        """`position` under `... on type_name` when the walk had narrowed to that type."""
        if position is None or position.type_name == type_name:
            return position
        node = position.node.fragment(type_name)
        return replace(position, node=node, type_name=type_name)

    def _shared_root_services(self, position: Position, via: FieldItem) -> list[str]:
        """Subgraphs that could serve this shared root field too: those already fetched at
        the root first, then any other unless an entity fetch there exists already."""
        if not self.shared_roots:
            return []
        roots = sorted(self.registry.root_services())
        jumps = self.registry.existing_entity_services(position.path, position.group)
        others = self.supergraph.type(self.supergraph.query_type).resolving_graphs(
            via.node.name.value
        )
        return roots + [g for g in others if g not in roots and g not in jumps]

    def _root_position(self, graph: str) -> Position:
        group = self.registry.root_group(graph)
        return Position(group, group.root, self.supergraph.query_type, (), top_level=True)

    def _resolves_plainly(self, graph: str, type_name: str, name: str) -> bool:
        info = self.supergraph.type(type_name)
        join = info.fields[name].in_graph(graph) if name in info.fields else None
        return (
            info.resolves(graph, name)
            and (join is None or join.requires is None)
            and resolves_for_every_implementation(self.supergraph, graph, type_name, name)
        )

    def _resolves_here(self, position: Position, name: str) -> bool:
        if provided_field(position.provided, name, position.type_name) is not None:
            return True
        info = self.supergraph.type(position.type_name)
        service = position.group.service
        if not info.resolves(service, name):
            return own_key_of(info, name, service)
        join = info.fields[name].in_graph(service)
        return (join is None or join.requires is None) and resolves_for_every_implementation(
            self.supergraph, service, position.type_name, name, position.provided
        )

    def _expand_abstract(self, position: Position, item: FieldItem) -> None:
        """One `... on <implementation>` per possible type, in a subgraph that knows them."""
        position = concrete_position(self, position) or position
        abstract = self.schema.get_type(position.type_name)
        assert abstract is not None
        for possible in self.schema.get_possible_types(abstract):  # type: ignore[arg-type]
            narrowed = FragmentItem(
                possible.name, SelectionSetNode(selections=(item.node,)), item.conditions, True
            )
            self.walk_fragment(position, narrowed)

    def _add_typename(self, position: Position, item: FieldItem) -> None:
        alias = item.node.alias.value if item.node.alias else None
        position.node.field("__typename", alias=alias, conditions=item.conditions)
        self.record(position, item.conditions)

    def record(self, position: Position, conditions: tuple[Condition, ...]) -> None:
        self._touched.add(position.group.id)
        if position.top_level:
            position.group.record_entry(position.conditions | frozenset(conditions))

    def add_field(self, position: Position, item: FieldItem) -> None:
        """Select the client field at `position` and walk its sub-selection there."""
        inner = self._select(position, item)
        if inner is not None and item.node.selection_set is not None:
            self.walk(inner, self.collect(inner.type_name, item.node.selection_set))

    def _select(self, position: Position, item: FieldItem) -> Position | None:
        """Select the field itself; the position inside it when it has a sub-selection."""
        node = item.node
        definition = self.schema.get_type(position.type_name)
        field_def = definition.fields[node.name.value]  # type: ignore[union-attr]
        return_type, list_depth = _unwrap(field_def.type)
        sub = node.selection_set
        child = position.node.field(
            node.name.value,
            alias=node.alias.value if node.alias else None,
            arguments=tuple(node.arguments or ()),
            conditions=item.conditions,
            composite=sub is not None,
        )
        self.record(position, item.conditions)
        if sub is None:
            return None
        if is_abstract_type(self.schema.get_type(return_type)):
            child.field("__typename")
            return_type = self._declared_type(position, node.name.value, return_type)
        return Position(
            group=position.group,
            node=child,
            type_name=return_type,
            path=(*position.path, child.response_name, *("@",) * list_depth),
            conditions=position.conditions | frozenset(item.conditions),
            provided=self._provided_below(position, node.name.value),
            parent=position,
            via=item,
        )

    def _declared_type(self, position: Position, name: str, return_type: str) -> str:
        """The object type the subgraph itself declares for an abstract field, when it is
        narrower (`@join__field(type: "Book")` on a `Media` field): fragments that cannot
        apply there are dropped, or the subgraph would reject them (issue #16, item 5)."""
        field = self.supergraph.type(position.type_name).fields.get(name)
        join = field.in_graph(position.group.service) if field is not None else None
        if join is None or not join.type:
            return return_type
        declared = join.type.replace("[", "").replace("]", "").replace("!", "").strip()
        named = self.schema.get_type(declared)
        abstract = self.schema.get_type(return_type)
        if declared == return_type or not isinstance(named, GraphQLObjectType):
            return return_type
        return declared if self.schema.is_sub_type(abstract, named) else return_type  # type: ignore[arg-type]

    def _provided_below(self, position: Position, name: str) -> SelectionSetNode | None:
        provided = provided_field(position.provided, name, position.type_name)
        if provided is not None:
            return provided.selection_set
        field = self.supergraph.type(position.type_name).fields.get(name)
        join = field.in_graph(position.group.service) if field else None
        return join.provides if join is not None else None

    def jump(self, position: Position, target: str, requires: SelectionSetNode | None) -> Position:
        """Reach `target` from the position's subgraph through entity fetches."""
        extra: tuple[FetchGroup, ...] = ()
        if requires is not None:
            extra = self.plan_requirements(position, requires)
        required = alias_field_set(requires, self.aliases) if requires is not None else None
        try:
            hops = self.routes.find(position.type_name, position.group.service, target)
        except PlanningError:
            found = prerequisite_jump(self, position, target, extra, required)
            if found is None and requires is None:
                found = self._reenter(position, target)
            if found is None:
                raise
            return found
        current = position
        for index, hop in enumerate(hops):
            last = index == len(hops) - 1
            current = self._hop(current, hop, extra if last else (), required if last else None)
        if required is not None:
            for fragment in representation_fragments(self, current.group, current.type_name):
                fragment.add_field_set(required)
        return current

    def _reenter(self, position: Position, target: str) -> Position | None:
        """The same spot reached from the nearest enclosing entity in `target`: a value
        type (no key) whose field only `target` resolves is selected along its path from
        an entity `target` can be entered at (issue #16, item 2)."""
        path: list[tuple[FieldItem, str]] = []
        current = position
        while current.parent is not None and current.via is not None:
            parent, via = current.parent, current.via
            if parent.group is not current.group or not self._resolves_plainly(
                target, parent.type_name, via.node.name.value
            ):
                return None
            path.append((via, current.type_name))
            current = parent
            if self.routes.length(current.type_name, current.group.service, target) < 1_000:
                outer: Position | None = self.jump(current, target, None)
                for via_item, type_name in reversed(path):
                    outer = self._narrowed(self._select(outer, via_item), type_name)  # type: ignore[arg-type]
                return outer
        return None

    def _hop(
        self,
        position: Position,
        hop: Hop,
        extra: tuple[FetchGroup, ...],
        required: SelectionSetNode | None = None,
    ) -> Position:
        position.node.field("__typename")
        key = alias_field_set(hop.key.selection_set, self.aliases)
        position.node.add_field_set(key)
        self.record(position, ())
        fits = requirement_fits(hop.type_name, required) if required is not None else None
        group = self.registry.entity_group(
            hop.key.graph, position.path, position.group, extra, fits
        )
        for fragment in representation_fragments(self, group, hop.type_name):
            fragment.field("__typename")
            fragment.add_field_set(key)
        node = group.root.fragment(hop.type_name)
        if self._entity_interface_in(hop.type_name, group.service):
            node.field("__typename")  # the concrete type, for objects of an interface object
        return Position(
            group=group,
            node=node,
            type_name=hop.type_name,
            path=position.path,
            conditions=position.conditions,
            top_level=True,
        )

    def _entity_interface_in(self, type_name: str, graph: str) -> bool:
        info = self.supergraph.type(type_name)
        known = info.graphs.get(graph)
        return info.kind == "interface" and known is not None and not known.is_interface_object

    def plan_requirements(
        self, position: Position, requires: SelectionSetNode
    ) -> tuple[FetchGroup, ...]:
        """Select @requires fields at `position`; return the other groups that fetch them."""
        outer, self._touched = self._touched, set()
        aliased = alias_field_set(requires, self.aliases)
        self.walk(replace(position, provided=None), self.collect(position.type_name, aliased))
        touched, self._touched = self._touched, outer | self._touched
        ancestors = _ancestor_ids(position.group)
        groups = self.registry.groups
        return tuple(groups[i] for i in sorted(touched) if i not in ancestors)


def _ancestor_ids(group: FetchGroup) -> set[int]:
    seen: set[int] = set()
    pending = [group]
    while pending:
        current = pending.pop()
        if current.id not in seen:
            seen.add(current.id)
            pending.extend(current.parents)
    return seen


def _unwrap(type_: GraphQLOutputType) -> tuple[str, int]:
    depth = 0
    current: object = type_
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return current.name, depth  # type: ignore[attr-defined]
