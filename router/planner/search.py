"""Choose subgraphs by cost: a bounded search over the entity jumps of each selection set.

At a position (an object type, fetched from subgraph `g`), every selected field must come
from `g` or from a subgraph the position jumps to; each jump is an entity fetch. Choosing
field by field sends a fetch per missing field's favourite subgraph; choosing per
selection set is a weighted set cover: the set `J` of subgraphs to jump to that minimises

    cost(J) = len(subgraphs fetched on the routes g -> h, h in J)
            + sum(min(cost below f in h, for h in {g} | J resolving f) for f in fields)

as (fetches, sequential depth), fewer fetches first. The cost below a field is the same
search one level down, memoised per (selection, subgraph), so the whole operation is
searched once bottom-up: polynomial in its size times the number of subgraphs.

Bounds and fallback: sets `J` are tried by increasing size and a size is not tried once
its lower bound (its size plus every field's cheapest cost anywhere) cannot beat the best
found; at most `MAX_SETS` sets are evaluated per selection. Past that bound, or with more
than `MAX_CANDIDATES` candidate subgraphs, the set is built greedily (the subgraph that
resolves most of the still-missing fields first, ties by name order). Positions the model
does not describe (abstract types, `@provides`, `@requires`, interface objects) get no
assignment: the walker's own rules place their fields, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

from graphql import FieldNode, SelectionSetNode

from router.planner.budget import BudgetMeter
from router.planner.items import FieldItem, FragmentItem, Item
from router.planner.routes import PlanningError, Routes, own_key_of
from router.supergraph import Supergraph

Cost = tuple[int, int]  # (fetches, sequential depth)
Route = tuple[str, ...]  # the subgraphs an entity jump fetches from, in order
FREE: Cost = (0, 0)
MAX_CANDIDATES = 12
MAX_SETS = 256

Collect = Callable[[str, SelectionSetNode], list[Item]]
Misses = Callable[[str, str, FieldNode], int]  # (graph, parent type, field) → fields missing


@dataclass(frozen=True, slots=True)
class Choice:
    """The cheapest way to plan one selection set from one subgraph (None: the root)."""

    cost: Cost
    graphs: dict[int, str]  # id(field node) → the subgraph it comes from
    exact: bool = True  # False when the greedy fallback chose


@dataclass(frozen=True, slots=True)
class _Field:
    item: FieldItem
    name: str
    parent: str
    type_name: str  # the field's own (named) type
    resolvers: tuple[str, ...]


class CostSearch:
    """Memoised cheapest choices for the selection sets of one operation."""

    def __init__(
        self,
        supergraph: Supergraph,
        collect: Collect,
        misses: Misses,
        meter: BudgetMeter,
        routes: Routes,
    ) -> None:
        self.supergraph = supergraph
        self.routes = routes
        self.collect = collect
        self.misses = misses
        self.meter = meter
        self._memo: dict[tuple[tuple[int, ...], str | None, str], Choice | None] = {}
        self._below: dict[tuple[int, str], Cost] = {}
        self._resolvers: dict[tuple[str, str], tuple[str, ...] | None] = {}
        self.fallbacks = 0  # selection sets the greedy fallback chose for

    def choose(self, type_name: str, graph: str | None, items: Sequence[Item]) -> Choice | None:
        """The choice for `items` on `type_name` fetched from `graph` (None at the root,
        where every subgraph is a fresh fetch); None where the model does not apply."""
        key = (tuple(id(i.node) for i in items if isinstance(i, FieldItem)), graph, type_name)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle cannot happen (selections are finite); be safe
        choice = self._choose(type_name, graph, items)
        self._memo[key] = choice
        return choice

    def _choose(self, type_name: str, graph: str | None, items: Sequence[Item]) -> Choice | None:
        fields = self._fields(type_name, items)
        if fields is None:
            return None
        self.meter.spend(1 + len(fields))
        local = [f for f in fields if graph is not None and graph in f.resolvers]
        candidates = sorted({h for f in fields for h in f.resolvers if h != graph})
        hops = {h: self._route(type_name, graph, h) for h in candidates}
        candidates = [h for h in candidates if hops[h] is not None]
        missing = [f for f in fields if f not in local]
        if any(not set(f.resolvers) & set(candidates) for f in missing):
            return None  # some field cannot be reached by a plain jump from here
        # ties: the current subgraph, then the nearest jump, then name order
        rank = {
            h: (len(hops.get(h) or ()) if h else 0, i) for i, h in enumerate((graph, *candidates))
        }
        options = [
            sorted((self._below_cost(f, h), rank[h], h) for h in f.resolvers if h in rank)
            for f in fields
        ]
        if len(candidates) > MAX_CANDIDATES:
            return self._greedy(fields, graph, candidates, hops, options)
        return self._exact(fields, graph, candidates, hops, options) or self._greedy(
            fields, graph, candidates, hops, options
        )

    def _fields(self, type_name: str, items: Sequence[Item]) -> list[_Field] | None:
        info = self.supergraph.types.get(type_name)
        if info is None or info.kind != "object" or type_name == self.supergraph.mutation_type:
            return None
        fields: list[_Field] = []
        for item in items:
            if isinstance(item, FragmentItem):
                return None
            name = item.node.name.value
            if name == "__typename":
                continue
            known = info.fields.get(name)
            resolvers = self._field_resolvers(type_name, name)
            if known is None or resolvers is None:
                return None
            fields.append(_Field(item, name, type_name, known.type_name, resolvers))
        return fields

    def _field_resolvers(self, type_name: str, name: str) -> tuple[str, ...] | None:
        """Subgraphs resolving the field plainly; None when the model does not apply to it
        (introspection, `@requires` or `@provides` anywhere, no plain resolver)."""
        key = (type_name, name)
        if key in self._resolvers:
            return self._resolvers[key]
        info = self.supergraph.type(type_name)
        known = info.fields.get(name)
        found: tuple[str, ...] | None = None
        if known is not None and not any(
            j.requires is not None or j.provides is not None for j in known.joins.values()
        ):
            found = tuple(
                g for g in info.graphs if info.resolves(g, name) or own_key_of(info, name, g)
            )
        self._resolvers[key] = found or None
        return found or None

    def _route(self, type_name: str, graph: str | None, target: str) -> Route | None:
        """The subgraphs an entity jump to `target` fetches from, in order (a root fetch
        at the root); None when no jump gets there."""
        if graph is None:
            return (target,)
        try:
            return tuple(hop.key.graph for hop in self.routes.find(type_name, graph, target))
        except PlanningError:
            return None

    def _below_cost(self, field: _Field, graph: str) -> Cost:
        node = field.item.node
        if node.selection_set is None:
            return FREE
        key = (id(node), graph)
        known = self._below.get(key)
        if known is None:
            items = self.collect(field.type_name, node.selection_set)
            choice = self.choose(field.type_name, graph, items)
            if choice is None:  # the walker's own estimate: a fetch per missing field
                missing = self.misses(graph, field.parent, node)
                known = (missing, 1 if missing else 0)
            else:
                known = choice.cost
            self._below[key] = known
        return known

    def _exact(
        self,
        fields: list[_Field],
        graph: str | None,
        candidates: list[str],
        hops: dict[str, Route | None],
        options: list[list[Option]],
    ) -> Choice | None:
        floor = sum(places[0][0][0] for places in options)
        best: tuple[Cost, tuple[str, ...]] | None = None
        tried = 0
        for size in range(len(candidates) + 1):
            if best is not None and size + floor > best[0][0]:
                break
            for jumps in combinations(candidates, size):
                tried += 1
                if tried > MAX_SETS:
                    return None
                cost = _set_cost(options, graph, jumps, hops)
                if cost is not None and (best is None or cost < best[0]):
                    best = (cost, jumps)
            self.meter.spend(tried)
        if best is None:
            return None
        return Choice(best[0], _assignment(fields, options, graph, best[1], hops))

    def _greedy(
        self,
        fields: list[_Field],
        graph: str | None,
        candidates: list[str],
        hops: dict[str, Route | None],
        options: list[list[Option]],
    ) -> Choice | None:
        self.fallbacks += 1
        chosen: list[str] = []
        missing = [f for f in fields if graph is None or graph not in f.resolvers]
        while missing:
            best = max(candidates, key=lambda h: sum(h in f.resolvers for f in missing))
            chosen.append(best)
            missing = [f for f in missing if best not in f.resolvers]
        cost = _set_cost(options, graph, tuple(chosen), hops)
        if cost is None:
            return None
        return Choice(cost, _assignment(fields, options, graph, tuple(chosen), hops), exact=False)


Option = tuple[Cost, tuple[int, int], str]  # cost below a field in a subgraph, rank, subgraph


def _set_cost(
    options: list[list[Option]],
    graph: str | None,
    jumps: tuple[str, ...],
    hops: dict[str, Route | None],
) -> Cost | None:
    """The cost of jumping to `jumps`, each field at its cheapest place; None when a field
    has no place. A jump's route may pass other subgraphs: they are fetched (once, however
    many routes pass them) and can serve fields too."""
    step = _steps(graph, jumps, hops)
    fetches = len(step) - 1
    depth_at = dict.fromkeys(step, 0)
    for places in options:
        for inner, _, place in places:
            if place in depth_at:
                fetches += inner[0]
                if inner[1] > depth_at[place]:
                    depth_at[place] = inner[1]
                break
        else:
            return None
    depth = max(step[h] + depth_at[h] for h in step)
    return (fetches, depth)


def _steps(
    graph: str | None, jumps: tuple[str, ...], hops: dict[str, Route | None]
) -> dict[str | None, int]:
    """Every subgraph fetched for `jumps` (and `graph` itself, at 0), with its step."""
    step: dict[str | None, int] = {graph: 0}
    for target in jumps:
        for index, visited in enumerate(hops[target] or ()):
            step[visited] = min(step.get(visited, index + 1), index + 1)
    return step


def _assignment(
    fields: list[_Field],
    options: list[list[Option]],
    graph: str | None,
    jumps: tuple[str, ...],
    hops: dict[str, Route | None],
) -> dict[int, str]:
    allowed = set(_steps(graph, jumps, hops))
    assigned: dict[int, str] = {}
    for field, places in zip(fields, options, strict=True):
        assigned[id(field.item.node)] = next(h for _, _, h in places if h in allowed)
    return assigned
