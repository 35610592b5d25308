"""payInvoice and refundPayment against the real sandbox bank, on SQLite and PostgreSQL.

Each failure token of the bank is driven through the invoices service: declines, a bank
that times out after capturing, 5xx before and after capturing. The bank's own ledger is
the witness that money moved exactly once.
"""

from __future__ import annotations

import re

import pytest

from tests.subgraphs.invoices.conftest import Stack
from tests.subgraphs.invoices.payments_stack import Payments, outbox

pytestmark = pytest.mark.slow


def test_default_card_pays_once_and_a_replay_changes_nothing(stack: Stack, p: Payments) -> None:
    customer, cards = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    key = p.key("pay")
    first = p.pay(invoice["id"], key)
    assert first["__typename"] == "PaymentSucceeded", first
    payment = first["payment"]
    assert first["invoice"]["status"] == "PAID"
    assert first["invoice"]["paidAt"]
    assert payment["status"] == "SUCCEEDED"
    assert payment["amount"] == {"amount": invoice["total"]["amount"], "currency": "EUR"}
    assert payment["paymentMethod"] == {"id": cards[0]}
    assert [(a["operation"], a["outcome"], a["httpStatus"]) for a in payment["attempts"]] == [
        ("CHARGE", "OK", 201)
    ]
    again = p.pay(invoice["id"], key)
    assert again["payment"]["id"] == payment["id"]
    assert len(again["payment"]["attempts"]) == 1  # a settled payment is not sent again
    charges = p.bank_charges(invoice["id"])
    assert [(c["id"], c["status"], c["amount"]) for c in charges] == [
        (payment["bankReference"], "succeeded", invoice["total"]["amount"])
    ]
    metrics = p.invoices.client.get(f"{p.invoices.url}/metrics").text
    sample = r'^switchboard_payment_attempts_total\{operation="charge",outcome="ok"\} (\S+)$'
    charged = re.search(sample, metrics, re.M)
    assert charged, metrics
    assert float(charged.group(1)) >= 1


def test_a_paid_invoice_cannot_be_paid_with_a_new_key(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    assert p.pay(invoice["id"], p.key("pay"))["__typename"] == "PaymentSucceeded"
    body = p.invoices.execute(
        "mutation($i: ID!, $k: String!) { payInvoice(invoiceId: $i, idempotencyKey: $k) "
        "{ __typename } }",
        {"i": invoice["id"], "k": p.key("pay")},
    )
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert body["errors"][0]["extensions"]["reason"] == "INVOICE_NOT_OPEN"
    assert len(p.bank_charges(invoice["id"])) == 1


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_decline_insufficient_funds", "INSUFFICIENT_FUNDS"),
        ("tok_decline_expired", "CARD_EXPIRED"),
    ],
)
def test_declines_are_typed_and_another_card_then_pays(
    stack: Stack, p: Payments, token: str, reason: str
) -> None:
    customer, cards = p.customer(token, "tok_visa_backup")
    invoice = p.issue(customer)
    declined = p.pay(invoice["id"], p.key("declined"))
    assert declined["__typename"] == "PaymentDeclined", declined
    assert declined["reason"] == reason
    assert declined["message"]
    assert declined["invoice"]["status"] == "OPEN"
    assert declined["payment"]["status"] == "DECLINED"
    paid = p.pay(invoice["id"], p.key("retry"), pm=cards[1])
    assert paid["__typename"] == "PaymentSucceeded"
    assert paid["payment"]["paymentMethod"] == {"id": cards[1]}
    statuses = sorted(c["status"] for c in p.bank_charges(invoice["id"]))
    assert statuses == ["declined", "succeeded"]


def test_a_bank_timeout_after_capture_is_retried_with_the_same_key(p: Payments) -> None:
    customer, _ = p.customer("tok_timeout")
    invoice = p.issue(customer)
    result = p.pay(invoice["id"], p.key("slow"))
    assert result["__typename"] == "PaymentSucceeded", result
    outcomes = [a["outcome"] for a in result["payment"]["attempts"]]
    assert outcomes[0] == "TIMEOUT", outcomes
    assert outcomes[-1] == "OK", outcomes
    assert len(p.bank_charges(invoice["id"])) == 1


