"""payInvoice and refundPayment refuse what they cannot do, with stable codes, and race safely."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.subgraphs.invoices.payments_stack import PAY, REFUND, Payments, start_invoices

pytestmark = pytest.mark.slow


def _codes(p: Payments, query: str, variables: dict[str, Any]) -> list[tuple[str, str | None]]:
    body = p.invoices.execute(query, variables)
    assert body.get("errors"), body
    return [(e["extensions"]["code"], e["extensions"].get("reason")) for e in body["errors"]]


def test_unknown_invoice_foreign_card_missing_card_and_blank_key(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    _other, other_cards = p.customer("tok_visa_ok")
    bare, _ = p.customer()
    invoice = p.issue(customer)
    assert _codes(p, PAY, {"invoice": "inv_missing", "key": p.key("x")}) == [("NOT_FOUND", None)]
    assert _codes(p, PAY, {"invoice": invoice["id"], "key": p.key("x"), "pm": other_cards[0]}) == [
        ("BAD_USER_INPUT", None)
    ]
    bare_invoice = p.issue(bare)
    assert _codes(p, PAY, {"invoice": bare_invoice["id"], "key": p.key("x")}) == [
        ("CONFLICT", "NO_PAYMENT_METHOD")
    ]
    assert _codes(p, PAY, {"invoice": invoice["id"], "key": ""}) == [("BAD_USER_INPUT", None)]
    assert p.bank_charges(invoice["id"]) == []
    assert p.invoice(invoice["id"])["payments"] == []


def test_a_key_reused_for_another_invoice_is_refused(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    first, second = p.issue(customer), p.issue(customer)
    key = p.key("pay")
    assert p.pay(first["id"], key)["__typename"] == "PaymentSucceeded"
    assert _codes(p, PAY, {"invoice": second["id"], "key": key}) == [
        ("IDEMPOTENCY_KEY_REUSED", None)
    ]
    assert p.bank_charges(second["id"]) == []


def test_refunds_of_unpaid_or_unknown_payments_and_in_another_currency(p: Payments) -> None:
    customer, cards = p.customer("tok_decline_expired", "tok_visa_ok")
    invoice = p.issue(customer)
    declined = p.pay(invoice["id"], p.key("no"))["payment"]
    assert _codes(p, REFUND, {"payment": declined["id"], "key": p.key("r")}) == [("CONFLICT", None)]
    assert _codes(p, REFUND, {"payment": "pay_missing", "key": p.key("r")}) == [("NOT_FOUND", None)]
    paid = p.pay(invoice["id"], p.key("yes"), pm=cards[1])["payment"]
    usd = {"payment": paid["id"], "key": p.key("r"), "amount": {"amount": 1, "currency": "USD"}}
    assert _codes(p, REFUND, usd) == [("BAD_USER_INPUT", None)]
    zero = {"payment": paid["id"], "key": p.key("r"), "amount": {"amount": 0, "currency": "EUR"}}
    assert _codes(p, REFUND, zero) == [("BAD_USER_INPUT", "REFUND_EXCEEDS_CAPTURED")]
    assert p.bank_refunds(paid["bankReference"]) == []


async def _pay_concurrently(p: Payments, invoice_id: str, keys: list[str]) -> list[Any]:
    async with httpx.AsyncClient(timeout=60, headers=p.invoices.headers) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{p.invoices.url}/graphql",
                    json={"query": PAY, "variables": {"invoice": invoice_id, "key": key}},
                )
                for key in keys
            )
        )
    return [r.json() for r in responses]


async def test_concurrent_payments_of_one_invoice_charge_it_once(p: Payments) -> None:
    """Racers are refused (CONFLICT) or, with a zero reconcile grace as here, may fence a
    racer's pending payment at the bank (PaymentFailed); exactly one charge is captured."""
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    bodies = await _pay_concurrently(p, invoice["id"], [p.key(f"race-{i}") for i in range(6)])
    results = [b["data"]["payInvoice"] for b in bodies if not b.get("errors")]
    refused = {b["errors"][0]["extensions"]["code"] for b in bodies if b.get("errors")}
    assert refused <= {"CONFLICT"}
    kinds = sorted(r["__typename"] for r in results)
    assert kinds.count("PaymentSucceeded") == 1, kinds
    assert set(kinds) <= {"PaymentSucceeded", "PaymentFailed"}
    assert [c["status"] for c in p.bank_charges(invoice["id"])] == ["succeeded"]
    assert p.invoice(invoice["id"])["status"] == "PAID"


async def test_concurrent_retries_with_one_key_make_one_payment(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    key = p.key("same")
    bodies = await _pay_concurrently(p, invoice["id"], [key] * 5)
    assert all(not b.get("errors") for b in bodies), bodies
    assert len({b["data"]["payInvoice"]["payment"]["id"] for b in bodies}) == 1
    assert len(p.bank_charges(invoice["id"])) == 1


def test_void_is_refused_while_a_payment_is_pending(p: Payments) -> None:
    customer, _ = p.customer("tok_error_5xx")
    invoice = p.issue(customer)
    assert p.pay(invoice["id"], p.key("pending"))["__typename"] == "PaymentPending"
    void = "mutation($id: ID!) { voidInvoice(id: $id) { status } }"
    body = p.invoices.execute(void, {"id": invoice["id"]})
    assert body["errors"][0]["extensions"]["reason"] == "PAYMENT_PENDING"
    p.reconcile()
    assert p.invoices.data(void, {"id": invoice["id"]})["voidInvoice"]["status"] == "VOID"


def test_with_a_wrong_bank_key_a_payment_fails_and_nothing_is_charged(
    p: Payments, tmp_path: Path
) -> None:
    """The bank refuses invoices' calls without its key: nothing moves, the key is not shown."""
    wrong = f"sk_test_{'0' * 48}"
    invoices = start_invoices(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'invoices.db'}",
        bank_url=p.bank.url,
        customers_url=f"{p.customers.url}/graphql",
        env={"INVOICES_BANK_API_KEY": wrong},
    )
    try:
        other = Payments(p.bank, p.customers, invoices)
        customer, _ = other.customer("tok_visa_ok")
        invoice = other.issue(customer)
        result = other.pay(invoice["id"], other.key("wrong-bank-key"))
        assert result["__typename"] == "PaymentFailed"
        assert "api_key_invalid" in result["message"]
        assert wrong not in result["message"]
        assert other.invoice(invoice["id"])["status"] == "OPEN"
        assert p.bank_charges(invoice["id"]) == []
        assert wrong not in invoices.log()
    finally:
        invoices.stop()
