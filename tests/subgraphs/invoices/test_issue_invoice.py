"""issueInvoice: what orders and subscriptions call to bill; once per idempotency key."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.subgraphs.invoices.conftest import Stack
from tests.subgraphs.invoices.payments_stack import ISSUE, Payments

pytestmark = pytest.mark.slow


def _input(customer: str, **extra: object) -> dict[str, object]:
    return {
        "customerId": customer,
        "currency": "EUR",
        "lines": [{"description": "Pro, 2026-12", "unitAmount": 4900}],
        **extra,
    }


def test_an_issued_invoice_is_open_numbered_and_taxed_by_country(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok", country="FR")
    invoice = p.issue(
        customer,
        ("Pro plan", 1, 4900),
        ("Extra seat", 3, 1000),
        subscriptionId="sub_test",
        periodStart="2026-12-01",
        periodEnd="2027-01-01",
    )
    assert invoice["status"] == "OPEN"
    assert invoice["number"].startswith(f"INV-{date.today().year}-")
    assert invoice["taxRateBasisPoints"] == 2000  # FR VAT
    assert invoice["tax"] == {"amount": 1580}
    assert invoice["total"] == {"amount": 7900 + 1580}
    link = urlsplit(invoice["pdfUrl"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == (
        f"{p.invoices.url}/invoices/{invoice['id']}.pdf"
    )
    assert set(parse_qs(link.query)) == {"expires", "signature"}
    got = p.invoices.data(
        "query($id: ID!) { invoice(id: $id) { subscription { id } periodStart periodEnd "
        "lines { description quantity } customer { id } } }",
        {"id": invoice["id"]},
    )["invoice"]
    assert got["subscription"] == {"id": "sub_test"}
    assert (got["periodStart"], got["periodEnd"]) == ("2026-12-01", "2027-01-01")
    assert [(line["description"], line["quantity"]) for line in got["lines"]] == [
        ("Pro plan", 1),
        ("Extra seat", 3),
    ]


def _unsigned(data: dict[str, Any]) -> dict[str, Any]:
    """The issued invoice with its PDF link's signature and expiry left out (a link made a
    second later expires a second later)."""
    invoice = dict(data["issueInvoice"])
    invoice["pdfUrl"] = urlsplit(invoice["pdfUrl"]).path
    return invoice


def test_the_same_key_issues_one_invoice_and_another_input_is_refused(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    key = p.key("issue")
    first = p.invoices.data(ISSUE, {"input": _input(customer, orderId="ord_x"), "key": key})
    again = p.invoices.data(ISSUE, {"input": _input(customer, orderId="ord_x"), "key": key})
    assert _unsigned(first) == _unsigned(again)  # the replay's PDF link is signed anew
    codes = p.invoices.error_codes(ISSUE, {"input": _input(customer, orderId="ord_y"), "key": key})
    assert codes == ["IDEMPOTENCY_KEY_REUSED"]
    numbers = {
        p.issue(customer)["number"],
        p.issue(customer)["number"],
        first["issueInvoice"]["number"],
    }
    assert len(numbers) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XXX"}, "currency"),
        ({"lines": []}, "lines"),
        ({"lines": [{"description": "x", "unitAmount": -1}]}, "total"),  # a credit alone
        (
            {"lines": [{"description": "x", "unitAmount": -(2**53)}]},
            "amount",
        ),  # out of MinorUnits range
        ({"lines": [{"description": "x", "unitAmount": 1, "quantity": 0}]}, "lines.quantity"),
        ({"periodStart": "2026-12-01"}, "periodEnd"),
        ({"periodStart": "2026-12-01", "periodEnd": "2026-11-01"}, "periodEnd"),
        ({"customerId": "not-a-customer"}, "customerId"),
        ({"customerId": "cus_0000000000000000000000"}, "customerId"),
    ],
)
def test_bad_input_is_refused_with_the_field(
    p: Payments, change: dict[str, object], field: str
) -> None:
    customer, _ = p.customer("tok_visa_ok")
    body = p.invoices.execute(ISSUE, {"input": {**_input(customer), **change}, "key": p.key("bad")})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert body["errors"][0]["extensions"]["field"] == field


def test_a_blank_key_is_refused(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    codes = p.invoices.error_codes(ISSUE, {"input": _input(customer), "key": " "})
    assert codes == ["BAD_USER_INPUT"]


def test_amounts_beyond_graphql_int_are_exact(stack: Stack, p: Payments) -> None:
    """30 million euros: past Int's 21,474,836.47, still exact minor units (MinorUnits)."""
    customer, _ = p.customer("tok_visa", country="US")  # untaxed: the total is the line
    issued = p.issue(customer, ("A very large order", 1, 3_000_000_000))
    assert issued["total"] == {"amount": 3_000_000_000}
    paid = p.pay(issued["id"], p.key("big"))
    assert paid["__typename"] == "PaymentSucceeded", paid
    assert paid["payment"]["amount"] == {"amount": 3_000_000_000, "currency": "EUR"}
    too_big = """mutation($input: IssueInvoiceInput!) {
      issueInvoice(input: $input, idempotencyKey: "too-big") { id } }"""
    line = {"description": "x", "unitAmount": 2**53}
    variables = {"input": {"customerId": customer, "currency": "EUR", "lines": [line]}}
    assert p.invoices.error_codes(too_big, variables) == ["BAD_USER_INPUT"]
