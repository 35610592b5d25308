"""Payments through the router: typed results, joins into customers, tokens kept hidden,
invoice PDFs behind signed links through the router's file route."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from subgraphs.common.demo import world
from subgraphs.invoices.links import PdfLinks
from subgraphs.invoices.seed import demo_invoices
from subgraphs.registry import SERVICES
from tests.e2e.conftest import start_router
from tests.subgraphs.invoices.payments_stack import (
    PDF_SIGNING_KEY,
    Payments,
    start_bank,
    start_invoices,
)
from tests.support.databases import fresh_database
from tests.support.processes import ServiceProcess, free_port, start_subgraph

pytestmark = pytest.mark.slow

FILES = {"prefix": "/files/invoices/", "subgraph": "invoices", "path": "/invoices/"}
PAY = """
mutation($invoice: ID!, $key: String!) {
  payInvoice(invoiceId: $invoice, idempotencyKey: $key) {
    __typename
    ... on PaymentSucceeded {
      invoice { number status pdfUrl customer { name } }
      payment { id status amount { formatted } paymentMethod { brand last4 } }
    }
    ... on PaymentDeclined { reason message invoice { status } payment { status } }
  }
}"""


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, Payments]]:
    tmp: Path = tmp_path_factory.mktemp("payments-router")
    with ExitStack() as exits:
        bank = start_bank(tmp, f"sqlite+aiosqlite:///{tmp / 'bank.db'}")
        exits.callback(bank.stop)
        processes: dict[str, ServiceProcess] = {}
        router_port = free_port()
        for name in SERVICES:
            url = exits.enter_context(fresh_database("sqlite", name, tmp))
            if name == "invoices":
                customers = f"{processes['customers'].url}/graphql"
                links = {"INVOICES_PUBLIC_URL": f"http://127.0.0.1:{router_port}/files"}
                processes[name] = start_invoices(
                    tmp, url, bank_url=bank.url, customers_url=customers, env=links
                )
            else:
                processes[name] = start_subgraph(name, url, tmp)
            exits.callback(processes[name].stop)
        router = start_router(
            tmp,
            {n: f"{p.url}/graphql" for n, p in processes.items()},
            settings={"files": [FILES]},
            port=router_port,
        )
        exits.callback(router.stop)
        yield router, Payments(bank, router, router)


def test_pay_a_demo_invoice_through_the_router(
    routed: tuple[ServiceProcess, Payments],
) -> None:
    router, _p = routed
    demo = world()
    invoice = next(r for r in demo_invoices(demo) if r.status == "OPEN" and r.order_id)
    customer = next(c for c in demo.customers if c.id == invoice.customer_id)
    card = next(pm for pm in customer.payment_methods if pm.is_default)
    result = router.data(PAY, {"invoice": invoice.id, "key": "router-pay-1"})["payInvoice"]
    assert result["__typename"] == "PaymentSucceeded", result
    assert result["invoice"]["number"] == invoice.number
    assert result["invoice"]["status"] == "PAID"
    assert result["invoice"]["customer"] == {"name": customer.name}
    link = urlsplit(result["invoice"]["pdfUrl"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == (
        f"{router.url}/files/invoices/{invoice.id}.pdf"
    )
    assert result["payment"]["paymentMethod"] == {"brand": card.brand, "last4": card.last4}
    assert result["payment"]["status"] == "SUCCEEDED"
    again = router.data(PAY, {"invoice": invoice.id, "key": "router-pay-1"})["payInvoice"]
    assert again["payment"]["id"] == result["payment"]["id"]


def test_a_decline_is_a_typed_result_through_the_router(
    routed: tuple[ServiceProcess, Payments],
) -> None:
    router, p = routed
    customer, _ = p.customer("tok_decline_insufficient_funds")  # created through the router
    invoice = p.issue(customer)
    result = router.data(PAY, {"invoice": invoice["id"], "key": p.key("declined")})["payInvoice"]
    assert result == {
        "__typename": "PaymentDeclined",
        "reason": "INSUFFICIENT_FUNDS",
        "message": "Insufficient funds.",
        "invoice": {"status": "OPEN"},
        "payment": {"status": "DECLINED"},
    }


def test_refund_through_the_router_and_card_tokens_stay_hidden(
    routed: tuple[ServiceProcess, Payments],
) -> None:
    router, p = routed
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    payment = p.pay(invoice["id"], p.key("pay"))["payment"]
    refunded = p.refund(payment["id"], p.key("refund"), amount=100)
    assert refunded["__typename"] == "RefundSucceeded"
    assert refunded["invoice"] == {"status": "PARTIALLY_REFUNDED"}
    hidden: dict[str, Any] = router.execute(
        "query($id: ID!) { customer(id: $id) { paymentMethods { token } } }", {"id": customer}
    )
    assert hidden["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in hidden or hidden["data"] is None


def _pdf_link(router: ServiceProcess, p: Payments) -> str:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    link: str = router.data(
        "query($id: ID!) { invoice(id: $id) { pdfUrl } }", {"id": invoice["id"]}
    )["invoice"]["pdfUrl"]
    assert link.startswith(f"{router.url}/files/invoices/{invoice['id']}.pdf?expires=")
    return link


def test_a_pdf_link_works_through_the_router(routed: tuple[ServiceProcess, Payments]) -> None:
    router, p = routed
    response = httpx.get(_pdf_link(router, p), timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")


def test_a_tampered_expired_or_bare_link_is_refused_through_the_router(
    routed: tuple[ServiceProcess, Payments],
) -> None:
    router, p = routed
    link = _pdf_link(router, p)
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
    signature = query["signature"][0]
    invoice_id = parts.path.rsplit("/", 1)[1].removesuffix(".pdf")
    expired = PdfLinks(PDF_SIGNING_KEY.encode(), f"{router.url}/files", 900,
                       clock=lambda: time.time() - 1000).url(invoice_id)  # fmt: skip
    cases = {
        bare: (401, "missing"),
        f"{bare}?expires={query['expires'][0]}&signature={signature[::-1]}": (403, "signature"),
        f"{bare}?expires={int(query['expires'][0]) + 60}&signature={signature}": (403, "signature"),
        expired: (403, "expired"),
    }
    for url, (status, reason) in cases.items():
        response = httpx.get(url, timeout=30)
        assert response.status_code == status, url
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["reason"] == reason
        assert b"%PDF" not in response.content
