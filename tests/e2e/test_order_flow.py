"""Placing and paying orders end to end, through the router, with every service running.

placeOrder (orders) issues an invoice (invoices API), charges it at the sandbox bank with the
customer's default card, marks the order PAID and e-mails a confirmation (the invoices
service, which owns the charge, e-mails the receipt); a declined card leaves
the order PAYMENT_FAILED with a typed reason; an invoices outage leaves a state that the
same request, repeated, completes — with one invoice and one charge.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.demo import world
from subgraphs.common.mail import KEY_HEADER
from tests.support.identity import bearer
from tests.support.processes import ServiceProcess

from .payment_stack import PaymentStack, payment_stack

pytestmark = pytest.mark.slow

GOOD, INSUFFICIENT = "tok_visa_good", "tok_decline_insufficient_funds"
PRODUCT = world().products[0]
RECEIPT = "invoices:receipt:"  # the outbox keys of the invoices service's receipts

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) { id email }
}"""
ADD_CARD = """
mutation($customer: ID!, $input: PaymentMethodInput!) {
  addPaymentMethod(customerId: $customer, input: $input, makeDefault: true) { id }
}"""
ORDER_FIELDS = """
  id status paidAt total { amount currency }
  paymentFailure { reason message retryable }
  customer { id email }
  invoice { id number status total { amount currency } }
  lines { quantity product { id stock } }
"""
PLACE = f"""
mutation($input: PlaceOrderInput!, $key: String!) {{
  placeOrder(input: $input, idempotencyKey: $key) {{ {ORDER_FIELDS} }}
}}"""
PAY = f"""
mutation($id: ID!, $key: String!) {{
  payOrder(id: $id, idempotencyKey: $key) {{ {ORDER_FIELDS} }}
}}"""
CANCEL = f"mutation($id: ID!) {{ cancelOrder(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDER_STOCK = "query($id: ID!) { product(id: $id) { stock } }"
# While the invoices service is down, ask only for what the orders service knows.
PLACE_WITHOUT_INVOICE = """
mutation($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) {
    id status paymentFailure { reason message retryable }
  }
}"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaymentStack]:
    tmp: Path = tmp_path_factory.mktemp("order-flow")
    with payment_stack(tmp) as stack:
        yield stack


def router(stack: PaymentStack) -> ServiceProcess:
    assert stack.router is not None
    return stack.router


def new_customer(stack: PaymentStack, token: str | None) -> dict[str, Any]:
    email = f"buyer.{uuid.uuid4().hex[:10]}@example.com"
    address = {"line1": "2 Rue Neuve", "city": "Paris", "postalCode": "75002", "country": "FR"}
    variables = {
        "input": {"email": email, "name": "Buyer", "address": address},
        "key": uuid.uuid4().hex,
    }
    customer: dict[str, Any] = router(stack).data(CREATE_CUSTOMER, variables)["createCustomer"]
    if token is not None:
        add_card(stack, customer["id"], token)
    return customer


def add_card(stack: PaymentStack, customer_id: str, token: str) -> None:
    card = {"token": token, "brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2030}
    router(stack).data(ADD_CARD, {"customer": customer_id, "input": card})


def place_variables(customer_id: str, quantity: int = 1) -> dict[str, Any]:
    lines = [{"productId": PRODUCT.id, "quantity": quantity}]
    return {"input": {"customerId": customer_id, "lines": lines}, "key": uuid.uuid4().hex}


def place(stack: PaymentStack, variables: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = router(stack).data(PLACE, variables)["placeOrder"]
    return order


def mail_keys(stack: PaymentStack, email: str, *expected: str) -> list[str]:
    """The outbox keys of the e-mails ``email`` received, once one starting with each of
    ``expected`` arrived."""

    def keys(messages: list[Any]) -> list[str]:
        return [str(m[KEY_HEADER]) for m in messages if m["To"] == email]

    def arrived(messages: list[Any]) -> bool:
        found = keys(messages)
        return all(any(k.startswith(prefix) for k in found) for prefix in expected)

    return keys(stack.wait_for_mail(arrived))


def test_a_placed_order_is_invoiced_charged_paid_confirmed_and_receipted(
    stack: PaymentStack,
) -> None:
    customer = new_customer(stack, GOOD)
    order = place(stack, place_variables(customer["id"], quantity=2))
    assert order["status"] == "PAID"
    assert order["paidAt"] is not None
    assert order["paymentFailure"] is None
    assert order["customer"]["email"] == customer["email"]  # joined by the router
    invoice = order["invoice"]
    assert invoice["status"] == "PAID"
    assert invoice["total"]["amount"] > order["total"]["amount"]  # French VAT on top
    charges = stack.charges(invoice["id"])
    assert [(c["status"], c["amount"]) for c in charges] == [
        ("succeeded", invoice["total"]["amount"])
    ]
    keys = mail_keys(stack, customer["email"], f"order-confirmed:{order['id']}", RECEIPT)
    assert keys.count(f"order-confirmed:{order['id']}") == 1
    assert len([k for k in keys if k.startswith(RECEIPT)]) == 1  # the invoices service's
    by_key = {str(m[KEY_HEADER]): m for m in stack.mail()}
    confirmation = by_key[f"order-confirmed:{order['id']}"]
    assert confirmation["Subject"] == f"Order {order['id']} confirmed"
    assert invoice["number"] in confirmation.get_content()
    receipt = next(by_key[k] for k in keys if k.startswith(RECEIPT))
    assert invoice["number"] in receipt["Subject"]


def test_repeating_place_order_returns_the_paid_order_without_charging_again(
    stack: PaymentStack,
) -> None:
    customer = new_customer(stack, GOOD)
    variables = place_variables(customer["id"])
    first, again = place(stack, variables), place(stack, variables)
    assert again["id"] == first["id"]
    assert again["status"] == "PAID"
    assert again["invoice"]["id"] == first["invoice"]["id"]
    assert len(stack.charges(first["invoice"]["id"])) == 1


def test_a_declined_card_leaves_the_order_unpaid_with_a_reason_until_another_card_pays(
    stack: PaymentStack,
) -> None:
    customer = new_customer(stack, INSUFFICIENT)
    order = place(stack, place_variables(customer["id"]))
    assert order["status"] == "PAYMENT_FAILED"
    assert order["paidAt"] is None
    assert order["paymentFailure"]["reason"] == "INSUFFICIENT_FUNDS"
    assert order["paymentFailure"]["retryable"] is False
    assert order["paymentFailure"]["message"]
    assert order["invoice"]["status"] == "OPEN"
    mail_keys(stack, customer["email"], "invoices:declined:")  # the card's owner is told

    add_card(stack, customer["id"], GOOD)
    key = uuid.uuid4().hex
    paid = router(stack).data(PAY, {"id": order["id"], "key": key})["payOrder"]
    assert (paid["status"], paid["paymentFailure"]) == ("PAID", None)
    assert paid["invoice"] == {**order["invoice"], "status": "PAID"}
    again = router(stack).data(PAY, {"id": order["id"], "key": key})["payOrder"]
    assert again["status"] == "PAID"
    statuses = [c["status"] for c in stack.charges(order["invoice"]["id"])]
    assert statuses == ["declined", "succeeded"]
    mail_keys(stack, customer["email"], f"order-confirmed:{order['id']}")


def test_an_order_whose_charge_failed_can_be_cancelled_voiding_its_invoice(
    stack: PaymentStack,
) -> None:
    customer = new_customer(stack, INSUFFICIENT)
    stock = router(stack).data(ORDER_STOCK, {"id": PRODUCT.id})["product"]["stock"]
    order = place(stack, place_variables(customer["id"], quantity=3))
    assert order["status"] == "PAYMENT_FAILED"
    cancelled = router(stack).data(CANCEL, {"id": order["id"]})["cancelOrder"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["invoice"]["status"] == "VOID"
    assert cancelled["lines"][0]["product"]["stock"] == stock


def test_a_customer_without_a_card_gets_a_typed_failure(stack: PaymentStack) -> None:
    customer = new_customer(stack, None)
    order = place(stack, place_variables(customer["id"]))
    assert order["status"] == "PAYMENT_FAILED"
    assert order["paymentFailure"]["reason"] == "NO_PAYMENT_METHOD"
    assert order["invoice"]["status"] == "OPEN"


def test_an_invoices_outage_leaves_an_order_the_same_request_completes(
    stack: PaymentStack,
) -> None:
    customer = new_customer(stack, GOOD)
    variables = place_variables(customer["id"])
    stack.stop("invoices")
    try:
        waiting = router(stack).data(PLACE_WITHOUT_INVOICE, variables)["placeOrder"]
    finally:
        stack.restart("invoices")
    assert waiting["status"] == "PLACED"
    assert waiting["paymentFailure"]["reason"] == "SERVICE_UNAVAILABLE"
    assert waiting["paymentFailure"]["retryable"] is True
    assert router(stack).data(ORDER, {"id": waiting["id"]})["order"]["invoice"] is None

    done = place(stack, variables)
    assert done["id"] == waiting["id"]
    assert (done["status"], done["paymentFailure"]) == ("PAID", None)
    assert [c["status"] for c in stack.charges(done["invoice"]["id"])] == ["succeeded"]
    mail_keys(stack, customer["email"], f"order-confirmed:{done['id']}")


def test_an_e_mail_enqueued_before_a_crash_is_sent_after_the_restart(
    stack: PaymentStack,
) -> None:
    """The SMTP server is down when the order is paid; the orders process is then killed."""
    customer = new_customer(stack, GOOD)
    stack.stop_mailsink()
    try:
        order = place(stack, place_variables(customer["id"]))
        assert order["status"] == "PAID"
        stack.kill("orders")  # the confirmation is only in the orders database's outbox now
    finally:
        stack.start_mailsink()
    assert f"order-confirmed:{order['id']}" not in {str(m[KEY_HEADER]) for m in stack.mail()}
    stack.restart("orders")
    keys = mail_keys(stack, customer["email"], f"order-confirmed:{order['id']}")
    assert keys.count(f"order-confirmed:{order['id']}") == 1


def test_run_billing_cycle_through_the_router_needs_billing_write(
    stack: PaymentStack,
) -> None:
    query = 'mutation { runBillingCycle(asOf: "2026-06-01T00:00:00Z") { paid runs { outcome } } }'
    support = bearer("staff-support", ["support:read", "support:write"])
    [refused] = router(stack).execute(query, headers=support)["errors"]
    assert refused["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"  # the router's check
    response = stack.http.post(
        f"{router(stack).url}/graphql",
        json={"query": query},
        headers=bearer("staff-billing", ["billing:write"]),
    )
    assert response.json() == {"data": {"runBillingCycle": {"paid": 0, "runs": []}}}


def test_invoices_dying_after_the_bank_charged_ends_paid_with_one_charge(
    stack: PaymentStack,
) -> None:
    """The worst moment: the bank took the money, the invoices service died before saying so."""
    customer = new_customer(stack, GOOD)
    variables = place_variables(customer["id"])
    stack.restart("invoices", INVOICES_TEST_CRASH_POINT="after_bank_charge")
    try:
        waiting = router(stack).data(PLACE_WITHOUT_INVOICE, variables)["placeOrder"]
        assert stack.services["invoices"].process.wait(timeout=30) != 0  # it killed itself
    finally:
        stack.restart("invoices")
    assert waiting["status"] == "PAYMENT_PENDING"  # invoiced; the charge's outcome unknown
    assert waiting["paymentFailure"]["retryable"] is True

    done = place(stack, variables)  # the client's retry, same key
    assert (done["id"], done["status"]) == (waiting["id"], "PAID")
    assert done["invoice"]["status"] == "PAID"
    charges = stack.charges(done["invoice"]["id"])
    assert [c["status"] for c in charges] == ["succeeded"]  # charged once, never twice
    keys = mail_keys(stack, customer["email"], f"order-confirmed:{done['id']}")
    assert keys.count(f"order-confirmed:{done['id']}") == 1
