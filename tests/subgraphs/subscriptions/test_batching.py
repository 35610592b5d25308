"""Entities and customers' subscription pages are batched: a constant number of statements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from subgraphs.common.demo import world
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph

SUBSCRIPTION_ENTITIES = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on BillingSubscription { id status customer { id } plan { code price { amount } } }
  }
}"""

PLAN_ENTITIES = """
query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Plan { id code interval } }
}"""

CUSTOMER_PAGES = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Customer {
      first: subscriptions(first: 1) { nodes { id plan { code } } }
      active: subscriptions(status: ACTIVE) { nodes { id plan { code } } }
    }
  }
}"""


@pytest_asyncio.fixture(scope="module")
async def subgraph(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[InProcessSubgraph]:
    with fresh_database(backend, "subscriptions", tmp_path_factory.mktemp("batching")) as url:
        async with in_process_subgraph("subscriptions", url) as served:
            yield served


async def _selects(subgraph: InProcessSubgraph, query: str, reps: list[Any]) -> list[str]:
    subgraph.statements.clear()
    body = await subgraph.execute(query, {"r": reps})
    assert "errors" not in body, body
    assert len(body["data"]["_entities"]) == len(reps)
    assert all(entity is not None for entity in body["data"]["_entities"])
    return [s for s in subgraph.statements if s.lstrip().upper().startswith("SELECT")]


async def test_hundred_subscriptions_with_plans_cost_one_statement(
    subgraph: InProcessSubgraph,
) -> None:
    ids = [s.id for s in world().subscriptions]
    reps = [{"__typename": "BillingSubscription", "id": ids[i % len(ids)]} for i in range(100)]
    selects = await _selects(subgraph, SUBSCRIPTION_ENTITIES, reps)
    assert len(selects) <= 1, selects


async def test_hundred_plans_cost_two_statements(subgraph: InProcessSubgraph) -> None:
    ids = [p.id for p in world().plans]
    reps = [{"__typename": "Plan", "id": ids[i % len(ids)]} for i in range(100)]
    selects = await _selects(subgraph, PLAN_ENTITIES, reps)
    assert len(selects) <= 2, selects


async def test_customers_subscription_pages_cost_one_statement_per_argument_set(
    subgraph: InProcessSubgraph,
) -> None:
    ids = [c.id for c in world().customers]
    reps = [{"__typename": "Customer", "id": ids[i % len(ids)]} for i in range(100)]
    selects = await _selects(subgraph, CUSTOMER_PAGES, reps)
    pages = [s for s in selects if "row_number()" in s.lower()]
    assert len(pages) == 2, selects  # one per distinct (first, after, status)
    assert len(selects) == 2, selects  # each joins its subscriptions' plans