def test_a_5xx_after_capture_is_retried_with_the_same_key(p: Payments) -> None:
    customer, _ = p.customer("tok_error_after_capture")
    invoice = p.issue(customer)
    result = p.pay(invoice["id"], p.key("5xx-after"))
    assert result["__typename"] == "PaymentSucceeded", result
    attempts = [(a["outcome"], a["httpStatus"]) for a in result["payment"]["attempts"]]
    assert attempts == [("HTTP_ERROR", 500), ("OK", 201)]
    assert len(p.bank_charges(invoice["id"])) == 1


def test_a_bank_failing_with_5xx_leaves_a_pending_payment_that_reconciles_to_failed(
    p: Payments,
) -> None:
    customer, cards = p.customer("tok_error_5xx", "tok_visa_ok")
    invoice = p.issue(customer)
    key = p.key("5xx")
    pending = p.pay(invoice["id"], key)
    assert pending["__typename"] == "PaymentPending", pending
    assert [a["httpStatus"] for a in pending["payment"]["attempts"]] == [500, 500, 500]
    assert pending["invoice"]["status"] == "OPEN"
    assert p.pay(invoice["id"], key)["__typename"] == "PaymentPending"  # same key: asks again
    assert p.reconcile() == {"payments": 1, "refunds": 0, "still_pending": 0}
    failed = p.pay(invoice["id"], key)
    assert failed["__typename"] == "PaymentFailed"
    assert failed["payment"]["status"] == "FAILED"
    assert [a["operation"] for a in failed["payment"]["attempts"]][-2:] == ["LOOKUP", "CANCEL"]
    paid = p.pay(invoice["id"], p.key("other-card"), pm=cards[1])
    assert paid["__typename"] == "PaymentSucceeded"
    assert [c["status"] for c in p.bank_charges(invoice["id"])] == ["succeeded"]


def test_partial_and_full_refunds_never_exceed_the_capture(stack: Stack, p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer, ("Receipt printer", 1, 10000))
    total = invoice["total"]["amount"]
    payment = p.pay(invoice["id"], p.key("pay"))["payment"]
    key = p.key("refund")
    part = p.refund(payment["id"], key, amount=4000)
    assert part["__typename"] == "RefundSucceeded", part
    assert part["invoice"]["status"] == "PARTIALLY_REFUNDED"
    assert part["payment"]["amountRefunded"] == {"amount": 4000}
    assert p.refund(payment["id"], key, amount=4000)["refund"] == part["refund"]  # replay
    body = p.invoices.execute(
        "mutation($p: ID!, $k: String!, $a: MoneyInput) { refundPayment(paymentId: $p, "
        "idempotencyKey: $k, amount: $a) { __typename } }",
        {"p": payment["id"], "k": p.key("too-much"), "a": {"amount": total, "currency": "EUR"}},
    )
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["reason"] == "REFUND_EXCEEDS_CAPTURED"
    assert extensions["refundable"] == total - 4000
    rest = p.refund(payment["id"], p.key("rest"))
    assert rest["__typename"] == "RefundSucceeded"
    assert rest["refund"]["amount"] == {"amount": total - 4000}
    assert rest["invoice"]["status"] == "REFUNDED"
    assert rest["payment"]["status"] == "REFUNDED"
    refunds = p.bank_refunds(payment["bankReference"])
    assert sorted(r["amount"] for r in refunds) == sorted([4000, total - 4000])
    assert p.bank_charges(invoice["id"])[0]["amount_refunded"] == total


async def test_receipts_declines_and_refunds_are_in_the_outbox(stack: Stack, p: Payments) -> None:
    customer, cards = p.customer("tok_decline_insufficient_funds", "tok_visa_ok")
    invoice = p.issue(customer)
    declined = p.pay(invoice["id"], p.key("no"))["payment"]
    paid = p.pay(invoice["id"], p.key("yes"), pm=cards[1])["payment"]
    refund = p.refund(paid["id"], p.key("refund"), amount=100)["refund"]
    mails = {key: (to, subject) for key, to, subject in await outbox(stack.invoices_db)}
    number = invoice["number"]
    assert mails[f"invoices:declined:{declined['id']}"][1] == (
        f"Payment declined for invoice {number}"
    )
    assert mails[f"invoices:receipt:{paid['id']}"][1] == f"Receipt for invoice {number}"
    assert mails[f"invoices:refund:{refund['id']}"][1] == f"Refund of 1.00 EUR for invoice {number}"
    recipients = {
        to
        for key, (to, _) in mails.items()
        if key.endswith((declined["id"], paid["id"], refund["id"]))
    }
    assert len(recipients) == 1
    assert recipients.pop().endswith("@example.com")
