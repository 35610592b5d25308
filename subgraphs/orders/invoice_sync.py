"""Orders learn what happened to their invoice's money: ``POST /internal/invoice-state``.

The invoices service owns the money and pushes a snapshot (``InvoiceState``) of an order's
invoice whenever a charge or refund on it settles, at least once and maybe out of order
(see ``subgraphs/invoices/order_events.py``); a payOrder/placeOrder that finds the invoice
already paid looks the snapshot up itself. ``apply_invoice_state`` is idempotent: it only
moves the order forward (unpaid → PAID, refunded amount up), and the order's confirmation
e-mail has one outbox key. Refund e-mails are the invoices service's; orders sends none.

The route answers 200 ``{"orderId", "status"}`` once applied (or already applied), 400
BAD_USER_INPUT, 404 NOT_FOUND, 409 CONFLICT (never retried by the sender) or 503
SERVICE_UNAVAILABLE (the customers service, asked whom to e-mail, is down; retried).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from subgraphs.common.clients import Contact, CustomersClient, PeerRefused, PeerUnavailable
from subgraphs.common.db import RequestDb
from subgraphs.common.errors import DomainError
from subgraphs.common.internal import refuse_internal_caller
from subgraphs.common.invoice_state import BadInvoiceState, InvoiceState
from subgraphs.common.outbox import enqueue_email

from . import emails
from . import payment_state as state

logger = logging.getLogger("switchboard.orders.invoice_sync")
router = APIRouter()


async def apply_invoice_state(
    db: RequestDb, customers: CustomersClient, snapshot: InvoiceState
) -> str:
    """Apply ``snapshot`` to its order (e-mailing the confirmation if it became PAID); the
    order's status after. Raises NotFound/Conflict, or PeerUnavailable (customers)."""
    async with db.read() as session:
        await state.check_invoice_state(session, state=snapshot)
        order = await state.payment_view(session, order_id=snapshot.order_id)
        await session.rollback()
    contact = await _contact(customers, order) if order.status in state.PAYABLE else None
    async with db.transaction() as session:
        if await state.apply_invoice_state(session, state=snapshot) and contact is not None:
            subject, text = emails.confirmed(contact, order, None)
            key = f"order-confirmed:{order.order_id}"
            await enqueue_email(session, to=contact.email, subject=subject, text=text, key=key)
        after = await state.payment_view(session, order_id=snapshot.order_id)
    return after.status


async def _contact(customers: CustomersClient, order: state.PaymentView) -> Contact | None:
    """Whom to e-mail the confirmation; None (no e-mail) if the customer is gone."""
    try:
        return await customers.contact(order.customer_id)
    except PeerRefused as exc:
        logger.warning("order %s: no contact for its confirmation: %s", order.order_id, exc)
        return None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


_STATUS = {"NOT_FOUND": 404, "CONFLICT": 409}


@router.post("/internal/invoice-state")
async def invoice_state(request: Request) -> JSONResponse:
    """The invoices service's notification that money settled on an order's invoice."""
    refused = refuse_internal_caller(request, request.app.state.settings.internal_token)
    if refused is not None:
        return refused
    try:
        body: Any = await request.json()
    except ValueError:
        return _error(400, "BAD_USER_INPUT", "The body is not JSON.")
    try:
        snapshot = InvoiceState.from_wire(body)
    except BadInvoiceState as exc:
        return _error(400, "BAD_USER_INPUT", f"Not an invoice state: {exc}.")
    customers: CustomersClient = request.app.state.order_payments.customers
    db = RequestDb(request.app.state.sessions)
    try:
        status = await apply_invoice_state(db, customers, snapshot)
    except DomainError as exc:
        logger.warning("invoice state of order %s refused: %s", snapshot.order_id, exc.message)
        return _error(_STATUS.get(exc.code, 400), exc.code, exc.message)
    except PeerUnavailable as exc:
        return _error(503, "SERVICE_UNAVAILABLE", str(exc))
    finally:
        await db.close()
    return JSONResponse({"orderId": snapshot.order_id, "status": status})
