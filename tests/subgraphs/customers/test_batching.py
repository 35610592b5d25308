"""resolve_reference is batched: 100 representations cost a constant number of statements."""

from __future__ import annotations

from pathlib import Path

from subgraphs.common.demo import world
from tests.support.databases import fresh_database
from tests.support.inprocess import in_process_subgraph

ENTITIES = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Customer { id email paymentMethods { last4 } }
    ... on PaymentMethod { id brand }
  }
}"""


async def test_hundred_customers_cost_two_statements(backend: str, tmp_path: Path) -> None:
    ids = [c.id for c in world().customers]
    reps = [{"__typename": "Customer", "id": ids[i % len(ids)]} for i in range(100)]
    with fresh_database(backend, "customers", tmp_path) as url:
        async with in_process_subgraph("customers", url) as subgraph:
            subgraph.statements.clear()
            body = await subgraph.execute(ENTITIES, {"r": reps})
            assert "errors" not in body
            assert len(body["data"]["_entities"]) == 100
            selects = [s for s in subgraph.statements if s.lstrip().upper().startswith("SELECT")]
            assert len(selects) <= 2, selects
