"""Real processes for payment tests: the sandbox bank, customers and invoices, wired together."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import ServiceProcess, free_port, start_service

# The bank's API key and the PDF links' key, fresh for every test run.
BANK_API_KEY = f"sk_test_{secrets.token_hex(24)}"
BANK_AUTH = {"Authorization": f"Bearer {BANK_API_KEY}"}
PDF_SIGNING_KEY = secrets.token_urlsafe(32)
# Fast failure paths: a 1 s bank timeout against a bank that stalls tok_timeout for 4 s.
INVOICES_ENV = {
    "INVOICES_BANK_API_KEY": BANK_API_KEY,
    "INVOICES_PDF_SIGNING_KEY": PDF_SIGNING_KEY,
    "INVOICES_BANK_TIMEOUT": "1",
    "INVOICES_BANK_CONNECT_TIMEOUT": "1",
    "INVOICES_BANK_MAX_ATTEMPTS": "3",
    "INVOICES_BANK_BACKOFF": "0.05",
    "INVOICES_RECONCILE_GRACE": "0",
    "INVOICES_RECONCILE_INTERVAL": "0",
    "INVOICES_OUTBOX_ENABLED": "false",  # tests read the outbox table instead
}
BANK_ENV = {"BANK_SLOW_SECONDS": "4", "BANK_API_KEYS": BANK_API_KEY}

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) { id }
}"""
ADD_CARD = """
mutation($id: ID!, $input: PaymentMethodInput!) {
  addPaymentMethod(customerId: $id, input: $input) { id isDefault }
}"""
ISSUE = """
mutation($input: IssueInvoiceInput!, $key: String!) {
  issueInvoice(input: $input, idempotencyKey: $key) {
    id number status currency: total { currency } total { amount } tax { amount }
    taxRateBasisPoints dueDate issuedAt pdfUrl
  }
}"""
PAYMENT_FIELDS = """
  id status amount { amount currency } amountRefunded { amount } declineReason message
  bankReference paymentMethod { id }
  attempts { operation number outcome httpStatus error }
  refunds { id status amount { amount } }
"""
PAY = f"""
mutation($invoice: ID!, $key: String!, $pm: ID) {{
  payInvoice(invoiceId: $invoice, idempotencyKey: $key, paymentMethodId: $pm) {{
    __typename
    ... on PaymentSucceeded {{ invoice {{ id status paidAt }} payment {{ {PAYMENT_FIELDS} }} }}
    ... on PaymentDeclined {{
      reason message invoice {{ id status }} payment {{ {PAYMENT_FIELDS} }}
    }}
    ... on PaymentPending {{ message invoice {{ id status }} payment {{ {PAYMENT_FIELDS} }} }}
    ... on PaymentFailed {{ message invoice {{ id status }} payment {{ {PAYMENT_FIELDS} }} }}
  }}
}}"""
REFUND = f"""
mutation($payment: ID!, $key: String!, $amount: MoneyInput) {{
  refundPayment(paymentId: $payment, idempotencyKey: $key, amount: $amount) {{
    __typename
    ... on RefundSucceeded {{
      refund {{ id status amount {{ amount }} }} invoice {{ status }}
      payment {{ {PAYMENT_FIELDS} }}
    }}
    ... on RefundPending {{ message refund {{ id status }} invoice {{ status }} }}
    ... on RefundFailed {{ message refund {{ id status }} invoice {{ status }} }}
  }}
}}"""
INVOICE = f"""
query($id: ID!) {{
  invoice(id: $id) {{ id number status paidAt payments {{ {PAYMENT_FIELDS} }} }}
}}"""


def start_bank(tmp: Path, database_url: str, *, port: int | None = None,
               env: dict[str, str] | None = None) -> ServiceProcess:  # fmt: skip
    port = port or free_port()
    return start_service(
        ["bank", "--port", str(port), "--database-url", database_url],
        name="bank",
        port=port,
        log_dir=tmp,
        env={**BANK_ENV, **(env or {})},
    )


