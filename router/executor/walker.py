"""Walk a query plan: run fetches in the order it says and merge their answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse

from router.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)

from .batching import BatchOperations, batch_key, levels
from .errors import GraphQLErrorDict, Path, downstream_error
from .fetcher import Fetcher, FetchResult
from .representations import representation_builder
from .rewrites import rename_keys
from .targets import Targets


@dataclass
class ExecutionState:
    """The response being assembled and the errors collected on the way."""

    variables: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[GraphQLErrorDict] = field(default_factory=list)
    fetch_count: int = 0
    headers_for: HeadersFor | None = None

    async def fetch(
        self,
        fetcher: Fetcher,
        node: FetchNode,
        variables: dict[str, Any],
        operation: str | None = None,
    ) -> FetchResult:
        """Send ``node`` (or ``operation``, a batch of entity fetches led by ``node``)."""
        self.fetch_count += 1
        headers = self.headers_for(node.service_name) if self.headers_for else None
        return await fetcher.fetch(
            node.service_name,
            operation or node.operation,
            variables,
            node.operation_name,
            headers=headers,
            mutation=node.operation_kind == "mutation",
        )


HeadersFor = Callable[[str], Mapping[str, str]]


async def execute_plan(
    plan: QueryPlan,
    fetcher: Fetcher,
    variables: dict[str, Any],
    headers_for: HeadersFor | None = None,
    *,
    batch_entities: bool = False,
    data: dict[str, Any] | None = None,
) -> ExecutionState:
    """Run ``plan``; subgraph failures become errors in the state, never exceptions.

    ``headers_for(subgraph)`` gives the extra headers to send with each subgraph request.
    ``batch_entities`` runs the plan level by level and sends every entity fetch of one
    level to one subgraph as one request (see ``batching``); the answer is the same.
    ``data`` seeds the response root (a subscription event, for the plan's rest).
    """
    state = ExecutionState(variables=variables, data=data or {}, headers_for=headers_for)
    if plan.node is not None:
        if batch_entities:
            await _run_levels(plan.node, fetcher, state)
        else:
            await _run(plan.node, fetcher, state)
    return state


async def _run(node: PlanNode, fetcher: Fetcher, state: ExecutionState) -> None:
    if isinstance(node, SequenceNode):
        for child in node.nodes:
            await _run(child, fetcher, state)
    elif isinstance(node, ParallelNode):
        await asyncio.gather(*(_run(child, fetcher, state) for child in node.nodes))
    elif isinstance(node, FetchNode):
        await _fetch_into(node, Targets(state.data, ()), fetcher, state)
    elif isinstance(node, FlattenNode):
        targets = Targets(state.data, node.path)
        if targets.objects:
            await _fetch_into(node.node, targets, fetcher, state)
    elif isinstance(node, ConditionNode):
        branch = node.if_clause if state.variables.get(node.condition) else node.else_clause
        if branch is not None:
            await _run(branch, fetcher, state)


async def _run_levels(node: PlanNode, fetcher: Fetcher, state: ExecutionState) -> None:
    for level in levels(node, state.variables):
        batches: dict[str, list[_Component]] = {}
        singles: list[Any] = []
        for leaf in level:
            if isinstance(leaf, FlattenNode) and leaf.node.requires is not None:
                targets = Targets(state.data, leaf.path)
                if targets.objects:
                    _add_to_batch(batches.setdefault(leaf.node.service_name, []), leaf, targets)
            elif isinstance(leaf, FlattenNode):
                singles.append(_run(leaf, fetcher, state))
            else:
                singles.append(_fetch_into(leaf, Targets(state.data, ()), fetcher, state))
        sends = [_send_entities(batch, fetcher, state) for batch in batches.values()]
        await asyncio.gather(*singles, *sends)


def _add_to_batch(batch: list[_Component], leaf: FlattenNode, targets: Targets) -> None:
    key = batch_key(leaf.node)
    component = next((c for c in batch if c.key == key), None)
    if component is None:
        component = _Component(leaf.node, key)
        batch.append(component)
    component.gather(targets)


async def _fetch_into(
    node: FetchNode, targets: Targets, fetcher: Fetcher, state: ExecutionState
) -> None:
    variables = {k: state.variables[k] for k in node.variable_usages if k in state.variables}
    if node.requires is None:
        for index, target in enumerate(targets.objects):
            result = await state.fetch(fetcher, node, variables)
            _absorb(node, result.data, result.errors, result.failure, targets.path_of(index), state)
            if result.data:
                rename_keys(result.data, node.output_rewrites)
                deep_merge(target, result.data)
        return
    component = _Component(node, None)
    component.gather(targets)
    await _send_entities([component], fetcher, state)


Owner = tuple[Targets, int]  # the targets an object was found in, and its index there


class _Component:
    """One entity fetch's distinct representations, and the objects each came from."""

    __slots__ = ("build", "index_of", "key", "node", "owners", "representations")

    def __init__(self, node: FetchNode, key: Any) -> None:
        assert node.requires is not None
        self.node = node
        self.key = key
        self.representations: list[dict[str, Any]] = []
        self.owners: list[list[Owner]] = []
        self.index_of: dict[Any, int] = {}
        self.build = representation_builder(node.requires, node.input_rewrites)

    def gather(self, targets: Targets) -> None:
        for position, target in enumerate(targets.objects):
            rep = self.build(target)
            if rep is None:
                continue
            key = _identity(rep)
            found = self.index_of.get(key)
            if found is None:  # one representation per distinct entity
                found = self.index_of[key] = len(self.representations)
                self.representations.append(rep)
                self.owners.append([])
            self.owners[found].append((targets, position))

    def path_of(self, index: int) -> Path:
        targets, position = self.owners[index][0]
        return targets.path_of(position)

    def merge(self, entities: list[Any]) -> None:
        node = self.node
        strip_typename = bool(node.input_rewrites)  # an interface object answers its interface
        for index, entity in enumerate(entities[: len(self.owners)]):
            if type(entity) is dict:
                rename_keys(entity, node.output_rewrites)
                if strip_typename:
                    entity = {k: v for k, v in entity.items() if k != "__typename"}
                for targets, position in self.owners[index]:
                    deep_merge(targets.objects[position], entity)


_BATCHES = BatchOperations()


async def _send_entities(
    components: list[_Component], fetcher: Fetcher, state: ExecutionState
) -> None:
    components = [c for c in components if c.representations]
    if not components:
        return
    if len(components) == 1:
        await _send_one(components[0], fetcher, state)
        return
    merged = _BATCHES.merged(tuple(c.node for c in components))
    variables = {k: state.variables[k] for k in merged.variable_usages if k in state.variables}
    for name, component in zip(merged.representations, components, strict=True):
        variables[name] = component.representations
    first = components[0].node
    result = await state.fetch(fetcher, first, variables, merged.operation)
    if result.failure is not None:
        for component in components:
            state.errors.append({**result.failure, "path": component.path_of(0)})
        return
    for error in result.errors:
        path = _batched_path(error, components)
        state.errors.append(downstream_error(error, first.service_name, path))
    data = result.data or {}
    for index, component in enumerate(components):
        entities = data.get(f"_e{index}")
        if isinstance(entities, list):
            component.merge(entities)


async def _send_one(component: _Component, fetcher: Fetcher, state: ExecutionState) -> None:
    node = component.node
    variables = {k: state.variables[k] for k in node.variable_usages if k in state.variables}
    variables["representations"] = component.representations
    result = await state.fetch(fetcher, node, variables)
    entities = (result.data or {}).get("_entities")
    if result.failure is not None or not isinstance(entities, list):
        _absorb(node, None, result.errors, result.failure, component.path_of(0), state)
        return
    for error in result.errors:
        state.errors.append(
            downstream_error(error, node.service_name, _entity_path(error, component))
        )
    component.merge(entities)


def _identity(rep: dict[str, Any]) -> Any:
    """A hashable identity of a representation: its values when they are all scalars."""
    values = tuple(rep.items())
    for _, value in values:
        if type(value) is dict or type(value) is list:
            return orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
    return values


def _entity_path(error: Any, component: _Component) -> Path | None:
    path = error.get("path") if isinstance(error, dict) else None
    if (
        isinstance(path, list)
        and len(path) >= 2
        and path[0] == "_entities"
        and isinstance(path[1], int)
        and 0 <= path[1] < len(component.owners)
    ):
        return [*component.path_of(path[1]), *path[2:]]
    return component.path_of(0) or None


def _batched_path(error: Any, components: list[_Component]) -> Path | None:
    """An error of a batched request at the client path it concerns: `_e<i>` names the
    fetch, the index after it the representation."""
    path = error.get("path") if isinstance(error, dict) else None
    head = path[0] if isinstance(path, list) and path else None
    if not isinstance(head, str) or not head.startswith("_e") or not head[2:].isdigit():
        return components[0].path_of(0) or None
    component = components[int(head[2:])] if int(head[2:]) < len(components) else components[0]
    assert isinstance(path, list)
    if len(path) >= 2 and isinstance(path[1], int) and 0 <= path[1] < len(component.owners):
        return [*component.path_of(path[1]), *path[2:]]
    return component.path_of(0) or None


def _absorb(
    node: FetchNode,
    data: dict[str, Any] | None,
    errors: list[Any],
    failure: GraphQLErrorDict | None,
    target_path: Path,
    state: ExecutionState,
) -> None:
    if failure is not None:
        if target_path:
            state.errors.append({**failure, "path": target_path})
        else:  # a failed root fetch: one error per root field it would have answered
            state.errors.extend({**failure, "path": [key]} for key in _root_keys(node))
    for error in errors:
        raw_path = error.get("path") if isinstance(error, dict) else None
        path = [*target_path, *raw_path] if isinstance(raw_path, list) else (target_path or None)
        state.errors.append(downstream_error(error, node.service_name, path))


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merge ``source`` into ``target``: objects field by field, lists item by item.

    A null never replaces an object or list another subgraph supplied (a shared root field
    one subgraph cannot resolve); later scalars win, so a concrete ``__typename`` replaces
    an interface object's.
    """
    for key, value in source.items():
        current = target.get(key)
        if current is None:  # the common case: a field this fetch adds
            target[key] = value
            continue
        if value is None and isinstance(current, (dict, list)):
            continue
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            for index, item in enumerate(value):
                if isinstance(current[index], dict) and isinstance(item, dict):
                    deep_merge(current[index], item)
                else:
                    current[index] = item
        else:
            target[key] = value


def _root_keys(node: FetchNode) -> list[str]:
    """Response keys of a root fetch's top-level fields (parsed only when it failed)."""
    try:
        document = parse(node.operation, no_location=True)
    except GraphQLError:
        return []
    keys: list[str] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.name.value != "__typename":
                    keys.append((selection.alias or selection.name).value)
    return keys
