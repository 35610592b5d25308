"""An order's payment with the invoices and customers services down (a closed port).

The order is placed and its stock reserved; the payment waits, typed as retryable, and
nothing is invoiced. The full flow with the services up is in tests/e2e/test_order_flow.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.demo import world
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph
from tests.support.processes import free_port

from .operations import new_customer_id

PRODUCT = world().products[5]
PLACE = """
mutation($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) {
    id status paidAt paymentFailure { reason message retryable } lines { product { stock } }
  }
}"""
PAY = """
mutation($id: ID!, $key: String!) {
  payOrder(id: $id, idempotencyKey: $key) { id status paymentFailure { reason retryable } }
}"""
CANCEL = "mutation($id: ID!) { cancelOrder(id: $id) { id status paymentFailure { reason } } }"


@pytest.fixture
async def orders(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[InProcessSubgraph]:
    closed = f"http://127.0.0.1:{free_port()}/graphql"
    monkeypatch.setenv("ORDERS_INVOICES_URL", closed)
    monkeypatch.setenv("ORDERS_CUSTOMERS_URL", closed)
    monkeypatch.setenv("ORDERS_OUTBOX_ENABLED", "false")
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            yield subgraph


def place_variables(quantity: int = 1) -> dict[str, Any]:
    lines = [{"productId": PRODUCT.id, "quantity": quantity}]
    return {"input": {"customerId": new_customer_id(), "lines": lines}, "key": uuid.uuid4().hex}


async def data(subgraph: InProcessSubgraph, query: str, variables: dict[str, Any]) -> Any:
    body = await subgraph.execute(query, variables)
    assert not body.get("errors"), body["errors"]
    return body["data"]


async def codes(subgraph: InProcessSubgraph, query: str, variables: dict[str, Any]) -> list[str]:
    body = await subgraph.execute(query, variables)
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_an_order_placed_while_payments_are_down_waits_with_a_retryable_reason(
    orders: InProcessSubgraph,
) -> None:
    variables = place_variables(quantity=2)
    placed = (await data(orders, PLACE, variables))["placeOrder"]
    assert (placed["status"], placed["paidAt"]) == ("PLACED", None)
    failure = placed["paymentFailure"]
    assert (failure["reason"], failure["retryable"]) == ("SERVICE_UNAVAILABLE", True)
    assert "customers service did not complete the call" in failure["message"]
    assert placed["lines"][0]["product"]["stock"] == PRODUCT.stock - 2
    again = (await data(orders, PLACE, variables))["placeOrder"]  # the retry the reason invites
    assert (again["id"], again["status"]) == (placed["id"], "PLACED")
    assert again["lines"][0]["product"]["stock"] == PRODUCT.stock - 2  # reserved once


async def test_pay_order_carries_on_a_waiting_order_and_refuses_what_cannot_be_paid(
    orders: InProcessSubgraph,
) -> None:
    placed = (await data(orders, PLACE, place_variables()))["placeOrder"]
    paid = (await data(orders, PAY, {"id": placed["id"], "key": "k1"}))["payOrder"]
    assert paid["status"] == "PLACED"
    assert paid["paymentFailure"] == {"reason": "SERVICE_UNAVAILABLE", "retryable": True}
    cancelled = (await data(orders, CANCEL, {"id": placed["id"]}))["cancelOrder"]
    assert cancelled == {"id": placed["id"], "status": "CANCELLED", "paymentFailure": None}
    assert await codes(orders, PAY, {"id": placed["id"], "key": "k2"}) == ["CONFLICT"]
    assert await codes(orders, PAY, {"id": "ord_missing", "key": "k3"}) == ["NOT_FOUND"]
    assert await codes(orders, PAY, {"id": placed["id"], "key": " "}) == ["BAD_USER_INPUT"]
