"""Orders read over HTTP: by id, listed with filters, and as Customer.orders."""

from __future__ import annotations

from typing import Any

from subgraphs.common.demo import world
from tests.support.processes import ServiceProcess

from .operations import CANCEL, CUSTOMER_ORDERS, new_customer_id, place

DOCK = world().products[7]
DEMO_ORDER_IDS = {o.id for o in world().orders}
ORDER = """
query($id: ID!) {
  order(id: $id) {
    id status placedAt cancelledAt customer { id } total { amount currency }
    lines { productName quantity unitPrice { amount } product { id } }
  }
}"""


def test_demo_order_is_served_as_seeded(orders: ServiceProcess) -> None:
    demo = next(o for o in world().orders if o.status == "CANCELLED")
    got = orders.data(ORDER, {"id": demo.id})["order"]
    assert got["status"] == "CANCELLED"
    assert got["cancelledAt"] is not None
    assert got["customer"] == {"id": demo.customer_id}
    assert got["total"] == {"amount": demo.total, "currency": demo.currency}
    assert got["placedAt"] == demo.placed_at.isoformat()
    assert [
        (line["product"]["id"], line["productName"], line["quantity"], line["unitPrice"]["amount"])
        for line in got["lines"]
    ] == [
        (line.product_id, line.product_name, line.quantity, line.unit_price) for line in demo.lines
    ]


def test_unknown_order_is_null(orders: ServiceProcess) -> None:
    assert orders.data('{ order(id: "ord_nope") { id } }') == {"order": None}


def test_orders_filter_by_customer_and_status(orders: ServiceProcess) -> None:
    customer_id = new_customer_id()
    kept = place(orders, [(DOCK.id, 1)], customer_id=customer_id)
    dropped = place(orders, [(DOCK.id, 1)], customer_id=customer_id)
    orders.data(CANCEL, {"id": dropped["id"]})
    query = (
        "query($c: ID, $s: OrderStatus) { orders(first: 100, filter: {customerId: $c, status: $s})"
        " { nodes { id status } } }"
    )
    everything = orders.data(query, {"c": customer_id})["orders"]["nodes"]
    assert [n["id"] for n in everything] == [kept["id"], dropped["id"]]
    placed = orders.data(query, {"c": customer_id, "s": "PLACED"})["orders"]["nodes"]
    assert placed == [{"id": kept["id"], "status": "PLACED"}]
    paid = orders.data("{ orders(first: 100, filter: {status: PAID}) { nodes { status } } }")
    assert {n["status"] for n in paid["orders"]["nodes"]} == {"PAID"}


def customer_orders(orders: ServiceProcess, variables: dict[str, Any]) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = orders.data(CUSTOMER_ORDERS, variables)["_entities"]
    return entities


def test_customer_orders_for_many_customers(orders: ServiceProcess) -> None:
    demo_ids = list(dict.fromkeys(o.customer_id for o in world().orders))[:5]
    stranger = new_customer_id()
    reps = [{"__typename": "Customer", "id": c} for c in [*demo_ids, stranger]]
    entities = customer_orders(orders, {"r": reps, "first": 100})
    for customer_id, entity in zip(demo_ids, entities, strict=False):
        expected = sorted(o.id for o in world().orders if o.customer_id == customer_id)
        assert entity["id"] == customer_id
        got = [n["id"] for n in entity["orders"]["nodes"]]
        assert [i for i in got if i in DEMO_ORDER_IDS] == expected  # others may add orders
        assert {n["customer"]["id"] for n in entity["orders"]["nodes"]} == {customer_id}
    assert entities[-1]["orders"] == {
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


def test_customer_orders_paginate_and_filter_by_status(orders: ServiceProcess) -> None:
    customer_id = new_customer_id()
    placed = [place(orders, [(DOCK.id, 1)], customer_id=customer_id)["id"] for _ in range(3)]
    orders.data(CANCEL, {"id": placed[1]})
    reps = [{"__typename": "Customer", "id": customer_id}]
    seen: list[str] = []
    after = None
    while True:
        page = customer_orders(orders, {"r": reps, "first": 2, "after": after})[0]["orders"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == placed
    only_placed = customer_orders(orders, {"r": reps, "first": 10, "status": "PLACED"})
    assert [n["id"] for n in only_placed[0]["orders"]["nodes"]] == [placed[0], placed[2]]


def test_customer_orders_page_bounds(orders: ServiceProcess) -> None:
    reps = [{"__typename": "Customer", "id": new_customer_id()}]
    for arguments in ({"first": 101}, {"first": -1}, {"after": "nope"}):
        body = orders.execute(CUSTOMER_ORDERS, {"r": reps, **arguments})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
