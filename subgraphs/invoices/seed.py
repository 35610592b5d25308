"""Derive the invoices of the demo world, with their payments, from its orders and subscriptions.

One invoice per order: PAID orders were paid at checkout (PAID), REFUNDED ones paid and then
refunded in full (REFUNDED), PLACED ones wait for payment (OPEN), CANCELLED ones were voided
(VOID). One invoice per subscription for its current period at the plan's price: ACTIVE is
PAID, PAST_DUE is OPEN; TRIALING has nothing billed yet and CANCELED bills no current
period, so neither gets one. Tax follows the customer's country. As the payment flows leave
them, every paid invoice has its captured payment (on the customer's default card), a
refunded one also the refund of it all, and a past-due subscription's open invoice one
declined charge per attempt of its dunning so far. Ids come from seeded generators and
numbers count up per year in order of issue, so the same invoices appear on every machine.

The subscriptions' invoices and charges are also recorded under the idempotency keys the
subscriptions service's billing uses, so its next dunning retry of a seeded period reuses
that period's invoice as it would a live one's. The sandbox bank seeds its ledger from
``bank_ledger`` (the same charges and refunds, under the same ids and keys), so a seeded
payment can be refunded and a seeded decline looks declined at the bank too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import (
    DECLINE_CODE,
    DECLINE_MESSAGE,
    SEED,
    DemoCustomer,
    DemoOrder,
    DemoSubscription,
    DemoWorld,
    world,
)
from subgraphs.common.idempotency import fingerprint
from subgraphs.common.ids import new_id

from .models import IdempotencyKey, InvoiceRow, PaymentRow, RefundRow
from .repository import LineData, build_invoice, invoice_number
from .tax import rate_for

PAYMENT_TERMS = timedelta(days=14)
ORDER_STATUS = {"PAID": "PAID", "REFUNDED": "REFUNDED", "PLACED": "OPEN", "CANCELLED": "VOID"}
SUBSCRIPTION_STATUS = {"ACTIVE": "PAID", "PAST_DUE": "OPEN"}
CAPTURED = ("PAID", "REFUNDED")  # invoices whose payment was captured
REFUNDED_AFTER = timedelta(days=3)


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
    session.add_all(billing_keys(demo, payments))
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
        assert sub.invoice_id is not None  # the demo world names every billed period's
        plan = plans[sub.plan_id]
        row = _draft(
            rng,
            customer_id=sub.customer_id,
            country=countries[sub.customer_id],
            currency=plan.currency,
            lines=[LineData(_period_description(plan.name, sub), 1, plan.price, plan.currency)],
            issued_at=sub.invoiced_at,
            invoice_id=sub.invoice_id,
        )
        row.subscription_id = sub.id
        row.period_start = sub.current_period_start
        row.period_end = sub.current_period_end
        _settle(row, status, paid_at=sub.charged_at)
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
    invoice_id: str | None = None,
) -> InvoiceRow:
    row = build_invoice(
        invoice_id=invoice_id or new_id("inv", at=issued_at, rng=rng),
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
    """The payments of ``invoices`` (captured, or the declined attempts of a past-due
    subscription's period) and the refunds of the refunded ones; the same on every call."""
    rng = random.Random(f"payments-{SEED}")
    customers = {c.id: c for c in demo.customers}
    subscriptions = {s.id: s for s in demo.subscriptions}
    payments: list[PaymentRow] = []
    refunds: list[RefundRow] = []
    for invoice in invoices:
        if invoice.status in CAPTURED:
            assert invoice.paid_at is not None  # settled above
            payment = _payment(rng, invoice, customers[invoice.customer_id], at=invoice.paid_at)
            payment.bank_charge_id = _bank_id("ch", payment.id)
            payments.append(payment)
            if invoice.status == "REFUNDED":
                refunds.append(_refund(rng, payment, at=invoice.paid_at + REFUNDED_AFTER))
        elif invoice.status == "OPEN" and invoice.subscription_id is not None:
            for at in subscriptions[invoice.subscription_id].declined_at:
                payment = _payment(rng, invoice, customers[invoice.customer_id], at=at)
                payment.bank_charge_id = _bank_id("ch", payment.id)
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


def _bank_id(prefix: str, ours: str) -> str:
    """The bank's id of the charge or refund ``ours`` made: shaped as the bank makes them
    (time first, so the bank lists them in order with later ones), dated as ours."""
    return f"{prefix}_{ours.split('_', 1)[1]}"


def _refund(rng: random.Random, payment: PaymentRow, *, at: datetime) -> RefundRow:
    """All of ``payment`` back: the payment is REFUNDED, as its invoice."""
    refund_id = new_id("rfd", at=at, rng=rng)
    payment.status, payment.amount_refunded, payment.updated_at = "REFUNDED", payment.amount, at
    return RefundRow(
        id=refund_id,
        payment_id=payment.id,
        invoice_id=payment.invoice_id,
        bank_key=refund_id,
        bank_refund_id=_bank_id("re", refund_id),
        amount=payment.amount,
        currency=payment.currency,
        status="SUCCEEDED",
        created_at=at,
        updated_at=at,
    )


def billing_keys(demo: DemoWorld, payments: list[PaymentRow]) -> list[IdempotencyKey]:
    """The keys the subscriptions service's billing issued and charged each seeded period
    under (``billing.invoice_key`` and ``billing.charge_key`` there), with what they made: a
    retry of the period reuses its invoice, and a repeated attempt its payment."""
    # Here, not at the top: the sandbox bank imports this module for ``bank_ledger`` only,
    # and these would double what its start-up imports.
    import strawberry

    from .issuing import ISSUE
    from .payments import PAY
    from .types import InvoiceLineInput, IssueInvoiceInput

    plans = {p.id: p for p in demo.plans}
    charges: dict[str, list[PaymentRow]] = {}
    for payment in payments:
        charges.setdefault(payment.invoice_id, []).append(payment)
    keys: list[IdempotencyKey] = []
    for sub in demo.subscriptions:
        if sub.invoice_id is None:
            continue
        plan = plans[sub.plan_id]
        line = InvoiceLineInput(
            description=_period_description(plan.name, sub), unit_amount=plan.price, quantity=1
        )
        issued = IssueInvoiceInput(
            customer_id=strawberry.ID(sub.customer_id),
            currency=plan.currency,
            lines=[line],
            subscription_id=strawberry.ID(sub.id),
            period_start=sub.current_period_start,
            period_end=sub.current_period_end,
        )
        base = f"subscription:{sub.id}:{sub.current_period_start}"
        keys.append(_key(ISSUE, f"{base}:invoice", strawberry.asdict(issued), sub.invoice_id,
                         at=sub.invoiced_at))  # fmt: skip
        ordered = sorted(charges.get(sub.invoice_id, []), key=lambda p: p.created_at)
        for attempt, payment in enumerate(ordered):
            payload = {"invoiceId": sub.invoice_id, "paymentMethodId": None}
            keys.append(_key(PAY, f"{base}:charge:{attempt}", payload, payment.id,
                             at=payment.created_at))  # fmt: skip
    return keys


def _key(operation: str, key: str, payload: object, made: str, *, at: datetime) -> IdempotencyKey:
    return IdempotencyKey(
        operation=operation, key=key, fingerprint=fingerprint(payload), resource_id=made,
        created_at=at,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class LedgerCharge:
    """A demo charge as the bank recorded it: ``key`` is the payment's Idempotency-Key,
    ``reference`` its invoice, ``status`` ``succeeded`` or ``declined``."""

    id: str
    key: str
    token: str
    amount: int
    currency: str
    reference: str
    status: str
    decline_code: str | None
    amount_refunded: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LedgerRefund:
    """A demo refund as the bank recorded it (``reference``: the payment refunded)."""

    id: str
    key: str
    charge_id: str
    amount: int
    currency: str
    reference: str
    created_at: datetime


def bank_ledger(demo: DemoWorld) -> tuple[list[LedgerCharge], list[LedgerRefund]]:
    """What the sandbox bank holds of the demo's payments: each one's charge and each
    refund, under the ids and keys the invoices service recorded."""
    payments, refunds = demo_payments(demo, demo_invoices(demo))
    charges = [
        LedgerCharge(
            id=p.bank_charge_id,
            key=p.bank_key,
            token=p.bank_token,
            amount=p.amount,
            currency=p.currency,
            reference=p.invoice_id,
            status="declined" if p.status == "DECLINED" else "succeeded",
            decline_code=p.decline_code,
            amount_refunded=p.amount_refunded,
            created_at=p.created_at,
        )
        for p in payments
        if p.bank_charge_id is not None
    ]
    by_payment = {p.id: p for p in payments}
    made = [
        LedgerRefund(
            id=r.bank_refund_id,
            key=r.bank_key,
            charge_id=str(by_payment[r.payment_id].bank_charge_id),
            amount=r.amount,
            currency=r.currency,
            reference=r.payment_id,
            created_at=r.created_at,
        )
        for r in refunds
        if r.bank_refund_id is not None
    ]
    return charges, made
