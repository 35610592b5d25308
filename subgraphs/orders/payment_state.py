"""An order's payment in the database: its current charge, invoice and outcome.

Every change is a conditional UPDATE on the order's status, so two requests settling the
same order (a client retry racing the first call) write one outcome and one e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import Conflict, NotFound
from subgraphs.common.invoice_state import InvoiceState

from .models import OrderLineRow, OrderRow

UNSETTLED = ("PLACED", "PAYMENT_PENDING")
PAYABLE = (*UNSETTLED, "PAYMENT_FAILED")  # the invoice may still be paid, one way or another
REFUNDABLE = ("PAID", "PARTIALLY_REFUNDED")


@dataclass(frozen=True, slots=True)
class Line:
    description: str
    quantity: int
    unit_amount: int


@dataclass(frozen=True, slots=True)
class PaymentView:
    """What paying an order needs, read while the session holds the rows."""

    order_id: str
    status: str
    customer_id: str
    currency: str
    total: int
    lines: tuple[Line, ...]
    invoice_id: str | None
    payment_key: str
    payment_method_id: str | None


def first_payment_key(order_id: str) -> str:
    """The key of an order's first charge; placeOrder retries resend it."""
    return f"order:{order_id}:pay"


async def payment_view(session: AsyncSession, *, order_id: str) -> PaymentView:
    order = await session.get(OrderRow, order_id, populate_existing=True)
    if order is None:
        raise NotFound(f"No order with id {order_id!r}.", id=order_id)
    lines = await session.execute(
        select(OrderLineRow.product_name, OrderLineRow.quantity, OrderLineRow.unit_price)
        .where(OrderLineRow.order_id == order_id)
        .order_by(OrderLineRow.position)
    )
    return PaymentView(
        order_id=order.id,
        status=order.status,
        customer_id=order.customer_id,
        currency=order.currency,
        total=order.total,
        lines=tuple(Line(*line) for line in lines.all()),
        invoice_id=order.invoice_id,
        payment_key=order.payment_key or first_payment_key(order.id),
        payment_method_id=order.payment_method_id,
    )


async def _update(session: AsyncSession, order_id: str, *statuses: str, **values: Any) -> bool:
    result: Any = await session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, OrderRow.status.in_(statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def record_invoice(
    session: AsyncSession, *, order_id: str, invoice_id: str, total_with_tax: int
) -> bool:
    """The order is invoiced: PAYMENT_PENDING until the charge settles."""
    return await _update(
        session,
        order_id,
        *UNSETTLED,
        invoice_id=invoice_id,
        total_with_tax=total_with_tax,
        status="PAYMENT_PENDING",
    )


async def record_paid(session: AsyncSession, *, order_id: str, at: datetime) -> bool:
    """PAID, if it was not settled already; True only for the request that settled it."""
    return await _update(
        session,
        order_id,
        *UNSETTLED,
        status="PAID",
        paid_at=at,
        payment_failure_reason=None,
        payment_failure_message=None,
    )


async def record_failed(session: AsyncSession, *, order_id: str, reason: str, message: str) -> bool:
    """PAYMENT_FAILED with the reason; the stock stays reserved for another card."""
    return await _update(
        session,
        order_id,
        *UNSETTLED,
        status="PAYMENT_FAILED",
        payment_failure_reason=reason,
        payment_failure_message=message[:300],
    )


async def record_incomplete(
    session: AsyncSession, *, order_id: str, reason: str, message: str
) -> None:
    """The payment could not complete now; the status stays, a retry carries on."""
    await _update(
        session,
        order_id,
        *UNSETTLED,
        payment_failure_reason=reason,
        payment_failure_message=message[:300],
    )


async def start_new_charge(
    session: AsyncSession, *, order_id: str, key: str, payment_method_id: str | None
) -> bool:
    """After a failed charge, try again with a new key (and maybe another card)."""
    return await _update(
        session,
        order_id,
        "PAYMENT_FAILED",
        status="PAYMENT_PENDING",
        payment_key=key,
        payment_method_id=payment_method_id,
        payment_failure_reason=None,
        payment_failure_message=None,
    )


async def apply_invoice_state(session: AsyncSession, *, state: InvoiceState) -> bool:
    """Catch the order up with its invoice's money; True if this made it PAID.

    Monotonic, so a repeated or older snapshot changes nothing: an unpaid order becomes PAID,
    and the refunded amount only grows (PAID → PARTIALLY_REFUNDED → REFUNDED).
    """
    same_invoice = (OrderRow.invoice_id.is_(None)) | (OrderRow.invoice_id == state.invoice_id)
    paid: Any = await session.execute(
        update(OrderRow)
        .where(OrderRow.id == state.order_id, OrderRow.status.in_(PAYABLE), same_invoice)
        .values(
            status="PAID",
            invoice_id=state.invoice_id,
            total_with_tax=state.amount_paid,
            paid_at=state.paid_at,
            payment_failure_reason=None,
            payment_failure_message=None,
        )
        .execution_options(synchronize_session=False)
    )
    if state.status != "PAID":
        await session.execute(
            update(OrderRow)
            .where(
                OrderRow.id == state.order_id,
                same_invoice,  # None: a demo order, seeded PAID without its invoice's id
                OrderRow.status.in_(REFUNDABLE),
                OrderRow.amount_refunded < state.amount_refunded,
            )
            .values(
                status=state.status,
                invoice_id=state.invoice_id,
                amount_refunded=state.amount_refunded,
            )
            .execution_options(synchronize_session=False)
        )
    return bool(paid.rowcount == 1)


async def check_invoice_state(session: AsyncSession, *, state: InvoiceState) -> None:
    """NOT_FOUND for an unknown order; CONFLICT if the snapshot cannot be its invoice's."""
    order = await session.get(OrderRow, state.order_id, populate_existing=True)
    if order is None:
        raise NotFound(f"No order with id {state.order_id!r}.", id=state.order_id)
    if order.invoice_id not in (None, state.invoice_id):
        raise Conflict(
            f"Order {order.id} is billed by invoice {order.invoice_id}, not {state.invoice_id}.",
            id=order.id,
        )
    if order.currency != state.currency:
        raise Conflict(f"Order {order.id} is in {order.currency}.", id=order.id)
    if order.status == "CANCELLED":
        raise Conflict(f"Order {order.id} is CANCELLED; its invoice cannot be paid.", id=order.id)
