"""Derive the invoices of the demo world from its orders and subscription periods.

One invoice per order: PAID or REFUNDED orders were paid at checkout (PAID), PLACED ones
wait for payment (OPEN), CANCELLED ones were voided (VOID); a refund is a separate record
and leaves the invoice PAID. One invoice per subscription for its current period at the
plan's price: ACTIVE is PAID, PAST_DUE is OPEN; TRIALING has nothing billed yet and
CANCELED bills no current period, so neither gets one. Tax follows the customer's country.
Ids come from a seeded generator and numbers count up per year in order of issue, so the
same invoices appear on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import SEED, DemoOrder, DemoSubscription, DemoWorld, world
from subgraphs.common.ids import new_id

from .models import InvoiceRow
from .repository import LineData, build_invoice, invoice_number
from .tax import rate_for

PAYMENT_TERMS = timedelta(days=14)
ORDER_STATUS = {"PAID": "PAID", "REFUNDED": "PAID", "PLACED": "OPEN", "CANCELLED": "VOID"}
SUBSCRIPTION_STATUS = {"ACTIVE": "PAID", "PAST_DUE": "OPEN"}


async def seed(session: AsyncSession) -> bool:
    """Insert the demo invoices unless the table has rows already; True if it seeded."""
    if await session.scalar(select(func.count()).select_from(InvoiceRow)):
        return False
    session.add_all(demo_invoices(world()))
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
    row.paid_at = paid_at if status == "PAID" else None
