"""Payments, refunds and bank attempts in the invoices database; the session is passed in.

Every change of a PENDING payment or refund is a conditional UPDATE (``… WHERE status =
'PENDING'``), so two processes settling the same payment (a retry and the reconciler) apply
its outcome once. Paying locks the invoice row first, so two payments of one invoice
cannot both be in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.ids import new_id
from subgraphs.common.money import check_currency

from .bank_client import Attempt, BankCharge, BankRefund
from .models import InvoiceRow, PaymentAttemptRow, PaymentRow, RefundRow

REFUNDABLE = ("SUCCEEDED", "PARTIALLY_REFUNDED")


@dataclass(frozen=True, slots=True)
class CardChoice:
    """The card a payment charges and where its receipt goes."""

    payment_method_id: str
    token: str
    email: str


async def payable_invoice(session: AsyncSession, *, invoice_id: str) -> InvoiceRow:
    """The invoice, locked for this transaction; CONFLICT unless it is OPEN."""
    stmt = select(InvoiceRow).where(InvoiceRow.id == invoice_id).with_for_update()
    row = (await session.execute(stmt.execution_options(populate_existing=True))).scalar()
    if row is None:
        raise NotFound(f"No invoice with id {invoice_id!r}.", id=invoice_id)
    if row.status != "OPEN":
        raise Conflict(
            f"Invoice {row.number} is {row.status}; only OPEN invoices can be paid.",
            id=invoice_id,
            status=row.status,
            reason="INVOICE_NOT_OPEN",
        )
    return row


async def create_payment(
    session: AsyncSession, *, invoice_id: str, card: CardChoice, now: datetime
) -> PaymentRow:
    """A PENDING payment of the whole invoice; CONFLICT if another one is in flight."""
    invoice = await payable_invoice(session, invoice_id=invoice_id)
    pending = await session.scalar(
        select(PaymentRow.id).where(
            PaymentRow.invoice_id == invoice_id, PaymentRow.status == "PENDING"
        )
    )
    if pending is not None:
        raise Conflict(
            f"Payment {pending} of invoice {invoice.number} is still pending; retry it with "
            "its idempotency key or wait until it is reconciled.",
            id=invoice_id,
            paymentId=pending,
            reason="PAYMENT_PENDING",
        )
    payment_id = new_id("pay", at=now)
    row = PaymentRow(
        id=payment_id,
        invoice_id=invoice_id,
        customer_id=invoice.customer_id,
        payment_method_id=card.payment_method_id,
        bank_token=card.token,
        receipt_email=card.email,
        bank_key=payment_id,
        amount=invoice.total,
        currency=invoice.currency,
        status="PENDING",
        amount_refunded=0,
        refund_reserved=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def apply_charge(session: AsyncSession, *, payment_id: str, charge: BankCharge) -> bool:
    """Record the bank's charge on a PENDING payment (and mark its invoice PAID).

    False if the payment was no longer PENDING: someone else settled it first.
    """
    now = datetime.now(UTC)
    succeeded = charge.status == "succeeded"
    stmt = (
        update(PaymentRow)
        .where(PaymentRow.id == payment_id, PaymentRow.status == "PENDING")
        .values(
            status="SUCCEEDED" if succeeded else "DECLINED",
            bank_charge_id=charge.id,
            decline_code=None if succeeded else (charge.decline_code or "card_declined"),
            message=None if succeeded else (charge.message or "The card was declined.")[:300],
            updated_at=now,
        )
        .returning(PaymentRow.invoice_id)
        .execution_options(synchronize_session=False)
    )
    invoice_id = await session.scalar(stmt)
    if invoice_id is None:
        return False
    if succeeded:
        await session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id == invoice_id, InvoiceRow.status == "OPEN")
            .values(status="PAID", paid_at=now)
            .execution_options(synchronize_session=False)
        )
    return True


async def fail_payment(session: AsyncSession, *, payment_id: str, message: str) -> bool:
    """A PENDING payment the bank never charged becomes FAILED; the invoice stays OPEN."""
    stmt = (
        update(PaymentRow)
        .where(PaymentRow.id == payment_id, PaymentRow.status == "PENDING")
        .values(status="FAILED", message=message[:300], updated_at=datetime.now(UTC))
        .returning(PaymentRow.id)
        .execution_options(synchronize_session=False)
    )
    return await session.scalar(stmt) is not None


async def reserve_refund(
    session: AsyncSession,
    *,
    payment_id: str,
    amount: int | None,
    currency: str | None,
    now: datetime,
) -> RefundRow:
    """A PENDING refund, its amount reserved on the payment so no two can over-refund."""
    stmt = select(PaymentRow).where(PaymentRow.id == payment_id).with_for_update()
    payment = (await session.execute(stmt.execution_options(populate_existing=True))).scalar()
    if payment is None:
        raise NotFound(f"No payment with id {payment_id!r}.", id=payment_id)
    if payment.status not in REFUNDABLE:
        raise Conflict(
            f"Payment {payment_id} is {payment.status}; only captured payments can be refunded.",
            id=payment_id,
            status=payment.status,
        )
    wanted = _refund_amount(payment, amount, currency)
    payment.refund_reserved += wanted
    payment.updated_at = now
    refund_id = new_id("rfd", at=now)
    row = RefundRow(
        id=refund_id,
        payment_id=payment_id,
        invoice_id=payment.invoice_id,
        bank_key=refund_id,
        amount=wanted,
        currency=payment.currency,
        status="PENDING",
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


def _refund_amount(payment: PaymentRow, amount: int | None, currency: str | None) -> int:
    """What may still be refunded: all of it by default, never more than is left."""
    if currency is not None and check_currency(currency) != payment.currency:
        raise BadUserInput(
            f"The payment is in {payment.currency}; refund it in {payment.currency}.",
            field="amount.currency",
        )
    refundable = payment.amount - payment.refund_reserved
    wanted = refundable if amount is None else amount
    if wanted < 1 or wanted > refundable:
        raise BadUserInput(
            f"A refund of payment {payment.id} must be between 1 and {refundable} minor units "
            f"(captured {payment.amount}, refunded or pending {payment.refund_reserved}).",
            field="amount",
            reason="REFUND_EXCEEDS_CAPTURED",
            refundable=refundable,
        )
    return wanted


async def apply_refund(session: AsyncSession, *, refund_id: str, refund: BankRefund) -> bool:
    """Record a refund the bank made; the payment and its invoice become (partly) refunded."""
    now = datetime.now(UTC)
    stmt = (
        update(RefundRow)
        .where(RefundRow.id == refund_id, RefundRow.status == "PENDING")
        .values(status="SUCCEEDED", bank_refund_id=refund.id, updated_at=now)
        .returning(RefundRow.payment_id, RefundRow.amount)
        .execution_options(synchronize_session=False)
    )
    changed = (await session.execute(stmt)).first()
    if changed is None:
        return False
    await _add_refunded(session, payment_id=changed.payment_id, amount=changed.amount, now=now)
    return True


async def _add_refunded(
    session: AsyncSession, *, payment_id: str, amount: int, now: datetime
) -> None:
    """Count a refund on its payment; payment and invoice become (partly) REFUNDED."""
    totals = (
        await session.execute(
            update(PaymentRow)
            .where(PaymentRow.id == payment_id)
            .values(amount_refunded=PaymentRow.amount_refunded + amount, updated_at=now)
            .returning(PaymentRow.invoice_id, PaymentRow.amount, PaymentRow.amount_refunded)
            .execution_options(synchronize_session=False)
        )
    ).one()
    status = "REFUNDED" if totals.amount_refunded >= totals.amount else "PARTIALLY_REFUNDED"
    for model, key in ((PaymentRow, payment_id), (InvoiceRow, totals.invoice_id)):
        await session.execute(
            update(model)
            .where(model.id == key)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


async def fail_refund(session: AsyncSession, *, refund_id: str, message: str) -> bool:
    """A PENDING refund the bank did not make becomes FAILED and frees its reservation."""
    stmt = (
        update(RefundRow)
        .where(RefundRow.id == refund_id, RefundRow.status == "PENDING")
        .values(status="FAILED", message=message[:300], updated_at=datetime.now(UTC))
        .returning(RefundRow.payment_id, RefundRow.amount)
        .execution_options(synchronize_session=False)
    )
    changed = (await session.execute(stmt)).first()
    if changed is None:
        return False
    await session.execute(
        update(PaymentRow)
        .where(PaymentRow.id == changed.payment_id)
        .values(refund_reserved=PaymentRow.refund_reserved - changed.amount)
        .execution_options(synchronize_session=False)
    )
    return True


def attempt_row(payment_id: str, refund_id: str | None, attempt: Attempt) -> PaymentAttemptRow:
    return PaymentAttemptRow(
        payment_id=payment_id,
        refund_id=refund_id,
        operation=attempt.operation,
        number=attempt.number,
        outcome=attempt.outcome,
        http_status=attempt.http_status,
        error=attempt.error[:300] if attempt.error else None,
        started_at=attempt.started_at,
        duration_ms=attempt.duration_ms,
    )


async def pending_ids(
    session: AsyncSession, *, before: datetime, invoice_id: str | None = None
) -> tuple[list[str], list[str]]:
    """Ids of payments and refunds PENDING since before ``before`` (of one invoice, or all)."""
    payments = select(PaymentRow.id).where(
        PaymentRow.status == "PENDING", PaymentRow.updated_at <= before
    )
    refunds = select(RefundRow.id).where(
        RefundRow.status == "PENDING", RefundRow.updated_at <= before
    )
    if invoice_id is not None:
        payments = payments.where(PaymentRow.invoice_id == invoice_id)
        refunds = refunds.where(RefundRow.invoice_id == invoice_id)
    return (
        list((await session.scalars(payments.order_by(PaymentRow.id))).all()),
        list((await session.scalars(refunds.order_by(RefundRow.id))).all()),
    )


async def payments_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[PaymentRow]:
    stmt = select(PaymentRow).where(PaymentRow.id.in_(ids))
    return list((await session.scalars(stmt)).all())


async def refunds_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[RefundRow]:
    stmt = select(RefundRow).where(RefundRow.id.in_(ids))
    return list((await session.scalars(stmt)).all())


async def payments_by_invoice_ids(
    session: AsyncSession, *, invoice_ids: Sequence[str]
) -> dict[str, list[PaymentRow]]:
    stmt = select(PaymentRow).where(PaymentRow.invoice_id.in_(invoice_ids)).order_by(PaymentRow.id)
    found: dict[str, list[PaymentRow]] = {i: [] for i in invoice_ids}
    for row in (await session.scalars(stmt)).all():
        found[row.invoice_id].append(row)
    return found


async def refunds_by_payment_ids(
    session: AsyncSession, *, payment_ids: Sequence[str]
) -> dict[str, list[RefundRow]]:
    stmt = select(RefundRow).where(RefundRow.payment_id.in_(payment_ids)).order_by(RefundRow.id)
    found: dict[str, list[RefundRow]] = {i: [] for i in payment_ids}
    for row in (await session.scalars(stmt)).all():
        found[row.payment_id].append(row)
    return found


async def attempts_by_payment_ids(
    session: AsyncSession, *, payment_ids: Sequence[str]
) -> dict[str, list[PaymentAttemptRow]]:
    stmt = (
        select(PaymentAttemptRow)
        .where(PaymentAttemptRow.payment_id.in_(payment_ids))
        .order_by(PaymentAttemptRow.id)
    )
    found: dict[str, list[PaymentAttemptRow]] = {i: [] for i in payment_ids}
    for row in (await session.scalars(stmt)).all():
        found[row.payment_id].append(row)
    return found
