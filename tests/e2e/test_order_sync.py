"""An order follows its invoice's money, end to end through the router, every part real.

The invoices service writes an order event in the transaction that settles a charge or a
refund on an order's invoice and delivers it to the orders service until it is taken (see
subgraphs/invoices/order_events.py): paying the invoice directly makes the order PAID, a
partial refund PARTIALLY_REFUNDED with the amount, a full one REFUNDED (a seeded demo
order's too: the bank seeded its charge), and an event sent while orders is down arrives
after its restart. A payOrder that finds the invoice already
paid looks it up and marks the order PAID itself.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.demo import world
from subgraphs.common.mail import KEY_HEADER
from tests.subgraphs.invoices.payments_stack import BANK_AUTH
from tests.support.databases import backends
from tests.support.processes import ServiceProcess

from .payment_stack import PaymentStack, payment_stack
from .test_order_flow import (
    GOOD,
    INSUFFICIENT,
    add_card,
    mail_keys,
    new_customer,
    place,
    place_variables,
)

pytestmark = pytest.mark.slow

ORDER = """
query($id: ID!) {
  order(id: $id) {
    id status paidAt amountRefunded { amount currency } paymentFailure { reason }
    invoice { id status total { amount currency } payments { id status } }
  }
}"""
ORDER_ONLY = "query($id: ID!) { order(id: $id) { id status amountRefunded { amount } } }"
PAY_INVOICE = """
mutation($id: ID!, $key: String!) {
  payInvoice(invoiceId: $id, idempotencyKey: $key) {
    __typename ... on PaymentSucceeded { invoice { status } }
  }
}"""
REFUND = """
mutation($payment: ID!, $key: String!, $amount: MoneyInput) {
  refundPayment(paymentId: $payment, idempotencyKey: $key, amount: $amount) {
    __typename ... on RefundSucceeded { refund { amount { amount } } }
  }
}"""
PAY_ORDER = """
mutation($id: ID!, $key: String!) {
  payOrder(id: $id, idempotencyKey: $key) { id status paidAt paymentFailure { reason } }
}"""


@pytest.fixture(scope="module", params=backends())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PaymentStack]:
    tmp: Path = tmp_path_factory.mktemp(f"order-sync-{request.param}")
    with payment_stack(tmp, request.param) as stack:
        yield stack


def router(stack: PaymentStack) -> ServiceProcess:
    assert stack.router is not None
    return stack.router


def order_of(stack: PaymentStack, order_id: str) -> dict[str, Any]:
    found: dict[str, Any] = router(stack).data(ORDER, {"id": order_id})["order"]
    return found


def wait_for_order(
    stack: PaymentStack,
    order_id: str,
    done: Callable[[dict[str, Any]], bool],
    within: float = 60,
) -> dict[str, Any]:
    """The order once ``done`` holds (events arrive in the background); the last read if not."""
    deadline = time.monotonic() + within
    while True:
        found = order_of(stack, order_id)
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def refund(stack: PaymentStack, payment_id: str, amount: dict[str, Any] | None = None) -> None:
    variables = {"payment": payment_id, "key": uuid.uuid4().hex, "amount": amount}
    result = router(stack).data(REFUND, variables)["refundPayment"]
    assert result["__typename"] == "RefundSucceeded", result


def paid_order(stack: PaymentStack) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = new_customer(stack, GOOD)
    placed = place(stack, place_variables(customer["id"]))
    assert placed["status"] == "PAID"
    return customer, order_of(stack, placed["id"])


def test_paying_a_failed_orders_invoice_directly_makes_the_order_paid(
    stack: PaymentStack,
) -> None:
    customer = new_customer(stack, INSUFFICIENT)
    order = place(stack, place_variables(customer["id"]))
    assert order["status"] == "PAYMENT_FAILED"
    add_card(stack, customer["id"], GOOD)
    paid = router(stack).data(PAY_INVOICE, {"id": order["invoice"]["id"], "key": "direct-1"})
    assert paid["payInvoice"] == {"__typename": "PaymentSucceeded", "invoice": {"status": "PAID"}}

    after = wait_for_order(stack, order["id"], lambda o: o["status"] != "PAYMENT_FAILED")
    assert (after["status"], after["paymentFailure"]) == ("PAID", None)
    assert after["paidAt"] is not None
    assert after["amountRefunded"] == {
        "amount": 0,
        "currency": after["invoice"]["total"]["currency"],
    }
    confirmed = f"order-confirmed:{order['id']}"
    assert mail_keys(stack, customer["email"], confirmed).count(confirmed) == 1
    statuses = [c["status"] for c in stack.charges(order["invoice"]["id"])]
    assert statuses == ["declined", "succeeded"]


def test_refunds_show_on_the_order_partial_then_full_with_one_e_mail_each(
    stack: PaymentStack,
) -> None:
    customer, order = paid_order(stack)
    total = order["invoice"]["total"]
    [payment] = order["invoice"]["payments"]
    refund(stack, payment["id"], {"amount": 100, "currency": total["currency"]})
    partial = wait_for_order(stack, order["id"], lambda o: o["status"] != "PAID")
    assert partial["status"] == "PARTIALLY_REFUNDED"
    assert partial["amountRefunded"] == {"amount": 100, "currency": total["currency"]}
    assert partial["invoice"]["status"] == "PARTIALLY_REFUNDED"

    refund(stack, payment["id"])  # the rest
    full = wait_for_order(stack, order["id"], lambda o: o["status"] != "PARTIALLY_REFUNDED")
    assert full["status"] == "REFUNDED"
    assert full["amountRefunded"] == total
    assert full["invoice"]["status"] == "REFUNDED"
    assert full["paidAt"] == order["paidAt"]

    def mine(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
        return {str(m[KEY_HEADER]): m for m in messages if m["To"] == customer["email"]}

    def both_refunds(messages: list[EmailMessage]) -> bool:
        return len([k for k in mine(messages) if k.startswith("invoices:refund:")]) == 2

    by_key = mine(stack.wait_for_mail(both_refunds))
    refunds = sorted(k for k in by_key if k.startswith("invoices:refund:"))
    assert len(refunds) == 2  # one per refund, from the invoices service only
    assert all(order["id"] in by_key[k].get_content() for k in refunds)
    assert not [k for k in by_key if "refund" in k and not k.startswith("invoices:refund:")]


@pytest.mark.timeout(600)
def test_a_seeded_paid_orders_payment_is_refunded_at_the_bank_and_the_order_follows(
    stack: PaymentStack,
) -> None:
    demo = next(o for o in world(stack.demo_day).orders if o.status == "PAID")
    order = order_of(stack, demo.id)
    [payment] = order["invoice"]["payments"]
    total = order["invoice"]["total"]
    [seeded] = stack.charges(order["invoice"]["id"])  # the bank knows the demo's charge
    assert (seeded["status"], seeded["amount"], seeded["amount_refunded"]) == (
        "succeeded", total["amount"], 0,
    )  # fmt: skip

    refund(stack, payment["id"], {"amount": 100, "currency": total["currency"]})
    refund(stack, payment["id"])  # the rest
    refunded = wait_for_order(stack, demo.id, lambda o: o["status"] == "REFUNDED")
    assert (refunded["status"], refunded["amountRefunded"]) == ("REFUNDED", total)
    [charge] = stack.charges(order["invoice"]["id"])
    assert charge["amount_refunded"] == total["amount"]
    refunds = stack.http.get(
        f"{stack.bank_url}/v1/refunds", params={"charge_id": charge["id"]}, headers=BANK_AUTH
    ).json()["data"]
    assert sorted(r["amount"] for r in refunds) == sorted([100, total["amount"] - 100])


def test_a_refund_while_orders_is_down_reaches_the_order_after_its_restart(
    stack: PaymentStack,
) -> None:
    _, order = paid_order(stack)
    [payment] = order["invoice"]["payments"]
    stack.kill("orders")
    try:
        refund(stack, payment["id"])  # invoices settles it; its order event waits
    finally:
        stack.restart("orders")
    # The event's retries back off exponentially while orders is down (1 s, 2 s, 4 s, …): on a
    # loaded machine a slow restart puts the next attempt minutes away, so wait up to the cap.
    caught_up = wait_for_order(stack, order["id"], lambda o: o["status"] != "PAID", within=330)
    assert caught_up["status"] == "REFUNDED"
    assert caught_up["amountRefunded"] == order["invoice"]["total"]


def test_pay_order_finding_the_invoice_paid_elsewhere_marks_the_order_paid(
    stack: PaymentStack,
) -> None:
    """INVOICE_NOT_OPEN because it is PAID: orders looks the invoice up, no event needed."""
    customer = new_customer(stack, INSUFFICIENT)
    order = place(stack, place_variables(customer["id"]))
    add_card(stack, customer["id"], GOOD)
    stack.restart("invoices", INVOICES_ORDER_EVENTS_ENABLED="false")  # no event reaches orders
    try:
        invoices = stack.services["invoices"]
        invoices.data(PAY_INVOICE, {"id": order["invoice"]["id"], "key": uuid.uuid4().hex})
        waiting = router(stack).data(ORDER_ONLY, {"id": order["id"]})["order"]
        assert waiting["status"] == "PAYMENT_FAILED"  # orders has not heard of it
        paid = router(stack).data(PAY_ORDER, {"id": order["id"], "key": uuid.uuid4().hex})
    finally:
        stack.restart("invoices")  # the event is sent now: applying it again changes nothing
    assert paid["payOrder"]["status"] == "PAID"
    assert paid["payOrder"]["paymentFailure"] is None
    assert [c["status"] for c in stack.charges(order["invoice"]["id"])] == [
        "declined",
        "succeeded",
    ]  # payOrder charged nothing more
    # Then the event of that charge arrives (before the one of this refund, sent after it).
    [payment] = order_of(stack, order["id"])["invoice"]["payments"][1:]
    refund(stack, payment["id"], {"amount": 1, "currency": order["total"]["currency"]})
    refunded = wait_for_order(stack, order["id"], lambda o: o["status"] != "PAID")
    assert (refunded["status"], refunded["amountRefunded"]["amount"]) == ("PARTIALLY_REFUNDED", 1)
    confirmed = f"order-confirmed:{order['id']}"
    assert mail_keys(stack, customer["email"], confirmed).count(confirmed) == 1
