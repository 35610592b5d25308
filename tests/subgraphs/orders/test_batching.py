"""References and Customer.orders are batched: 100 of them cost a constant number of SELECTs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subgraphs.common.demo import world
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph

ORDERS = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Order {
      id status total { amount } customer { id }
      lines { productName quantity lineTotal { amount } product { id sku stock price { amount } } }
    }
  }
}"""

PRODUCTS = """
query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Product { id sku stock price { formatted } } }
}"""

CUSTOMER_ORDERS = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Customer { id orders(first: 3) { nodes { id lines { quantity product { sku } } } } }
  }
}"""


def representations(typename: str, ids: list[str]) -> list[dict[str, Any]]:
    return [{"__typename": typename, "id": ids[i % len(ids)]} for i in range(100)]


async def selects_for(subgraph: InProcessSubgraph, query: str, reps: list[dict[str, Any]]) -> int:
    subgraph.statements.clear()
    body = await subgraph.execute(query, {"r": reps})
    assert "errors" not in body, body
    assert len(body["data"]["_entities"]) == 100
    assert all(entity is not None for entity in body["data"]["_entities"])
    return sum(s.lstrip().upper().startswith("SELECT") for s in subgraph.statements)


async def test_hundred_references_cost_two_statements_each(backend: str, tmp_path: Path) -> None:
    demo = world()
    customer_ids = list(dict.fromkeys(o.customer_id for o in demo.orders))
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            orders = representations("Order", [o.id for o in demo.orders])
            assert await selects_for(subgraph, ORDERS, orders) <= 2
            products = representations("Product", [p.id for p in demo.products])
            assert await selects_for(subgraph, PRODUCTS, products) <= 2
            customers = representations("Customer", customer_ids)
            assert await selects_for(subgraph, CUSTOMER_ORDERS, customers) <= 2
