"""The planner's entry points: errors, federation 1 supergraphs and the plan cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse

from router.planner import (
    FetchNode,
    FlattenNode,
    PlanningError,
    SequenceNode,
    plan_operation,
)
from router.supergraph import Supergraph, load_supergraph

CASES = Path(__file__).parent / "cases"
FED1 = Path(__file__).parents[1] / "supergraph" / "data" / "fed1.graphql"


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return load_supergraph((CASES / "entities" / "supergraph.graphql").read_text())


def test_unknown_operation_name(supergraph: Supergraph) -> None:
    with pytest.raises(PlanningError):
        plan_operation(supergraph, parse("query A { me { id } }"), "B")


def test_operation_is_chosen_by_name(supergraph: Supergraph) -> None:
    document = parse("query A { me { id } } query B { topProducts { upc } }")
    plan = plan_operation(supergraph, document, "B")
    assert isinstance(plan.node, FetchNode)
    assert plan.node.service_name == "products"
    assert plan.node.operation_name == "B__products__0"


def test_a_subscription_streams_its_root_field_and_fetches_the_rest_per_event() -> None:
    switchboard = load_supergraph((CASES / "switchboard" / "supergraph.graphql").read_text())
    document = parse("subscription { orderStatusChanged(orderId: 1) { status customer { name } } }")
    plan = plan_operation(switchboard, document)
    assert plan.primary is not None
    assert (plan.primary.service_name, plan.primary.operation_kind) == ("orders", "subscription")
    assert plan.primary.operation.startswith("subscription")
    assert isinstance(plan.node, FlattenNode)
    assert plan.node.node.service_name == "customers"
    assert plan.node.node.operation_kind == "query"


def test_introspection_and_root_typename_need_no_fetch(supergraph: Supergraph) -> None:
    document = parse("{ __typename __schema { queryType { name } } }")
    assert plan_operation(supergraph, document).node is None


def test_federation_1_supergraph() -> None:
    fed1 = load_supergraph(FED1.read_text())
    plan = plan_operation(fed1, parse("{ me { name reviews { body } } }"))
    assert isinstance(plan.node, SequenceNode)
    first, _ = plan.node.nodes
    assert isinstance(first, FetchNode)
    assert first.service_name == "accounts"
    assert "id" in first.operation


def test_progressive_override_follows_enabled_labels() -> None:
    override = load_supergraph((CASES / "override" / "supergraph.graphql").read_text())
    document = parse("{ accounts { tier } }")
    default = plan_operation(override, document)
    assert isinstance(default.node, FetchNode)
    assert default.node.service_name == "legacy"
    enabled = plan_operation(override, document, override_labels=frozenset({"percent(25)"}))
    assert isinstance(enabled.node, SequenceNode)
    services = [n.node.service_name for n in enabled.node.nodes if isinstance(n, FlattenNode)]
    assert services == ["crm"]
