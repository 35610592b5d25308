"""Write the bank's answer, the e-mail and the order event it causes in one transaction.

Receipts, decline notices and refund notices go to the outbox in the transaction that
settles the payment or refund, and only when that transaction changed a PENDING row: a
retry or a reconciliation that finds the row settled already sends nothing, and the
outbox key (one per payment or refund) makes a duplicate impossible anyway. Money that
moved on an order's invoice also writes an order event (``order_events``) there.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.outbox import enqueue_email

from . import payments_repository as repo
from .bank_client import BankCharge, BankRefund
from .models import InvoiceRow, PaymentRow, RefundRow
from .order_events import notify_order
from .pdf import money
from .runtime import Runtime
from .webhooks import emit


async def record_charge(runtime: Runtime, payment_id: str, charge: BankCharge) -> None:
    async def work(session: AsyncSession) -> None:
        if await repo.apply_charge(session, payment_id=payment_id, charge=charge):
            invoice_id = await _payment_mail(session, payment_id)
            await notify_order(session, invoice_id=invoice_id, cause=f"charge:{payment_id}")

    await runtime.write(work)


async def record_payment_failure(runtime: Runtime, payment_id: str, message: str) -> None:
    async def work(session: AsyncSession) -> None:
        if await repo.fail_payment(session, payment_id=payment_id, message=message):
            payment = await session.get_one(PaymentRow, payment_id, populate_existing=True)
            invoice = await session.get_one(InvoiceRow, payment.invoice_id)
            await _payment_event(session, payment, invoice)

    await runtime.write(work)


async def _payment_event(session: AsyncSession, payment: PaymentRow, invoice: InvoiceRow) -> None:
    """invoice.paid for a captured charge; payment.failed for a declined or failed one, and
    subscription.past_due if that was a subscription's first failed charge of a period."""
    common = {"invoiceId": invoice.id, "paymentId": payment.id, "customerId": invoice.customer_id}
    if payment.status == "SUCCEEDED":
        data = {
            **common, "number": invoice.number, "amountPaid": payment.amount,
            "currency": payment.currency, "orderId": invoice.order_id,
            "subscriptionId": invoice.subscription_id,
        }  # fmt: skip
        await emit(session, "invoice.paid", data, cause=f"invoice.paid:{payment.id}")
    elif payment.status in ("DECLINED", "FAILED"):
        data = {**common, "status": payment.status, "declineCode": payment.decline_code,
                "message": payment.message}  # fmt: skip
        await emit(session, "payment.failed", data, cause=f"payment.failed:{payment.id}")
        if invoice.subscription_id is not None:
            await _past_due_event(session, payment, invoice)


async def _past_due_event(session: AsyncSession, payment: PaymentRow, invoice: InvoiceRow) -> None:
    """subscription.past_due when a subscription's invoice is first charged in vain: the
    subscriptions service makes that subscription PAST_DUE on it and retries on its dunning
    schedule (those retries fail as payment.failed only; one past_due per invoice)."""
    failed = await session.scalar(
        select(func.count())
        .select_from(PaymentRow)
        .where(PaymentRow.invoice_id == invoice.id, PaymentRow.status.in_(("DECLINED", "FAILED")))
    )
    if failed != 1:
        return
    data = {
        "subscriptionId": invoice.subscription_id, "invoiceId": invoice.id,
        "number": invoice.number, "customerId": invoice.customer_id, "paymentId": payment.id,
        "amountDue": invoice.total, "currency": invoice.currency,
        "periodStart": invoice.period_start.isoformat() if invoice.period_start else None,
        "periodEnd": invoice.period_end.isoformat() if invoice.period_end else None,
        "declineCode": payment.decline_code, "message": payment.message,
    }  # fmt: skip
    await emit(session, "subscription.past_due", data, cause=f"subscription.past_due:{invoice.id}")


async def record_refund(runtime: Runtime, refund_id: str, refund: BankRefund) -> None:
    async def work(session: AsyncSession) -> None:
        if await repo.apply_refund(session, refund_id=refund_id, refund=refund):
            invoice_id = await _refund_mail(session, refund_id)
            await notify_order(session, invoice_id=invoice_id, cause=f"refund:{refund_id}")

    await runtime.write(work)


async def record_refund_failure(runtime: Runtime, refund_id: str, message: str) -> None:
    await runtime.write(lambda s: repo.fail_refund(s, refund_id=refund_id, message=message))


async def _payment_mail(session: AsyncSession, payment_id: str) -> str:
    """E-mail the payment's outcome; the id of its invoice."""
    payment = await session.get_one(PaymentRow, payment_id, populate_existing=True)
    invoice = await session.get_one(InvoiceRow, payment.invoice_id, populate_existing=True)
    amount = money(payment.amount, payment.currency)
    await _payment_event(session, payment, invoice)
    if payment.status == "SUCCEEDED":
        await enqueue_email(
            session,
            to=payment.receipt_email,
            subject=f"Receipt for invoice {invoice.number}",
            text=(
                f"Thank you for your payment of {amount} for invoice {invoice.number}.\n\n"
                f"Payment: {payment.id}\nBank reference: {payment.bank_charge_id}\n"
            ),
            key=f"invoices:receipt:{payment.id}",
        )
    elif payment.status == "DECLINED":
        await enqueue_email(
            session,
            to=payment.receipt_email,
            subject=f"Payment declined for invoice {invoice.number}",
            text=(
                f"Your card was declined for {amount} on invoice {invoice.number}: "
                f"{payment.message}\n\nThe invoice is still open; please pay it with "
                "another card.\n"
            ),
            key=f"invoices:declined:{payment.id}",
        )
    return invoice.id


async def _refund_mail(session: AsyncSession, refund_id: str) -> str:
    """E-mail the refund (the only refund e-mail, orders sends none); its invoice's id."""
    refund = await session.get_one(RefundRow, refund_id, populate_existing=True)
    payment = await session.get_one(PaymentRow, refund.payment_id, populate_existing=True)
    invoice = await session.get_one(InvoiceRow, refund.invoice_id, populate_existing=True)
    amount = money(refund.amount, refund.currency)
    data = {"refundId": refund.id, "paymentId": payment.id, "invoiceId": invoice.id,
            "amount": refund.amount, "currency": refund.currency}  # fmt: skip
    await emit(session, "refund.succeeded", data, cause=f"refund.succeeded:{refund.id}")
    order = f" (order {invoice.order_id})" if invoice.order_id else ""
    await enqueue_email(
        session,
        to=payment.receipt_email,
        subject=f"Refund of {amount} for invoice {invoice.number}",
        text=(
            f"We refunded {amount} of your payment {payment.id} for invoice "
            f"{invoice.number}{order}. It reaches your card within a few days.\n"
        ),
        key=f"invoices:refund:{refund.id}",
    )
    return invoice.id
