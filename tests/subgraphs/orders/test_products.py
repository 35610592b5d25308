"""Products over HTTP: lookups, filters, pagination and entity references."""

from __future__ import annotations

import pytest

from subgraphs.common.demo import world
from tests.support.processes import ServiceProcess

UNTOUCHED = world().products[5]  # no test orders this product, so its stock is as seeded


def test_demo_product_is_served(orders: ServiceProcess) -> None:
    got = orders.data(
        "query($id: ID!) { product(id: $id) { id sku name description stock active "
        "price { amount currency formatted } } }",
        {"id": UNTOUCHED.id},
    )["product"]
    assert got == {
        "id": UNTOUCHED.id,
        "sku": UNTOUCHED.sku,
        "name": UNTOUCHED.name,
        "description": None,
        "stock": UNTOUCHED.stock,
        "active": True,
        "price": {
            "amount": UNTOUCHED.price,
            "currency": "EUR",
            "formatted": f"{UNTOUCHED.price // 100}.{UNTOUCHED.price % 100:02d} EUR",
        },
    }


def test_unknown_product_is_null(orders: ServiceProcess) -> None:
    assert orders.data('{ product(id: "prd_nope") { id } }') == {"product": None}


def test_pagination_walks_every_product_once(orders: ServiceProcess) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = orders.data(
            "query($after: String) { products(first: 5, after: $after) { "
            "edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["products"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(set(seen))
    assert {p.id for p in world().products} <= set(seen)


@pytest.mark.parametrize("search", ["card reader", "CARD READER", "sku-100"])
def test_search_matches_name_or_sku_in_any_case(orders: ServiceProcess, search: str) -> None:
    nodes = orders.data(
        "query($s: String) { products(first: 100, filter: {search: $s}) { nodes { name sku } } }",
        {"s": search},
    )["products"]["nodes"]
    needle = search.lower()
    expected = [p for p in world().products if needle in p.name.lower() or needle in p.sku.lower()]
    assert len(nodes) == len(expected) > 0


def test_search_treats_wildcards_literally(orders: ServiceProcess) -> None:
    query = '{ products(first: 100, filter: {search: "%"}) { nodes { id } } }'
    assert orders.data(query)["products"]["nodes"] == []


@pytest.mark.parametrize("in_stock", [True, False])
def test_in_stock_filter(orders: ServiceProcess, in_stock: bool) -> None:
    nodes = orders.data(
        "query($s: Boolean) { products(first: 100, filter: {inStock: $s}) { nodes { stock } } }",
        {"s": in_stock},
    )["products"]["nodes"]
    assert all((node["stock"] > 0) is in_stock for node in nodes)
    if in_stock:
        assert UNTOUCHED.stock in [node["stock"] for node in nodes]


@pytest.mark.parametrize("field", ["products", "orders"])
@pytest.mark.parametrize(
    "arguments",
    ["first: 101", "first: -1", 'after: "not-a-cursor"', 'after: "djE6"'],
)
def test_bad_page_arguments(orders: ServiceProcess, field: str, arguments: str) -> None:
    assert orders.error_codes(f"{{ {field}({arguments}) {{ nodes {{ id }} }} }}") == [
        "BAD_USER_INPUT"
    ]


def test_products_resolve_by_key(orders: ServiceProcess) -> None:
    demo = world().products[:3]
    reps = [{"__typename": "Product", "id": p.id} for p in demo]
    reps.append({"__typename": "Product", "id": "prd_unknown"})
    data = orders.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku } } }",
        {"r": reps},
    )
    assert [e and e["sku"] for e in data["_entities"]] == [p.sku for p in demo] + [None]
