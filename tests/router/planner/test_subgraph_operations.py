"""Every fetch the planner emits is a valid operation for the subgraph it goes to."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, parse, validate

from router.planner import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    PlanningError,
    PlanNode,
    plan_operation,
)
from router.supergraph import load_supergraph
from tests.router.planner.cases import UNSATISFIABLE, features
from tests.router.planner.generate import RandomOperations, operations
from tests.router.planner.subgraph_schemas import subgraph_schema

RANDOM_PER_FEATURE = 60


def fetches(node: PlanNode | None) -> list[FetchNode]:
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    if isinstance(node, ConditionNode):
        return fetches(node.if_clause) + fetches(node.else_clause)
    return [f for child in node.nodes for f in fetches(child)]


@cache
def _schemas(feature: Path) -> dict[str, GraphQLSchema]:
    return {p.stem: subgraph_schema(p) for p in (feature / "subgraphs").glob("*.graphql")}


@pytest.mark.parametrize("feature", features(), ids=[f.name for f in features()])
def test_fetches_validate_against_their_subgraph(feature: Path) -> None:
    supergraph = load_supergraph((feature / "supergraph.graphql").read_text())
    api = supergraph.api_schema
    generator = RandomOperations(api, seed=5)
    candidates = [*operations(api), *(generator.operation() for _ in range(RANDOM_PER_FEATURE))]
    invalid = []
    for text in candidates:
        document = parse(text)
        if validate(api, document):
            continue
        try:
            plan = plan_operation(supergraph, document)
        except PlanningError:
            if feature.name in UNSATISFIABLE:
                continue  # refused, as it must be for some operations there
            raise
        for fetch in fetches(plan.node):
            errors = validate(_schemas(feature)[fetch.service_name], parse(fetch.operation))
            invalid.extend((text, fetch.operation, e.message) for e in errors)
    assert invalid == []