def start_invoices(
    tmp: Path,
    database_url: str,
    *,
    bank_url: str,
    customers_url: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> ServiceProcess:
    port = port or free_port()
    wiring = {"INVOICES_BANK_URL": bank_url, "INVOICES_CUSTOMERS_URL": customers_url}
    return start_service(
        ["subgraph", "invoices", "--port", str(port), "--database-url", database_url, "--seed"],
        name="invoices",
        port=port,
        log_dir=tmp,
        env={**INVOICES_ENV, **wiring, **(env or {})},
    )


@dataclass
class Payments:
    """The three services of a payment, and ways to drive and inspect them."""

    bank: ServiceProcess
    customers: ServiceProcess
    invoices: ServiceProcess
    counter: list[int] = field(default_factory=lambda: [0])

    def key(self, label: str) -> str:
        self.counter[0] += 1
        return f"test-{label}-{self.counter[0]}-{id(self)}"

    def customer(self, *tokens: str, country: str = "DE") -> tuple[str, list[str]]:
        """A new customer with one card per token (the first is the default)."""
        n = self.key("customer")
        address = {"line1": "1 Test Street", "city": "Berlin", "postalCode": "10115",
                   "country": country}  # fmt: skip
        created = self.customers.data(
            CREATE_CUSTOMER,
            {
                "input": {
                    "email": f"{n}@example.com",
                    "name": f"Pay Tester {n[-6:]}",
                    "address": address,
                },
                "key": n,
            },
        )["createCustomer"]
        cards = []
        for i, token in enumerate(tokens):
            card = {"token": token, "brand": "VISA", "last4": f"{4242 + i}", "expMonth": 12,
                    "expYear": 2030}  # fmt: skip
            added = self.customers.data(ADD_CARD, {"id": created["id"], "input": card})
            cards.append(added["addPaymentMethod"]["id"])
        return created["id"], cards

    def issue(self, customer_id: str, *lines: tuple[str, int, int], **extra: Any) -> dict[str, Any]:
        """An OPEN invoice with ``(description, quantity, unit_amount)`` lines in EUR."""
        items = lines or (("Card reader M2", 2, 5900),)
        payload = {
            "customerId": customer_id,
            "currency": "EUR",
            "lines": [{"description": d, "quantity": q, "unitAmount": u} for d, q, u in items],
            **extra,
        }
        issued: dict[str, Any] = self.invoices.data(
            ISSUE, {"input": payload, "key": self.key("issue")}
        )["issueInvoice"]
        return issued

    def pay(self, invoice_id: str, key: str, pm: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.invoices.data(
            PAY, {"invoice": invoice_id, "key": key, "pm": pm}
        )["payInvoice"]
        return result

    def refund(self, payment_id: str, key: str, amount: int | None = None) -> dict[str, Any]:
        money = {"amount": amount, "currency": "EUR"} if amount is not None else None
        result: dict[str, Any] = self.invoices.data(
            REFUND, {"payment": payment_id, "key": key, "amount": money}
        )["refundPayment"]
        return result

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.invoices.data(INVOICE, {"id": invoice_id})["invoice"]
        return found

    def bank_charges(self, reference: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.bank.url}/v1/charges", params={"reference": reference}, headers=BANK_AUTH
        )
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def bank_refunds(self, charge_id: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.bank.url}/v1/refunds", params={"charge_id": charge_id}, headers=BANK_AUTH
        )
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def reconcile(self) -> dict[str, Any]:
        report: dict[str, Any] = httpx.post(f"{self.invoices.url}/internal/reconcile").json()
        return report


async def outbox(database_url: str) -> list[tuple[str, str, str]]:
    """``(key, recipient, subject)`` of every e-mail the invoices service enqueued."""
    from sqlalchemy import text

    from subgraphs.common.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT key, recipient, subject FROM outbox ORDER BY id")
            )
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        await engine.dispose()
