"""Connections: totalCount of the whole (filtered) list, orderBy creation, on every service."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.common.demo import world
from tests.conftest import SubgraphPool
from tests.support.processes import ServiceProcess

ROOT_LISTS = [
    ("customers", "customers"),
    ("orders", "products"),
    ("orders", "orders"),
    ("invoices", "invoices"),
    ("subscriptions", "subscriptions"),
]


def page(served: ServiceProcess, field: str, **args: Any) -> dict[str, Any]:
    query = (
        f"query($first: Int, $after: String, $order: SortOrder) {{ {field}(first: $first, "
        "after: $after, orderBy: $order) { totalCount nodes { id } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    found: dict[str, Any] = served.data(query, args)[field]
    return found


@pytest.mark.parametrize(("service", "field"), ROOT_LISTS)
def test_a_root_list_counts_everything_and_pages_both_ways(
    subgraphs: SubgraphPool, service: str, field: str
) -> None:
    served = subgraphs[service]
    everything = page(served, field, first=100)
    ids = [n["id"] for n in everything["nodes"]]
    assert everything["totalCount"] == len(ids) > 3
    assert ids == sorted(ids)  # oldest first by default
    first = page(served, field, first=2, order="NEWEST_FIRST")
    assert [n["id"] for n in first["nodes"]] == ids[::-1][:2]
    assert first["totalCount"] == len(ids)
    rest = page(served, field, first=2, after=first["pageInfo"]["endCursor"], order="NEWEST_FIRST")
    assert [n["id"] for n in rest["nodes"]] == ids[::-1][2:4]


def test_child_lists_count_per_parent(subgraphs: SubgraphPool) -> None:
    orders = subgraphs["orders"]
    demo = world()
    customers = [c.id for c in demo.customers[:6]]
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer {
      id newest: orders(first: 1, orderBy: NEWEST_FIRST) { totalCount nodes { id } }
      paid: orders(first: 0, status: PAID) { totalCount } } } }"""
    reps = [{"__typename": "Customer", "id": c} for c in customers]
    found = orders.data(query, {"r": reps})["_entities"]
    for customer, entity in zip(customers, found, strict=True):
        theirs = sorted(o.id for o in demo.orders if o.customer_id == customer)
        paid = [o for o in demo.orders if o.customer_id == customer and o.status == "PAID"]
        assert entity["newest"]["totalCount"] == len(theirs)
        assert [n["id"] for n in entity["newest"]["nodes"]] == theirs[-1:]
        assert entity["paid"]["totalCount"] == len(paid)


def test_an_order_names_its_totals_before_and_after_tax(subgraphs: SubgraphPool) -> None:
    orders = subgraphs["orders"]
    paid = next(o for o in world().orders if o.status == "PAID")
    query = """query($id: ID!) { order(id: $id) {
      subtotal { amount } totalWithTax { amount } total { amount } } }"""
    found = orders.data(query, {"id": paid.id})["order"]
    assert found["subtotal"] == found["total"] == {"amount": paid.total}
    assert found["totalWithTax"]["amount"] >= paid.total  # tax included (none in the US)
