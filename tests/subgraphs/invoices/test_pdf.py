"""GET /invoices/{id}.pdf renders the invoice; its text is checked with pypdf."""

from __future__ import annotations

import io

import httpx
import pytest
from pypdf import PdfReader

from tests.subgraphs.invoices.payments_stack import Payments

pytestmark = pytest.mark.slow


def _text(url: str) -> str:
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_shows_number_customer_lines_totals_and_status(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer, ("Card reader Pro", 2, 12900), ("Thermal paper", 1, 3900))
    name = p.customers.data(
        "query($id: ID!) { customer(id: $id) { name email } }", {"id": customer}
    )["customer"]
    text = _text(invoice["pdfUrl"])
    for expected in (
        f"Invoice {invoice['number']}",
        "OPEN",
        name["name"],
        name["email"],
        "Card reader Pro",
        "Thermal paper",
        "129.00 EUR",
        "258.00 EUR",
        "Subtotal",
        "297.00 EUR",
        "Tax (19 %)",
        "56.43 EUR",
        "353.43 EUR",
    ):
        assert expected in text, (expected, text)
    p.pay(invoice["id"], p.key("pay"))
    assert "PAID" in _text(invoice["pdfUrl"])


def test_an_unknown_invoice_is_a_404_with_a_code(p: Payments) -> None:
    response = httpx.get(f"{p.invoices.url}/invoices/inv_missing.pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
