"""Plain HTTP routes of the invoices service: invoice PDFs and an operator's reconcile."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from subgraphs.common.db import RequestDb
from subgraphs.common.errors import DomainError
from subgraphs.common.internal import refuse_internal_caller

from . import repository
from .models import InvoiceLineRow, InvoiceRow
from .pdf import BillTo, render_invoice
from .reconcile import reconcile_pending
from .runtime import Runtime

router = APIRouter()
NO_STORE = {"Cache-Control": "private, no-store"}  # a customer's invoice, behind a signed link


def _runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.payments
    return found


@router.get("/invoices/{invoice_id}.pdf")
async def invoice_pdf(request: Request, invoice_id: str) -> Response:
    """The invoice as ``application/pdf`` for a signed link (``links.py``): 401 without one,
    403 for a bad or expired one, 404 with code NOT_FOUND for an unknown id."""
    query = request.query_params
    refused = _runtime(request).links.check(
        invoice_id, query.get("expires"), query.get("signature")
    )
    if refused is not None:
        return JSONResponse(refused.body(), status_code=refused.status, headers=NO_STORE)
    found = await _load(request, invoice_id)
    if found is None:
        return JSONResponse(
            {"error": {"code": "NOT_FOUND", "message": f"No invoice with id {invoice_id!r}."}},
            status_code=404,
        )
    invoice, lines = found
    bill_to = await _bill_to(_runtime(request), invoice.customer_id)
    body = render_invoice(invoice, lines, bill_to)
    headers = {"Content-Disposition": f'inline; filename="{invoice.number}.pdf"', **NO_STORE}
    return Response(body, media_type="application/pdf", headers=headers)


async def _load(
    request: Request, invoice_id: str
) -> tuple[InvoiceRow, list[InvoiceLineRow]] | None:
    db = RequestDb(request.app.state.sessions)
    try:
        async with db.read() as session:
            invoices = await repository.invoices_by_ids(session, ids=[invoice_id])
            if not invoices:
                return None
            lines = await repository.lines_by_invoice_ids(session, invoice_ids=[invoice_id])
            return invoices[0], lines[invoice_id]
    finally:
        await db.close()


async def _bill_to(runtime: Runtime, customer_id: str) -> BillTo:
    """The customer's name and e-mail; their id alone if the customers service is down."""
    try:
        profile = await runtime.profile(customer_id)
    except DomainError:
        profile = None
    if profile is None:
        return BillTo(name=customer_id, email=None)
    return BillTo(name=profile.name, email=profile.email)


@router.post("/internal/reconcile")
async def reconcile(request: Request) -> JSONResponse:
    """Settle every PENDING payment and refund now, whatever its age (operators, tests)."""
    refused = refuse_internal_caller(request, request.app.state.settings.internal_token)
    if refused is not None:
        return refused
    report = await reconcile_pending(_runtime(request), grace=0)
    return JSONResponse(asdict(report))
