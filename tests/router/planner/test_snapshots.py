"""Supergraph + operation → printed plan, for every case folder (UPDATE_PLANS=1 rewrites)."""

from __future__ import annotations

import os
from functools import cache

import pytest
from graphql import parse, print_ast, validate

from router.planner import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanningError,
    PlanNode,
    SequenceNode,
    plan_operation,
    plan_to_json,
    print_plan,
)
from router.supergraph import Supergraph, load_supergraph
from tests.router.planner.cases import UNSATISFIABLE, Case, all_cases

CASES = all_cases()


@cache
def _supergraph(sdl: str) -> Supergraph:
    return load_supergraph(sdl)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plan_matches_snapshot(case: Case) -> None:
    supergraph = _supergraph(case.supergraph)
    document = parse(case.operation)
    assert validate(supergraph.api_schema, document) == []
    try:
        plan = plan_operation(supergraph, document)
    except PlanningError as refused:  # an unsatisfiable operation: the snapshot says why
        plan, printed = None, f"PlanningError: {refused}\n"
        if case.feature.name not in UNSATISFIABLE:
            raise
    else:
        printed = print_plan(plan) + "\n"
    if os.environ.get("UPDATE_PLANS") or not case.expected_path.exists():
        case.expected_path.write_text(printed)
        if not os.environ.get("UPDATE_PLANS"):
            pytest.fail(f"wrote a new snapshot for {case.id}; review it")
    assert printed == case.expected_path.read_text()
    assert plan is None or plan_to_json(plan)["kind"] == "QueryPlan"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_operation_text_as_graphql_core_prints_it(case: Case) -> None:
    """The planner prints subgraph operations itself; graphql-core would print the same."""
    try:
        plan = plan_operation(_supergraph(case.supergraph), parse(case.operation))
    except PlanningError:
        return
    for fetch in _fetches(plan.node):
        assert fetch.operation == print_ast(parse(fetch.operation))


def _fetches(node: PlanNode | None) -> list[FetchNode]:
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    if isinstance(node, ConditionNode):
        return _fetches(node.if_clause) + _fetches(node.else_clause)
    assert isinstance(node, SequenceNode | ParallelNode)
    return [fetch for child in node.nodes for fetch in _fetches(child)]
