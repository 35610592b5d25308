"""GraphQL documents and small helpers the orders tests share."""

from __future__ import annotations

import uuid
from typing import Any

from subgraphs.common.ids import new_id
from tests.support.processes import ServiceProcess

PLACE = """
mutation($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) {
    id status placedAt cancelledAt customer { id }
    total { amount currency }
    lines { productName quantity unitPrice { amount } lineTotal { amount } product { id stock } }
  }
}"""

CANCEL = """
mutation($id: ID!) {
  cancelOrder(id: $id) { id status cancelledAt lines { quantity product { id stock } } }
}"""

STOCK = "query($id: ID!) { product(id: $id) { stock } }"

CUSTOMER_ORDERS = """
query($r: [_Any!]!, $first: Int, $after: String, $status: OrderStatus) {
  _entities(representations: $r) {
    ... on Customer {
      id
      orders(first: $first, after: $after, status: $status) {
        nodes { id status customer { id } lines { quantity product { id } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""


def new_customer_id() -> str:
    """An id shaped like the customers service's; orders cannot check it exists."""
    return new_id("cus")


def order_input(lines: list[tuple[str, int]], customer_id: str | None = None) -> dict[str, Any]:
    return {
        "customerId": customer_id or new_customer_id(),
        "lines": [{"productId": product_id, "quantity": q} for product_id, q in lines],
    }


def place_variables(lines: list[tuple[str, int]], **kwargs: Any) -> dict[str, Any]:
    return {"input": order_input(lines, **kwargs), "key": uuid.uuid4().hex}


def place(orders: ServiceProcess, lines: list[tuple[str, int]], **kwargs: Any) -> dict[str, Any]:
    placed: dict[str, Any] = orders.data(PLACE, place_variables(lines, **kwargs))["placeOrder"]
    return placed


def stock(orders: ServiceProcess, product_id: str) -> int:
    value: int = orders.data(STOCK, {"id": product_id})["product"]["stock"]
    return value


def orders_of(orders: ServiceProcess, customer_id: str) -> list[dict[str, Any]]:
    data = orders.data(
        CUSTOMER_ORDERS, {"r": [{"__typename": "Customer", "id": customer_id}], "first": 100}
    )
    nodes: list[dict[str, Any]] = data["_entities"][0]["orders"]["nodes"]
    return nodes
