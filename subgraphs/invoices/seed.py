"""Derive the invoices of the demo world, with their payments, from its orders and subscriptions.

One invoice per order: PAID orders were paid at checkout (PAID), REFUNDED ones paid and then
refunded in full (REFUNDED), PLACED ones wait for payment (OPEN), CANCELLED ones were voided
(VOID). One invoice per subscription for its current period at the plan's price: ACTIVE is
PAID, PAST_DUE is OPEN; TRIALING has nothing billed yet and CANCELED bills no current
period, so neither gets one. Tax follows the customer's country. As the payment flows leave
them, every paid invoice has its captured payment (on the customer's default card), a
refunded one also the refund of it all, and a past-due subscription's open invoice the
declined charge that made it past due. Ids come from seeded generators and numbers count up
per year in order of issue, so the same invoices appear on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import (
    SEED,
    DemoCustomer,
    DemoOrder,
    DemoSubscription,
    DemoWorld,
    world,
)
from subgraphs.common.ids import new_id

from .models import InvoiceRow, PaymentRow, RefundRow
from .repository import LineData, build_invoice, invoice_number
from .tax import rate_for

PAYMENT_TERMS = timedelta(days=14)
ORDER_STATUS = {"PAID": "PAID", "REFUNDED": "REFUNDED", "PLACED": "OPEN", "CANCELLED": "VOID"}
SUBSCRIPTION_STATUS = {"ACTIVE": "PAID", "PAST_DUE": "OPEN"}
CAPTURED = ("PAID", "REFUNDED")  # invoices whose payment was captured
REFUNDED_AFTER = timedelta(days=3)
DECLINE_CODE, DECLINE_MESSAGE = "insufficient_funds", "Insufficient funds."


async def seed(session: AsyncSession) -> bool:
    """Insert the demo invoices unless the table has rows already; True if it seeded."""
    if await session.scalar(select(func.count()).select_from(InvoiceRow)):
        return False
    demo = world()
    invoices = demo_invoices(demo)
    session.add_all(invoices)
    await session.flush()  # invoices first: payments refer to them
    payments, refunds = demo_payments(demo, invoices)
    session.add_all(payments)
    await session.flush()
    session.add_all(refunds)
    return True


def demo_invoices(demo: DemoWorld) -> list[InvoiceRow]:
    """The invoices of ``demo``, numbered in order of issue; the same on every call."""
    rng = random.Random(f"invoices-{SEED}")
    rows = [*_order_invoices(demo, rng), *_subscription_invoices(demo, rng)]
    rows.sort(key=lambda row: (_issued(row), row.id))
    counters: dict[int, int] = {}
    for row in rows:
        year = _issued(row).year
        counters[year] = counters.get(year, 0) + 1
        row.number = invoice_number(year, counters[year])
    return rows


def _issued(row: InvoiceRow) -> datetime:
    assert row.issued_at is not None  # every demo invoice was issued
    return row.issued_at


def _order_invoices(demo: DemoWorld, rng: random.Random) -> Iterator[InvoiceRow]:
    countries = {c.id: c.country for c in demo.customers}
    for order in demo.orders:
        row = _draft(
            rng,
            customer_id=order.customer_id,
            country=countries[order.customer_id],
            currency=order.currency,
            lines=_order_lines(order),
            issued_at=order.placed_at,
        )
        row.order_id = order.id
        _settle(row, ORDER_STATUS[order.status], paid_at=order.placed_at)
        yield row


def _order_lines(order: DemoOrder) -> list[LineData]:
    return [
        LineData(line.product_name, line.quantity, line.unit_price, order.currency)
        for line in order.lines
    ]


def _subscription_invoices(demo: DemoWorld, rng: random.Random) -> Iterator[InvoiceRow]:
    countries = {c.id: c.country for c in demo.customers}
    plans = {p.id: p for p in demo.plans}
    for sub in demo.subscriptions:
        status = SUBSCRIPTION_STATUS.get(sub.status)
        if status is None:
            continue
        plan = plans[sub.plan_id]
        issued_at = datetime.combine(sub.current_period_start, time(6, 0), tzinfo=UTC)
        row = _draft(
            rng,
            customer_id=sub.customer_id,
            country=countries[sub.customer_id],
            currency=plan.currency,
            lines=[LineData(_period_description(plan.name, sub), 1, plan.price, plan.currency)],
            issued_at=issued_at,
        )
        row.subscription_id = sub.id
        row.period_start = sub.current_period_start
        row.period_end = sub.current_period_end
        _settle(row, status, paid_at=issued_at + timedelta(hours=1))
        yield row


def _period_description(plan_name: str, sub: DemoSubscription) -> str:
    return f"{plan_name}, {sub.current_period_start} to {sub.current_period_end}"


def _draft(
    rng: random.Random,
    *,
    customer_id: str,
    country: str,
    currency: str,
    lines: list[LineData],
    issued_at: datetime,
) -> InvoiceRow:
    row = build_invoice(
        invoice_id=new_id("inv", at=issued_at, rng=rng),
        number="",  # numbered once all invoices are known
        customer_id=customer_id,
        currency=currency,
        lines=lines,
        basis_points=rate_for(country).basis_points,
        created_at=issued_at,
    )
    row.issued_at = issued_at
    row.due_date = (issued_at + PAYMENT_TERMS).date()
    return row


def _settle(row: InvoiceRow, status: str, *, paid_at: datetime) -> None:
    row.status = status
    row.paid_at = paid_at if status in CAPTURED else None


def demo_payments(
    demo: DemoWorld, invoices: list[InvoiceRow]
) -> tuple[list[PaymentRow], list[RefundRow]]:
    """The payments of ``invoices`` (captured, or declined for a past-due subscription) and
    the refunds of the refunded ones; the same on every call."""
    rng = random.Random(f"payments-{SEED}")
    customers = {c.id: c for c in demo.customers}
    payments: list[PaymentRow] = []
    refunds: list[RefundRow] = []
    for invoice in invoices:
        if invoice.status in CAPTURED:
            assert invoice.paid_at is not None  # settled above
            payment = _payment(rng, invoice, customers[invoice.customer_id], at=invoice.paid_at)
            payment.bank_charge_id = f"ch_demo_{payment.id.removeprefix('pay_')}"
            payments.append(payment)
            if invoice.status == "REFUNDED":
                refunds.append(_refund(rng, payment, at=invoice.paid_at + REFUNDED_AFTER))
        elif invoice.status == "OPEN" and invoice.subscription_id is not None:
            assert invoice.issued_at is not None
            payment = _payment(rng, invoice, customers[invoice.customer_id],
                               at=invoice.issued_at + timedelta(hours=1))  # fmt: skip
            payment.status, payment.decline_code = "DECLINED", DECLINE_CODE
            payment.message = DECLINE_MESSAGE
            payments.append(payment)
    return payments, refunds


def _payment(
    rng: random.Random, invoice: InvoiceRow, customer: DemoCustomer, *, at: datetime
) -> PaymentRow:
    card = next(pm for pm in customer.payment_methods if pm.is_default)
    payment_id = new_id("pay", at=at, rng=rng)
    return PaymentRow(
        id=payment_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        payment_method_id=card.id,
        bank_token=card.token,
        receipt_email=customer.email,
        bank_key=payment_id,
        amount=invoice.total,
        currency=invoice.currency,
        status="SUCCEEDED",
        amount_refunded=0,
        refund_reserved=0,
        created_at=at,
        updated_at=at,
    )


def _refund(rng: random.Random, payment: PaymentRow, *, at: datetime) -> RefundRow:
    """All of ``payment`` back: the payment is REFUNDED, as its invoice."""
    refund_id = new_id("rfd", at=at, rng=rng)
    payment.status, payment.amount_refunded, payment.updated_at = "REFUNDED", payment.amount, at
    return RefundRow(
        id=refund_id,
        payment_id=payment.id,
        invoice_id=payment.invoice_id,
        bank_key=refund_id,
        bank_refund_id=f"re_demo_{refund_id.removeprefix('rfd_')}",
        amount=payment.amount,
        currency=payment.currency,
        status="SUCCEEDED",
        created_at=at,
        updated_at=at,
    )
