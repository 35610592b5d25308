"""Paying for an order through the invoices API: invoice it, charge it, settle it.

``settle`` moves an unsettled order as far as it can: look up whom to e-mail (customers),
issue the invoice (key ``order:<id>:invoice``), charge it with the order's current payment
key, then write the outcome and its e-mail in one transaction. Each step is safe to repeat:
the invoice key returns the one invoice, the payment key the one charge. A step that cannot
complete (a service down, the bank undecided) leaves the order PLACED or PAYMENT_PENDING
with the reason noted, and the next ``placeOrder`` with the same key (or ``payOrder``)
carries on from there. So there is never a PAID order without an invoice, nor a second
charge of one invoice. If the invoice was paid some other way (payInvoice, the reconciler),
invoices answers INVOICE_NOT_OPEN: the order then looks the invoice up and becomes PAID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from subgraphs.common.clients import (
    Contact,
    CustomersClient,
    InvoiceLine,
    InvoiceRequest,
    InvoicesClient,
    PaymentOutcome,
    PeerRefused,
    PeerUnavailable,
    unavailable,
)
from subgraphs.common.db import RequestDb
from subgraphs.common.errors import Conflict
from subgraphs.common.invoice_state import SETTLED
from subgraphs.common.outbox import enqueue_email

from . import emails
from . import payment_state as state
from .invoice_sync import apply_invoice_state
from .payment_state import PaymentView

# Refusals that no retry of the same charge will change: the order's payment has failed.
FINAL_REFUSALS = {"CUSTOMER_NOT_FOUND", "NO_PAYMENT_METHOD"}


@dataclass(frozen=True)
class OrderPayments:
    invoices: InvoicesClient
    customers: CustomersClient

    async def settle(self, db: RequestDb, order_id: str) -> None:
        """Carry the order's payment as far as it goes now."""
        async with db.read() as session:
            order = await state.payment_view(session, order_id=order_id)
            await session.rollback()  # end the read snapshot before the calls
        if order.status not in state.UNSETTLED:
            return
        try:
            contact = await self.customers.contact(order.customer_id)
            if contact is None:
                await self._fail(
                    db,
                    order,
                    "CUSTOMER_NOT_FOUND",
                    f"The customers service has no customer {order.customer_id}.",
                )
                return
            invoice_id = order.invoice_id or await self._issue(db, order)
            outcome = await self.invoices.pay_invoice(
                invoice_id, key=order.payment_key, payment_method_id=order.payment_method_id
            )
        except PeerUnavailable as exc:
            await _incomplete(db, order, "SERVICE_UNAVAILABLE", str(exc))
            return
        except PeerRefused as exc:
            if not await self._paid_elsewhere(db, order, exc):
                await self._refused(db, order, exc)
            return
        await self._record(db, order, contact, outcome)

    async def void_invoice_of(self, db: RequestDb, order_id: str) -> None:
        """Before cancelling an order whose charge failed: void its OPEN invoice."""
        async with db.read() as session:
            order = await state.payment_view(session, order_id=order_id)
            await session.rollback()
        if order.invoice_id is None or order.status != "PAYMENT_FAILED":
            return
        try:
            await self.invoices.void_invoice(order.invoice_id)
        except PeerUnavailable as exc:
            raise unavailable(exc) from exc
        except PeerRefused as exc:
            if exc.extensions.get("status") != "VOID":  # voided by an earlier attempt: fine
                raise Conflict(f"Cannot cancel: {exc.message}", id=order_id) from exc

    async def _issue(self, db: RequestDb, order: PaymentView) -> str:
        request = InvoiceRequest(
            customer_id=order.customer_id,
            currency=order.currency,
            lines=[InvoiceLine(li.description, li.quantity, li.unit_amount) for li in order.lines],
            order_id=order.order_id,
        )
        invoice = await self.invoices.issue_invoice(request, key=f"order:{order.order_id}:invoice")
        async with db.transaction() as session:
            await state.record_invoice(
                session,
                order_id=order.order_id,
                invoice_id=invoice.id,
                total_with_tax=invoice.total,
            )
        return invoice.id

    async def _record(
        self, db: RequestDb, order: PaymentView, contact: Contact, outcome: PaymentOutcome
    ) -> None:
        if outcome.kind == "SUCCEEDED":
            async with db.transaction() as session:
                if await state.record_paid(session, order_id=order.order_id, at=datetime.now(UTC)):
                    subject, text = emails.confirmed(contact, order, outcome.charged)
                    await enqueue_email(
                        session,
                        to=contact.email,
                        subject=subject,
                        text=text,
                        key=f"order-confirmed:{order.order_id}",
                    )
        elif outcome.kind == "PENDING":
            message = outcome.message or "The bank has not answered yet."
            await _incomplete(db, order, "PAYMENT_PENDING", message)
        else:  # DECLINED, or FAILED: the bank charged nothing
            reason = outcome.reason or "PAYMENT_ERROR"
            await self._fail(db, order, reason, outcome.message or "Payment failed.")

    async def _paid_elsewhere(self, db: RequestDb, order: PaymentView, exc: PeerRefused) -> bool:
        """INVOICE_NOT_OPEN because the invoice is paid: catch the order up; True if done."""
        settled = exc.reason == "INVOICE_NOT_OPEN" and exc.extensions.get("status") in SETTLED
        if not settled or order.invoice_id is None:
            return False
        try:
            found = await self.invoices.invoice_state(order.invoice_id)
            if found is None:
                return False
            await apply_invoice_state(db, self.customers, found)
        except PeerUnavailable as exc_:
            await _incomplete(db, order, "SERVICE_UNAVAILABLE", str(exc_))
        return True

    async def _refused(self, db: RequestDb, order: PaymentView, exc: PeerRefused) -> None:
        if exc.reason in FINAL_REFUSALS or exc.code == "BAD_USER_INPUT":
            await self._fail(db, order, exc.reason or "PAYMENT_REFUSED", exc.message)
        else:  # e.g. a concurrent request with the same key is charging right now
            await _incomplete(db, order, "PAYMENT_PENDING", exc.message)

    async def _fail(self, db: RequestDb, order: PaymentView, reason: str, message: str) -> None:
        """PAYMENT_FAILED; the invoices service, which owns the charge, tells the customer."""
        async with db.transaction() as session:
            await state.record_failed(
                session, order_id=order.order_id, reason=reason, message=message
            )


async def _incomplete(db: RequestDb, order: PaymentView, reason: str, message: str) -> None:
    async with db.transaction() as session:
        await state.record_incomplete(
            session, order_id=order.order_id, reason=reason, message=message
        )
