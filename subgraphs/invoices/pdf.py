"""Render an invoice as a one-page PDF with fpdf2 (number, customer, lines, totals, status)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from subgraphs.common.money import CURRENCY_EXPONENTS

from .models import InvoiceLineRow, InvoiceRow

COLUMNS = ((95, "Description", "L"), (20, "Qty", "R"), (35, "Unit price", "R"), (40, "Amount", "R"))


@dataclass(frozen=True, slots=True)
class BillTo:
    """Who the invoice is addressed to, as far as it is known."""

    name: str
    email: str | None


def money(amount: int, currency: str) -> str:
    """``1990, "EUR"`` → ``"19.90 EUR"``: exact, from integer minor units."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    whole, minor = divmod(abs(amount), 10**exponent)
    digits = f"{whole:,}.{minor:0{exponent}d}" if exponent else f"{whole:,}"
    return f"{'-' if amount < 0 else ''}{digits} {currency}"


def _latin1(text: str) -> str:
    """The core PDF fonts speak Latin-1; anything else is replaced, never an error."""
    return text.encode("latin-1", "replace").decode("latin-1")


def render_invoice(invoice: InvoiceRow, lines: Sequence[InvoiceLineRow], bill_to: BillTo) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Invoice {invoice.number}"))
    pdf.set_author("Switchboard")
    pdf.add_page()
    _header(pdf, invoice, bill_to)
    _lines(pdf, invoice, lines)
    _totals(pdf, invoice)
    return bytes(pdf.output())


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(35, 6, _latin1(label))
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: FPDF, invoice: InvoiceRow, bill_to: BillTo) -> None:
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, _latin1(f"Invoice {invoice.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _row(pdf, "Status", invoice.status)
    _row(pdf, "Issued", invoice.issued_at.date().isoformat() if invoice.issued_at else "-")
    _row(pdf, "Due", invoice.due_date.isoformat() if invoice.due_date else "-")
    if invoice.paid_at:
        _row(pdf, "Paid", invoice.paid_at.date().isoformat())
    if invoice.period_start and invoice.period_end:
        _row(pdf, "Period", f"{invoice.period_start} to {invoice.period_end}")
    if invoice.order_id:
        _row(pdf, "Order", invoice.order_id)
    pdf.ln(4)
    _row(pdf, "Bill to", bill_to.name)
    if bill_to.email:
        _row(pdf, "E-mail", bill_to.email)
    _row(pdf, "Customer", invoice.customer_id)
    pdf.ln(6)


def _lines(pdf: FPDF, invoice: InvoiceRow, lines: Sequence[InvoiceLineRow]) -> None:
    pdf.set_font("Helvetica", "B", 10)
    for width, title, align in COLUMNS:
        pdf.cell(width, 8, title, border="B", align=align)
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 10)
    for line in lines:
        values = (
            _latin1(line.description)[:60],
            str(line.quantity),
            money(line.unit_amount, invoice.currency),
            money(line.amount, invoice.currency),
        )
        for (width, _title, align), value in zip(COLUMNS, values, strict=True):
            pdf.cell(width, 7, value, align=align)
        pdf.ln(7)
    pdf.ln(4)


def _totals(pdf: FPDF, invoice: InvoiceRow) -> None:
    rate = f"{invoice.tax_rate_basis_points / 100:g} %"
    for label, amount, bold in (
        ("Subtotal", invoice.subtotal, False),
        (f"Tax ({rate})", invoice.tax, False),
        ("Total", invoice.total, True),
    ):
        pdf.set_font("Helvetica", "B" if bold else "", 11)
        pdf.cell(150, 7, label, align="R")
        pdf.cell(40, 7, money(amount, invoice.currency), align="R")
        pdf.ln(7)
