"""No request path holds two pooled connections: payInvoice under 200-fold concurrency.

The invoices service runs with a pool of ONE connection and no overflow: a request that
needed a second connection while holding the first would wait for itself until the pool
timeout. Before the fix, 15 concurrent payInvoice calls on the default pool (5 + 10) all
failed after 30 s with "QueuePool limit … reached". Here 200 run at once, on distinct
invoices and on one invoice, on SQLite and PostgreSQL, with real processes; each completes
or fails with a domain error, and the bank's ledger shows every charge exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.conftest import SubgraphPool
from tests.subgraphs.invoices.payments_stack import Payments, start_bank, start_invoices
from tests.support.databases import fresh_database
from tests.support.identity import identity_headers

pytestmark = pytest.mark.slow

CONCURRENCY = 200
ONE_CONNECTION = {
    "INVOICES_DB_POOL_SIZE": "1",
    "INVOICES_DB_MAX_OVERFLOW": "0",
    "INVOICES_DB_POOL_TIMEOUT_SECONDS": "300",  # queueing is fine; a deadlock would hang here
    "INVOICES_BANK_TIMEOUT": "120",
    "INVOICES_CUSTOMERS_TIMEOUT": "120",
}
PAY = """
mutation($invoice: ID!, $key: String!) {
  payInvoice(invoiceId: $invoice, idempotencyKey: $key) {
    __typename ... on PaymentSucceeded { payment { id amount { amount } } }
  }
}"""
DOMAIN_CODES = {"CONFLICT"}  # another payment of the invoice won, or is in flight


@pytest.fixture(scope="module")
def payments(
    subgraphs: SubgraphPool, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Payments]:
    tmp = tmp_path_factory.mktemp(f"pool-{subgraphs.backend}")
    with ExitStack() as exits:
        bank = start_bank(tmp, f"sqlite+aiosqlite:///{tmp / 'bank.db'}")
        exits.callback(bank.stop)
        customers = subgraphs["customers"]
        db = exits.enter_context(fresh_database(subgraphs.backend, "invoices", tmp))
        invoices = start_invoices(
            tmp, db, bank_url=bank.url, customers_url=f"{customers.url}/graphql", env=ONE_CONNECTION
        )
        exits.callback(invoices.stop)
        yield Payments(bank, customers, invoices)


async def pay_all(url: str, calls: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Send every ``(invoice, key)`` payInvoice at once; the bodies, in order."""
    limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
    headers = identity_headers("invoices")
    async with httpx.AsyncClient(timeout=600, limits=limits, headers=headers) as http:

        async def pay(invoice: str, key: str) -> dict[str, Any]:
            variables = {"invoice": invoice, "key": key}
            response = await http.post(
                f"{url}/graphql", json={"query": PAY, "variables": variables}
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        return await asyncio.gather(*(pay(i, k) for i, k in calls))


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes <= DOMAIN_CODES, body
        return "CONFLICT"
    return str(body["data"]["payInvoice"]["__typename"])


async def test_200_concurrent_payments_of_distinct_invoices_all_succeed(payments: Payments) -> None:
    customer, _ = payments.customer("tok_visa")
    invoices = [payments.issue(customer)["id"] for _ in range(CONCURRENCY)]
    bodies = await pay_all(payments.invoices.url, [(i, f"distinct-{i}") for i in invoices])
    assert Counter(outcome(b) for b in bodies) == {"PaymentSucceeded": CONCURRENCY}
    for invoice in invoices:
        assert len(payments.bank_charges(invoice)) == 1
        assert payments.invoice(invoice)["status"] == "PAID"
    assert "QueuePool" not in payments.invoices.log()


async def test_200_concurrent_payments_of_one_invoice_charge_it_once(payments: Payments) -> None:
    customer, _ = payments.customer("tok_visa")
    invoice = payments.issue(customer)["id"]
    bodies = await pay_all(
        payments.invoices.url, [(invoice, f"one-{n}") for n in range(CONCURRENCY)]
    )
    outcomes = Counter(outcome(b) for b in bodies)
    assert outcomes == {"PaymentSucceeded": 1, "CONFLICT": CONCURRENCY - 1}
    reasons = Counter(e["extensions"].get("reason") for b in bodies for e in b.get("errors", []))
    assert set(reasons) <= {"INVOICE_NOT_OPEN", "PAYMENT_PENDING", None}, reasons
    assert len(payments.bank_charges(invoice)) == 1
    found = payments.invoice(invoice)
    assert found["status"] == "PAID"
    assert [p["status"] for p in found["payments"]] == ["SUCCEEDED"]
    assert "QueuePool" not in payments.invoices.log()
