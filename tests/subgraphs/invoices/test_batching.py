"""resolve_reference is batched: 100 representations cost a constant number of statements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.demo import world
from subgraphs.invoices.seed import demo_invoices
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph

INVOICES = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Invoice { id number total { amount } lines { description amount { amount } } }
  }
}"""

CUSTOMERS = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Customer {
      id
      taxRate { country basisPoints }
      invoices(first: 3) { nodes { id lines { amount { amount } } } }
      outstandingBalance { amount currency }
    }
  }
}"""

ORDERS_AND_SUBSCRIPTIONS = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Order { id invoice { id lines { description } } }
    ... on BillingSubscription { id invoices(first: 2) { nodes { id status } } }
  }
}"""


@pytest.fixture(autouse=True)
def _quiet_background(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outbox sender or reconciler polling the database while statements are counted."""
    monkeypatch.setenv("INVOICES_OUTBOX_ENABLED", "false")
    monkeypatch.setenv("INVOICES_RECONCILE_INTERVAL", "0")


def _selects(subgraph: InProcessSubgraph) -> list[str]:
    return [s for s in subgraph.statements if s.lstrip().upper().startswith("SELECT")]


async def _run(subgraph: InProcessSubgraph, query: str, reps: list[dict[str, Any]]) -> int:
    subgraph.statements.clear()
    body = await subgraph.execute(query, {"r": reps})
    assert "errors" not in body, body
    assert len(body["data"]["_entities"]) == len(reps)
    assert all(entity is not None for entity in body["data"]["_entities"])
    return len(subgraph.statements)


def _customer_reps(count: int) -> list[dict[str, Any]]:
    customers = world().customers
    return [
        {
            "__typename": "Customer",
            "id": customers[i % len(customers)].id,
            "address": {"country": customers[i % len(customers)].country},
        }
        for i in range(count)
    ]


async def test_hundred_invoices_with_lines_cost_two_selects(backend: str, tmp_path: Path) -> None:
    ids = [row.id for row in demo_invoices(world())]
    reps = [{"__typename": "Invoice", "id": ids[i % len(ids)]} for i in range(100)]
    with fresh_database(backend, "invoices", tmp_path) as url:
        async with in_process_subgraph("invoices", url) as subgraph:
            await _run(subgraph, INVOICES, reps)
            assert len(_selects(subgraph)) <= 2, _selects(subgraph)


async def test_customer_fields_cost_the_same_for_ten_or_a_hundred(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, "invoices", tmp_path) as url:
        async with in_process_subgraph("invoices", url) as subgraph:
            few = await _run(subgraph, CUSTOMERS, _customer_reps(10))
            many = await _run(subgraph, CUSTOMERS, _customer_reps(100))
            # One page query, one query for those invoices' lines, one GROUP BY balance.
            assert many == few
            assert len(_selects(subgraph)) <= 3, _selects(subgraph)


async def test_orders_and_subscriptions_are_batched(backend: str, tmp_path: Path) -> None:
    orders = [{"__typename": "Order", "id": o.id} for o in world().orders]
    subscriptions = [
        {"__typename": "BillingSubscription", "id": s.id} for s in world().subscriptions
    ]
    reps = (orders + subscriptions) * 2
    with fresh_database(backend, "invoices", tmp_path) as url:
        async with in_process_subgraph("invoices", url) as subgraph:
            await _run(subgraph, ORDERS_AND_SUBSCRIPTIONS, reps)
            # The orders' invoices (which also say whose the orders are), their lines, the
            # subscriptions' owners, and one page query for all subscriptions.
            assert len(_selects(subgraph)) <= 4, _selects(subgraph)
