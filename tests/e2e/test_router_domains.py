"""Cross-subgraph queries through the router agree with what each subgraph says on its own."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from subgraphs.common.demo import world
from tests.e2e.conftest import Stack


def ask(stack: Stack, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = httpx.post(
        f"{stack.router.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=stack.router.headers,  # an admin token: these queries read every customer
        timeout=30,
    ).json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def test_customer_to_orders_to_invoices_to_subscriptions(stack: Stack) -> None:
    customer = world().customers[0]
    data = ask(
        stack,
        """query($id: ID!) { customer(id: $id) {
             name taxRate { basisPoints }
             orders(first: 10) { nodes { id total { amount } invoice { number total { amount } } } }
             subscriptions(first: 10) {
               nodes { id plan { code } invoices(first: 5) { nodes { id } } }
             }
             invoices(first: 50) { nodes { id order { id } subscription { id } } }
           } }""",
        {"id": customer.id},
    )["customer"]
    assert data["name"] == customer.name
    assert data["taxRate"]["basisPoints"] == 1900  # DE, via @requires(address { country })
    orders_direct = stack.subgraphs["orders"].data(
        'query($id: ID!) { _entities(representations: [{__typename: "Customer", id: $id}]) '
        "{ ... on Customer { orders(first: 10) { nodes { id } } } } }",
        {"id": customer.id},
    )
    assert [o["id"] for o in data["orders"]["nodes"]] == [
        o["id"] for o in orders_direct["_entities"][0]["orders"]["nodes"]
    ]
    for order in data["orders"]["nodes"]:
        assert order["invoice"] is not None
        assert order["invoice"]["total"]["amount"] >= order["total"]["amount"]  # plus tax
    invoice_orders = {i["order"]["id"] for i in data["invoices"]["nodes"] if i["order"]}
    assert invoice_orders == {o["id"] for o in data["orders"]["nodes"]}


def test_back_from_invoice_to_customer_and_their_subscriptions(stack: Stack) -> None:
    data = ask(
        stack,
        """{ invoices(first: 5, filter: {status: PAID}) { nodes {
             number customer { id email subscriptions(first: 3) { nodes { plan { name } } } }
             order { status lines { productName quantity product { sku } } }
           } } }""",
    )
    nodes = data["invoices"]["nodes"]
    assert len(nodes) == 5
    emails = {c.id: c.email for c in world().customers}
    for invoice in nodes:
        assert invoice["customer"]["email"] == emails[invoice["customer"]["id"]]
        if invoice["order"]:
            assert invoice["order"]["status"] in ("PAID", "REFUNDED")
            assert all(
                line["product"]["sku"].startswith("SKU-") for line in invoice["order"]["lines"]
            )


def test_subscription_to_customer_to_orders(stack: Stack) -> None:
    data = ask(
        stack,
        "{ subscriptions(first: 3) { nodes { status customer { name "
        "orders(first: 1) { nodes { status } } defaultPaymentMethod { last4 } } } } }",
    )
    for node in data["subscriptions"]["nodes"]:
        assert node["customer"]["name"]
        assert "orders" in node["customer"]


def test_aliases_fragments_variables_defaults_and_conditions(stack: Stack) -> None:
    query = """
      query($first: Int = 2, $withPlan: Boolean!, $skipEmail: Boolean = true) {
        list: customers(first: $first) {
          nodes {
            ...Who
            primary: defaultPaymentMethod { brand }
            subs: subscriptions(first: 1) @include(if: $withPlan) { nodes { plan { code } } }
          }
        }
      }
      fragment Who on Customer { __typename id name email @skip(if: $skipEmail) }
    """
    with_plan = ask(stack, query, {"withPlan": True})["list"]["nodes"]
    without = ask(stack, query, {"withPlan": False, "skipEmail": False})["list"]["nodes"]
    assert len(with_plan) == 2
    assert list(with_plan[0]) == ["__typename", "id", "name", "primary", "subs"]
    assert list(without[0]) == ["__typename", "id", "name", "email", "primary"]
    assert with_plan[0]["__typename"] == "Customer"


def test_mutation_then_cross_subgraph_read(stack: Stack) -> None:
    customer = world().customers[2]
    product = world().products[3]
    placed = ask(
        stack,
        """mutation($input: PlaceOrderInput!, $key: String!) {
             placeOrder(input: $input, idempotencyKey: $key) {
               id status total { amount } customer { name } invoice { id }
             } }""",
        {
            "input": {
                "customerId": customer.id,
                "lines": [{"productId": product.id, "quantity": 1}],
            },
            "key": uuid.uuid4().hex,
        },
    )["placeOrder"]
    assert placed["status"] == "PLACED"
    assert placed["customer"]["name"] == customer.name  # entity jump after a mutation
    assert placed["total"]["amount"] == product.price
    assert placed["invoice"] is None  # issuing invoices on order comes with the payment flows


def test_mutations_run_in_order(stack: Stack) -> None:
    customer = world().customers[4]
    key = uuid.uuid4().hex
    data = ask(
        stack,
        """mutation($input: PlaceOrderInput!, $key: String!) {
             first: placeOrder(input: $input, idempotencyKey: $key) { id status }
             again: placeOrder(input: $input, idempotencyKey: $key) { id status }
           }""",
        {
            "input": {
                "customerId": customer.id,
                "lines": [{"productId": world().products[8].id, "quantity": 1}],
            },
            "key": key,
        },
    )
    assert data["first"]["id"] == data["again"]["id"]
