"""Walk a query plan: run fetches in the order it says and merge their answers."""

from __future__ import annotations

import asyncio
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
from .fetcher import Fetcher
from .representations import representation


@dataclass
class ExecutionState:
    """The response being assembled and the errors collected on the way."""

    variables: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[GraphQLErrorDict] = field(default_factory=list)
    fetch_count: int = 0


async def execute_plan(
    plan: QueryPlan, fetcher: Fetcher, variables: dict[str, Any]
) -> ExecutionState:
    """Run ``plan``; subgraph failures become errors in the state, never exceptions."""
    state = ExecutionState(variables=variables)
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
        await _fetch_into(node, [([], state.data)], fetcher, state)
    elif isinstance(node, FlattenNode):
        targets = list(_objects_at(state.data, node.path, []))
        if targets:
            await _fetch_into(node.node, targets, fetcher, state)
    elif isinstance(node, ConditionNode):
        branch = node.if_clause if state.variables.get(node.condition) else node.else_clause
        if branch is not None:
            await _run(branch, fetcher, state)


def _objects_at(value: Any, path: tuple[str, ...], prefix: Path) -> Any:
    """Yield (path, object) for every object reached by ``path`` ("@" = each list item)."""
    if not path:
        if isinstance(value, dict):
            yield prefix, value
        elif isinstance(value, list):  # a path ending on a list: every item is a target
            for index, item in enumerate(value):
                yield from _objects_at(item, path, [*prefix, index])
        return
    head, rest = path[0], path[1:]
    if head == "@":
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _objects_at(item, rest, [*prefix, index])
        return
    if isinstance(value, dict) and isinstance(value.get(head), (dict, list)):
        yield from _objects_at(value[head], rest, [*prefix, head])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects_at(item, path, [*prefix, index])


async def _fetch_into(
    node: FetchNode,
    targets: list[tuple[Path, dict[str, Any]]],
    fetcher: Fetcher,
    state: ExecutionState,
) -> None:
    variables = {k: state.variables[k] for k in node.variable_usages if k in state.variables}
    if node.requires is None:
        for target_path, target in targets:
            result = await fetcher.fetch(
                node.service_name, node.operation, variables, node.operation_name
            )
            state.fetch_count += 1
            _absorb(node, result.data, result.errors, result.failure, target_path, state)
            if result.data:
                deep_merge(target, result.data)
        return
    await _fetch_entities(node, targets, fetcher, state, variables)


async def _fetch_entities(
    node: FetchNode,
    targets: list[tuple[Path, dict[str, Any]]],
    fetcher: Fetcher,
    state: ExecutionState,
    variables: dict[str, Any],
) -> None:
    assert node.requires is not None
    representations: list[dict[str, Any]] = []
    owners: list[list[tuple[Path, dict[str, Any]]]] = []
    index_of: dict[bytes, int] = {}
    for target_path, target in targets:
        rep = representation(target, node.requires, node.input_rewrites)
        if rep is None:
            continue
        key = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
        if key not in index_of:  # one representation per distinct entity
            index_of[key] = len(representations)
            representations.append(rep)
            owners.append([])
        owners[index_of[key]].append((target_path, target))
    if not representations:
        return
    result = await fetcher.fetch(
        node.service_name,
        node.operation,
        {**variables, "representations": representations},
        node.operation_name,
    )
    state.fetch_count += 1
    entities = (result.data or {}).get("_entities")
    if result.failure is not None or not isinstance(entities, list):
        _absorb(node, None, result.errors, result.failure, owners[0][0][0], state)
        return
    for error in result.errors:
        state.errors.append(downstream_error(error, node.service_name, _entity_path(error, owners)))
    for index, entity in enumerate(entities[: len(owners)]):
        if isinstance(entity, dict):
            if node.input_rewrites:  # an interface object answers its interface's name
                entity = {k: v for k, v in entity.items() if k != "__typename"}
            for _path, target in owners[index]:
                deep_merge(target, entity)


def _entity_path(error: Any, owners: list[list[tuple[Path, dict[str, Any]]]]) -> Path | None:
    path = error.get("path") if isinstance(error, dict) else None
    if (
        isinstance(path, list)
        and len(path) >= 2
        and path[0] == "_entities"
        and isinstance(path[1], int)
        and 0 <= path[1] < len(owners)
    ):
        return [*owners[path[1]][0][0], *path[2:]]
    return owners[0][0][0] or None


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
