"""POST /internal/invoice-state: the orders service applies its invoices' money, idempotently.

A real customers process (asked whom to e-mail) and a closed invoices port, so each order
waits PLACED until a snapshot arrives. The whole flow, with the invoices service sending
the snapshots, is in tests/e2e/test_order_sync.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.common.db import create_engine
from subgraphs.common.demo import world
from subgraphs.invoices.seed import demo_invoices
from subgraphs.orders.models import OutboxRow
from tests.conftest import SubgraphPool
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph
from tests.support.processes import free_port

from .operations import new_customer_id

PRODUCT = world().products[6]
ROUTE = "/internal/invoice-state"
PLACE = """
mutation($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status }
}"""
ORDER = """
query($id: ID!) {
  order(id: $id) { status paidAt amountRefunded { amount currency } paymentFailure { reason } }
}"""
PAY = "mutation($id: ID!, $key: String!) { payOrder(id: $id, idempotencyKey: $key) { id } }"
CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) { id }
}"""


@pytest.fixture
async def orders(
    subgraphs: SubgraphPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[InProcessSubgraph, str]]:
    monkeypatch.setenv("ORDERS_INVOICES_URL", f"http://127.0.0.1:{free_port()}/graphql")
    monkeypatch.setenv("ORDERS_CUSTOMERS_URL", f"{subgraphs['customers'].url}/graphql")
    monkeypatch.setenv("ORDERS_OUTBOX_ENABLED", "false")
    with fresh_database(subgraphs.backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            yield subgraph, url


def new_customer(subgraphs: SubgraphPool) -> str:
    address = {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    email = f"sync.{uuid.uuid4().hex[:10]}@example.com"
    variables = {
        "input": {"email": email, "name": "Sync", "address": address},
        "key": uuid.uuid4().hex,
    }
    created = subgraphs["customers"].data(CREATE_CUSTOMER, variables)["createCustomer"]
    return str(created["id"])


async def place(orders: InProcessSubgraph, customer_id: str) -> str:
    lines = [{"productId": PRODUCT.id, "quantity": 1}]
    variables = {"input": {"customerId": customer_id, "lines": lines}, "key": uuid.uuid4().hex}
    body = await orders.execute(PLACE, variables)
    assert body["data"]["placeOrder"]["status"] == "PLACED", body
    return str(body["data"]["placeOrder"]["id"])


def snapshot(order_id: str, status: str, refunded: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "invoiceId": "inv_sync_1",
        "orderId": order_id,
        "status": status,
        "paidAt": "2026-05-01T10:00:00+00:00",
        "amountPaid": 1200,
        "amountRefunded": refunded,
        "currency": PRODUCT.currency,
        **extra,
    }


async def post(orders: InProcessSubgraph, body: Any) -> tuple[int, dict[str, Any]]:
    response = await orders.client.post(ROUTE, json=body)
    found: dict[str, Any] = response.json()
    return response.status_code, found


async def order(orders: InProcessSubgraph, order_id: str) -> dict[str, Any]:
    body = await orders.execute(ORDER, {"id": order_id})
    found: dict[str, Any] = body["data"]["order"]
    return found


async def confirmations(database_url: str, order_id: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            stmt = select(OutboxRow.key).where(OutboxRow.key == f"order-confirmed:{order_id}")
            return len((await conn.execute(stmt)).all())
    finally:
        await engine.dispose()


async def test_snapshots_move_an_order_forward_only_and_confirm_it_once(
    orders: tuple[InProcessSubgraph, str], subgraphs: SubgraphPool
) -> None:
    subgraph, url = orders
    order_id = await place(subgraph, new_customer(subgraphs))
    assert await post(subgraph, snapshot(order_id, "PAID")) == (
        200,
        {"orderId": order_id, "status": "PAID"},
    )
    paid = await order(subgraph, order_id)
    assert (paid["status"], paid["paidAt"], paid["paymentFailure"]) == (
        "PAID",
        "2026-05-01T10:00:00+00:00",
        None,
    )
    assert paid["amountRefunded"] == {"amount": 0, "currency": PRODUCT.currency}
    partial = snapshot(order_id, "PARTIALLY_REFUNDED", 200)
    assert (await post(subgraph, partial))[1]["status"] == "PARTIALLY_REFUNDED"
    assert (await post(subgraph, snapshot(order_id, "PAID")))[1]["status"] == "PARTIALLY_REFUNDED"
    assert (await order(subgraph, order_id))["amountRefunded"]["amount"] == 200
    full = snapshot(order_id, "REFUNDED", 1200)
    for body in (full, partial, full):  # repeated and out of order: no step back
        assert (await post(subgraph, body))[1]["status"] == "REFUNDED"
    assert (await order(subgraph, order_id))["amountRefunded"]["amount"] == 1200
    assert await confirmations(url, order_id) == 1
    refused = (await subgraph.execute(PAY, {"id": order_id, "key": "again"}))["errors"]
    assert refused[0]["extensions"]["code"] == "CONFLICT"


async def test_a_first_snapshot_that_is_already_refunded_pays_and_refunds_the_order(
    orders: tuple[InProcessSubgraph, str], subgraphs: SubgraphPool
) -> None:
    subgraph, _ = orders
    order_id = await place(subgraph, new_customer(subgraphs))
    status, body = await post(subgraph, snapshot(order_id, "REFUNDED", 1200))
    assert (status, body["status"]) == (200, "REFUNDED")
    found = await order(subgraph, order_id)
    assert found["paidAt"] is not None
    assert found["amountRefunded"]["amount"] == 1200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not an object", "JSON object"),
        ({"orderId": "ord_x"}, "invoiceId"),
        (snapshot("ord_x", "OPEN"), "status"),
        (snapshot("ord_x", "PAID", paidAt="yesterday"), "paidAt"),
        (snapshot("ord_x", "PAID", paidAt="2026-05-01T10:00:00"), "paidAt"),
        (snapshot("ord_x", "PAID", amountPaid=-1), "amountPaid"),
        (snapshot("ord_x", "PAID", amountPaid=True), "amountPaid"),
        (snapshot("ord_x", "PARTIALLY_REFUNDED", 1300), "amountRefunded"),
    ],
)
async def test_a_bad_snapshot_is_a_400_naming_the_field(
    orders: tuple[InProcessSubgraph, str], body: Any, field: str
) -> None:
    status, answer = await post(orders[0], body)
    assert (status, answer["error"]["code"]) == (400, "BAD_USER_INPUT")
    assert field in answer["error"]["message"]


async def test_a_body_that_is_not_json_is_a_400(orders: tuple[InProcessSubgraph, str]) -> None:
    response = await orders[0].client.post(ROUTE, content=b"{", headers={"content-type": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_USER_INPUT"


async def test_snapshots_that_cannot_apply_are_refused_for_good(
    orders: tuple[InProcessSubgraph, str], subgraphs: SubgraphPool
) -> None:
    subgraph, _ = orders
    status, answer = await post(subgraph, snapshot("ord_missing", "PAID"))
    assert (status, answer["error"]["code"]) == (404, "NOT_FOUND")
    order_id = await place(subgraph, new_customer(subgraphs))
    status, answer = await post(subgraph, snapshot(order_id, "PAID", currency="JPY"))
    assert (status, answer["error"]["code"]) == (409, "CONFLICT")
    assert (await post(subgraph, snapshot(order_id, "PAID")))[0] == 200
    other_invoice = snapshot(order_id, "REFUNDED", 1200, invoiceId="inv_other")
    status, answer = await post(subgraph, other_invoice)
    assert (status, answer["error"]["code"]) == (409, "CONFLICT")
    assert (await order(subgraph, order_id))["status"] == "PAID"


async def test_an_unpaid_order_waits_while_the_customers_service_is_down(
    subgraphs: SubgraphPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """503: the sender retries later; nothing is applied without the confirmation e-mail."""
    closed = f"http://127.0.0.1:{free_port()}/graphql"
    monkeypatch.setenv("ORDERS_INVOICES_URL", closed)
    monkeypatch.setenv("ORDERS_CUSTOMERS_URL", closed)
    monkeypatch.setenv("ORDERS_OUTBOX_ENABLED", "false")
    with fresh_database(subgraphs.backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            order_id = await place(subgraph, new_customer_id())
            status, answer = await post(subgraph, snapshot(order_id, "PAID"))
            assert (status, answer["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
            assert (await order(subgraph, order_id))["status"] == "PLACED"


async def test_a_seeded_paid_order_learns_its_refund_from_its_own_invoice(
    orders: tuple[InProcessSubgraph, str],
) -> None:
    demo = next(o for o in world().orders if o.status == "PAID")
    invoice_id = next(r.id for r in demo_invoices(world()) if r.order_id == demo.id)
    stranger = snapshot(demo.id, "PARTIALLY_REFUNDED", 300, currency=demo.currency)
    assert (await post(orders[0], stranger))[0] == 409  # another invoice's money: not its own
    body = snapshot(
        demo.id, "PARTIALLY_REFUNDED", 300, currency=demo.currency, invoiceId=invoice_id
    )
    assert await post(orders[0], body) == (
        200,
        {"orderId": demo.id, "status": "PARTIALLY_REFUNDED"},
    )
    assert (await order(orders[0], demo.id))["amountRefunded"] == {"amount": 300, "currency": "EUR"}
