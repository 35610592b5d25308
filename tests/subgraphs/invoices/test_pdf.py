"""GET /invoices/{id}.pdf renders the invoice for a signed link; its text is checked with pypdf."""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pypdf import PdfReader

from subgraphs.invoices.links import PdfLinks
from tests.subgraphs.invoices.payments_stack import PDF_SIGNING_KEY, Payments

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


def _links(p: Payments, *, at: float | None = None, key: str = PDF_SIGNING_KEY) -> PdfLinks:
    """Links as the invoices service signs them (with its key), made at ``at``."""
    now = time.time() if at is None else at
    return PdfLinks(key.encode(), p.invoices.url, 900, clock=lambda: now)


def test_an_unknown_invoice_is_a_404_with_a_code(p: Payments) -> None:
    response = httpx.get(_links(p).url("inv_missing"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_the_link_lives_fifteen_minutes_and_is_not_cached(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    before = int(time.time())
    invoice = p.issue(customer)
    expires = int(parse_qs(urlsplit(invoice["pdfUrl"]).query)["expires"][0])
    assert before + 900 <= expires <= int(time.time()) + 900
    response = httpx.get(invoice["pdfUrl"])
    assert response.headers["cache-control"] == "private, no-store"


def _refused(url: str) -> tuple[int, str, str]:
    response = httpx.get(url)
    assert response.headers["content-type"] == "application/json"
    assert b"%PDF" not in response.content
    error = response.json()["error"]
    assert error["message"]
    return response.status_code, error["code"], error["reason"]


def test_a_pdf_without_its_signature_is_refused(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    bare = invoice["pdfUrl"].split("?")[0]
    assert _refused(bare) == (401, "UNAUTHENTICATED", "missing")
    expires = parse_qs(urlsplit(invoice["pdfUrl"]).query)["expires"][0]
    assert _refused(f"{bare}?expires={expires}") == (401, "UNAUTHENTICATED", "missing")


def test_a_tampered_link_is_refused(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice, other = p.issue(customer), p.issue(customer)
    link = urlsplit(invoice["pdfUrl"])
    query = parse_qs(link.query)
    expires, signature = query["expires"][0], query["signature"][0]
    base = f"{link.scheme}://{link.netloc}"
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for url in (
        f"{base}{link.path}?expires={expires}&signature={flipped}",  # another signature
        f"{base}{link.path}?expires={int(expires) + 3600}&signature={signature}",  # later expiry
        f"{base}/invoices/{other['id']}.pdf?{link.query}",  # another invoice, same signature
        f"{base}{link.path}?expires=soon&signature={signature}",
        _links(p, key="x" * 32).url(invoice["id"]),  # signed with another key
    ):
        assert _refused(url) == (403, "FORBIDDEN", "signature"), url


def test_an_expired_link_is_refused(p: Payments) -> None:
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    expired = _links(p, at=time.time() - 901).url(invoice["id"])  # validly signed, 1 s too old
    assert _refused(expired) == (403, "FORBIDDEN", "expired")
    assert httpx.get(_links(p).url(invoice["id"])).status_code == 200
