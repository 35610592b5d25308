"""cancelOrder over HTTP: only PLACED orders, and the reserved stock comes back."""

from __future__ import annotations

import pytest

from subgraphs.common.demo import world
from tests.support.processes import ServiceProcess

from .operations import CANCEL, place, stock

DRAWER, STAND = world().products[3], world().products[6]


def test_cancel_releases_the_reserved_stock(orders: ServiceProcess) -> None:
    before = {p.id: stock(orders, p.id) for p in (DRAWER, STAND)}
    placed = place(orders, [(DRAWER.id, 3), (STAND.id, 1)])
    assert stock(orders, DRAWER.id) == before[DRAWER.id] - 3
    cancelled = orders.data(CANCEL, {"id": placed["id"]})["cancelOrder"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancelledAt"] is not None
    assert {
        line["product"]["id"]: line["product"]["stock"] for line in cancelled["lines"]
    } == before
    assert stock(orders, DRAWER.id) == before[DRAWER.id]


def test_cancelling_twice_conflicts_and_releases_once(orders: ServiceProcess) -> None:
    placed = place(orders, [(DRAWER.id, 2)])
    orders.data(CANCEL, {"id": placed["id"]})
    after_first = stock(orders, DRAWER.id)
    assert orders.error_codes(CANCEL, {"id": placed["id"]}) == ["CONFLICT"]
    assert stock(orders, DRAWER.id) == after_first


@pytest.mark.parametrize("status", ["PAID", "CANCELLED", "REFUNDED"])
def test_only_placed_orders_can_be_cancelled(orders: ServiceProcess, status: str) -> None:
    demo = next(o for o in world().orders if o.status == status)
    assert orders.error_codes(CANCEL, {"id": demo.id}) == ["CONFLICT"]
    got = orders.data("query($id: ID!) { order(id: $id) { status } }", {"id": demo.id})
    assert got == {"order": {"status": status}}


def test_unknown_order_is_not_found(orders: ServiceProcess) -> None:
    assert orders.error_codes(CANCEL, {"id": "ord_missing"}) == ["NOT_FOUND"]
