"""Entity batching gives the same answers with fewer requests, on every differential case.

Each case's subgraphs run in process (the kit's executable subgraphs and data); every
operation of every case is planned, executed with and without `batch_entities`, and
shaped; data and errors must be identical, and batching must never send more requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from graphql import (
    FragmentDefinitionNode,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    value_from_ast_untyped,
)

from router.executor.batching import levels, merge_operations
from router.executor.fetcher import FetchResult
from router.executor.shape import ResponseShaper
from router.executor.walker import execute_plan
from router.operation.typename_aliases import rename_error_paths, rename_typename_aliases
from router.planner import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanningError,
    QueryPlan,
    SequenceNode,
    plan_operation,
)
from router.supergraph import Supergraph, load_supergraph
from tests.differential.corpus import CASES_DIR, Operation, load_operations, synthetic_cases
from tests.kit.serve import execute, load_cases
from tests.kit.subgraph import Subgraph, sequence

OPERATIONS = [op for case in synthetic_cases() for op in load_operations(CASES_DIR / case, case)]


@cache
def _subgraphs() -> dict[str, Subgraph]:
    return load_cases(CASES_DIR)


@cache
def _supergraph(case: str) -> Supergraph:
    return load_supergraph((CASES_DIR / case / "supergraph.graphql").read_text())


class KitFetcher:
    """Answers subgraph requests from the kit's in-process subgraphs of one case."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.tick = sequence()
        self.requests: list[str] = []

    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        mutation: bool = False,
    ) -> FetchResult:
        self.requests.append(service)
        subgraph = _subgraphs()[f"{self.case}/{service}"]
        if "@http" in subgraph.data:
            failure = {"message": "HTTP 503", "extensions": {"code": "SUBREQUEST_HTTP_ERROR"}}
            return FetchResult(None, [], failure)  # type: ignore[arg-type]
        body = {"query": query, "variables": variables, "operationName": operation_name}
        answer = execute(subgraph, body, self.tick)
        return FetchResult(answer.get("data"), answer.get("errors") or [])


def answer(operation: Operation, *, batch: bool) -> tuple[dict[str, Any], int]:
    """The shaped answer (data, error messages and paths) and the requests it took."""
    key = (operation.id, batch)
    if key not in _ANSWERS:
        _ANSWERS[key] = _answer(operation, batch=batch)
    return _ANSWERS[key]


_ANSWERS: dict[tuple[str, bool], tuple[dict[str, Any], int]] = {}


def _answer(operation: Operation, *, batch: bool) -> tuple[dict[str, Any], int]:
    supergraph = _supergraph(operation.case)
    document, client_keys = rename_typename_aliases(parse(operation.document))
    definition = get_operation_ast(document, operation.name)
    assert definition is not None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    try:
        plan = plan_operation(supergraph, document, operation.name)
    except PlanningError as refused:  # an unsatisfiable operation: refused either way
        return {"refused": str(refused)}, 0
    variables = _with_defaults(definition, operation.variables)
    fetcher = KitFetcher(operation.case)
    state = asyncio.run(execute_plan(plan, fetcher, variables, batch_entities=batch))
    shaper = ResponseShaper(supergraph.api_schema, definition, fragments, client_keys)
    errors = state.errors
    if client_keys and errors:
        rename_error_paths(errors, client_keys)
    data = shaper.shape(state.data, variables, errors)
    reported = [(e.get("message"), e.get("path")) for e in errors]
    return {"data": data, "errors": reported}, len(fetcher.requests)


def _with_defaults(definition: OperationDefinitionNode, raw: dict[str, Any]) -> dict[str, Any]:
    values = dict(raw)
    for variable in definition.variable_definitions or ():
        name = variable.variable.name.value
        if name not in values and variable.default_value is not None:
            values[name] = value_from_ast_untyped(variable.default_value, values)
    return values


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_batched_answers_are_identical(operation: Operation) -> None:
    plain, plain_requests = answer(operation, batch=False)
    batched, batched_requests = answer(operation, batch=True)
    assert batched == plain
    assert batched_requests <= plain_requests


def test_batching_saves_requests_across_the_cases() -> None:
    plain = sum(answer(op, batch=False)[1] for op in OPERATIONS)
    batched = sum(answer(op, batch=True)[1] for op in OPERATIONS)
    print(f"requests for {len(OPERATIONS)} operations: {plain} unbatched, {batched} batched")
    assert batched < plain


def _entity_fetch(service: str, body: str, name: str) -> FetchNode:
    operation = (
        f"query {name}($representations: [_Any!]!, $x: Int) {{\n"
        f"  _entities(representations: $representations) {{\n    {body}\n  }}\n}}"
    )
    return FetchNode(service, operation, variable_usages=("x",), requires=(), operation_name=name)


def test_merged_operation_aliases_each_fetch() -> None:
    one = _entity_fetch("s", "... on A { a(x: $x) }", "Q__s__1")
    two = _entity_fetch("s", "... on B { b }", "Q__s__2")
    merged = merge_operations((one, two))
    assert merged.representations == ("representations_0", "representations_1")
    assert merged.variable_usages == ("x",)
    assert merged.operation == (
        "query Q__s__1($representations_0: [_Any!]!, $representations_1: [_Any!]!, $x: Int) {\n"
        "  _e0: _entities(representations: $representations_0) {\n"
        "    ... on A {\n      a(x: $x)\n    }\n  }\n"
        "  _e1: _entities(representations: $representations_1) {\n"
        "    ... on B {\n      b\n    }\n  }\n}"
    )


def test_levels_follow_sequences_and_parallels() -> None:
    a, b, c, d = (FetchNode(name, "{ x }") for name in "abcd")
    e = FlattenNode(("x",), FetchNode("e", "q", requires=()))
    plan = QueryPlan(SequenceNode((a, ParallelNode((SequenceNode((b, c)), SequenceNode((d, e)))))))
    assert plan.node is not None
    assert levels(plan.node, {}) == [[a], [b, d], [c, e]]
