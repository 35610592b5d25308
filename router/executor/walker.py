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
        self, fetcher: Fetcher, node: FetchNode, variables: dict[str, Any]
    ) -> FetchResult:
        self.fetch_count += 1
        headers = self.headers_for(node.service_name) if self.headers_for else None
        return await fetcher.fetch(
            node.service_name,
            node.operation,
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
) -> ExecutionState:
    """Run ``plan``; subgraph failures become errors in the state, never exceptions.

    ``headers_for(subgraph)`` gives the extra headers to send with each subgraph request.
    """
    state = ExecutionState(variables=variables, headers_for=headers_for)
    if plan.node is not None:
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
    await _fetch_entities(node, targets, fetcher, state, variables)


async def _fetch_entities(
    node: FetchNode,
    targets: Targets,
    fetcher: Fetcher,
    state: ExecutionState,
    variables: dict[str, Any],
) -> None:
    assert node.requires is not None
    representations: list[dict[str, Any]] = []
    owners: list[list[int]] = []  # per representation: indexes into targets.objects
    index_of: dict[Any, int] = {}
    build = representation_builder(node.requires, node.input_rewrites)
    for position, target in enumerate(targets.objects):
        rep = build(target)
        if rep is None:
            continue
        key = _identity(rep)
        found = index_of.get(key)
        if found is None:  # one representation per distinct entity
            found = index_of[key] = len(representations)
            representations.append(rep)
            owners.append([])
        owners[found].append(position)
    if not representations:
        return
    result = await state.fetch(fetcher, node, {**variables, "representations": representations})
    entities = (result.data or {}).get("_entities")
    if result.failure is not None or not isinstance(entities, list):
        first = targets.path_of(owners[0][0])
        _absorb(node, None, result.errors, result.failure, first, state)
        return
    for error in result.errors:
        path = _entity_path(error, owners, targets)
        state.errors.append(downstream_error(error, node.service_name, path))
    objects = targets.objects
    strip_typename = bool(node.input_rewrites)  # an interface object answers its interface
    for index, entity in enumerate(entities[: len(owners)]):
        if type(entity) is dict:
            rename_keys(entity, node.output_rewrites)
            if strip_typename:
                entity = {k: v for k, v in entity.items() if k != "__typename"}
            for position in owners[index]:
                deep_merge(objects[position], entity)


def _identity(rep: dict[str, Any]) -> Any:
    """A hashable identity of a representation: its values when they are all scalars."""
    values = tuple(rep.items())
    for _, value in values:
        if type(value) is dict or type(value) is list:
            return orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
    return values


def _entity_path(error: Any, owners: list[list[int]], targets: Targets) -> Path | None:
    path = error.get("path") if isinstance(error, dict) else None
    if (
        isinstance(path, list)
        and len(path) >= 2
        and path[0] == "_entities"
        and isinstance(path[1], int)
        and 0 <= path[1] < len(owners)
    ):
        return [*targets.path_of(owners[path[1]][0]), *path[2:]]
    return targets.path_of(owners[0][0]) or None


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
