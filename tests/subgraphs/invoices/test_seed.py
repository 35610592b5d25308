"""The demo invoices: derived from the demo world's orders and subscriptions, deterministically."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import world
from subgraphs.common.serve import prepare_database, seed_database
from subgraphs.common.settings import SubgraphSettings
from subgraphs.invoices.models import (
    IdempotencyKey,
    InvoiceLineRow,
    InvoiceRow,
    PaymentRow,
    RefundRow,
)
from subgraphs.invoices.seed import bank_ledger, billing_keys, demo_invoices, demo_payments, seed
from subgraphs.invoices.tax import rate_for, totals
from subgraphs.subscriptions.billing import charge_key, invoice_key
from subgraphs.subscriptions.runs import RunView
from tests.support.databases import fresh_database

ORDER_TO_INVOICE = {"PAID": "PAID", "REFUNDED": "REFUNDED", "PLACED": "OPEN", "CANCELLED": "VOID"}
SUBSCRIPTION_TO_INVOICE = {"ACTIVE": "PAID", "PAST_DUE": "OPEN"}


def test_same_invoices_every_time() -> None:
    first, again = demo_invoices(world()), demo_invoices(world())
    assert [(r.id, r.number, r.total) for r in first] == [(r.id, r.number, r.total) for r in again]


def test_numbers_are_unique_and_count_up_in_order_of_issue() -> None:
    rows = demo_invoices(world())
    numbers = [r.number for r in rows]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"INV-\d{4}-\d{6}", n) for n in numbers)
    assert numbers[0] == "INV-2026-000001"
    issued = [r.issued_at for r in rows if r.issued_at is not None]
    assert issued == sorted(issued)
    assert len(issued) == len(rows)
    assert all(r.id.startswith("inv_") for r in rows)


def test_one_invoice_per_order_with_its_lines_and_status() -> None:
    by_order = {r.order_id: r for r in demo_invoices(world()) if r.order_id}
    countries = {c.id: c.country for c in world().customers}
    assert len(by_order) == len(world().orders)
    for order in world().orders:
        row = by_order[order.id]
        assert row.customer_id == order.customer_id
        assert row.status == ORDER_TO_INVOICE[order.status]
        assert (row.paid_at is not None) == (row.status in ("PAID", "REFUNDED"))
        assert row.subtotal == order.total
        assert [(line.description, line.quantity, line.unit_amount) for line in row.lines] == [
            (line.product_name, line.quantity, line.unit_price) for line in order.lines
        ]
        assert row.tax_rate_basis_points == rate_for(countries[order.customer_id]).basis_points


def test_one_invoice_per_billed_subscription_period() -> None:
    by_subscription = {r.subscription_id: r for r in demo_invoices(world()) if r.subscription_id}
    plans = {p.id: p for p in world().plans}
    for sub in world().subscriptions:
        row = by_subscription.get(sub.id)
        if sub.status not in SUBSCRIPTION_TO_INVOICE:  # TRIALING and CANCELED bill nothing
            assert row is None
            continue
        assert row is not None
        plan = plans[sub.plan_id]
        assert row.status == SUBSCRIPTION_TO_INVOICE[sub.status]
        assert (row.period_start, row.period_end) == (
            sub.current_period_start,
            sub.current_period_end,
        )
        assert (row.currency, row.subtotal) == (plan.currency, plan.price)
        assert len(row.lines) == 1
        assert row.lines[0].quantity == 1


def test_every_invoice_keeps_the_amount_rules() -> None:
    for row in demo_invoices(world()):
        assert all(line.amount == line.quantity * line.unit_amount for line in row.lines)
        sums = totals((line.amount for line in row.lines), row.tax_rate_basis_points)
        assert (row.subtotal, row.tax, row.total) == (sums.subtotal, sums.tax, sums.total)


def test_every_paid_invoice_has_its_payment_and_a_refunded_one_its_refund() -> None:
    invoices = demo_invoices(world())
    payments, refunds = demo_payments(world(), invoices)
    by_invoice: dict[str, list[PaymentRow]] = {}
    for payment in payments:
        by_invoice.setdefault(payment.invoice_id, []).append(payment)
    refunded = {r.payment_id: r for r in refunds}
    defaults = {pm.id for c in world().customers for pm in c.payment_methods if pm.is_default}
    for invoice in invoices:
        paid = by_invoice.get(invoice.id, [])
        if invoice.status in ("PAID", "REFUNDED"):
            [payment] = paid
            assert (payment.amount, payment.currency) == (invoice.total, invoice.currency)
            assert payment.created_at == invoice.paid_at
            assert payment.bank_charge_id is not None
            assert payment.payment_method_id in defaults
            assert payment.customer_id == invoice.customer_id
            expected = "REFUNDED" if invoice.status == "REFUNDED" else "SUCCEEDED"
            assert payment.status == expected
            assert payment.amount_refunded == (payment.amount if expected == "REFUNDED" else 0)
            assert (payment.id in refunded) == (expected == "REFUNDED")
        elif invoice.status == "OPEN" and invoice.subscription_id:  # past due: declined
            sub = next(s for s in world().subscriptions if s.id == invoice.subscription_id)
            assert [(p.status, p.decline_code, p.created_at) for p in paid] == [
                ("DECLINED", "insufficient_funds", at) for at in sub.declined_at
            ]  # one per attempt of its dunning so far
            assert all(p.bank_charge_id for p in paid)  # the bank answered each
        else:
            assert paid == []
    assert len(refunds) == sum(1 for o in world().orders if o.status == "REFUNDED") > 0


def test_billed_periods_are_recorded_under_the_billing_keys_of_the_subscriptions_service() -> None:
    demo = world()
    invoices = demo_invoices(demo)
    payments, _ = demo_payments(demo, invoices)
    keys = {(k.operation, k.key): k.resource_id for k in billing_keys(demo, payments)}
    billed = [s for s in demo.subscriptions if s.invoice_id]
    for sub in billed:
        run = RunView(
            id="bil_x", subscription_id=sub.id, subscription_status=sub.status,
            customer_id=sub.customer_id, plan_name="", period_start=sub.current_period_start,
            period_end=sub.current_period_end, amount=0, currency="EUR", description="",
            status="PAID", invoice_id=sub.invoice_id, attempts=0,
        )  # fmt: skip
        assert keys[("issueInvoice", invoice_key(run))] == sub.invoice_id
        charged = sorted((p for p in payments if p.invoice_id == sub.invoice_id),
                         key=lambda p: p.created_at)  # fmt: skip
        for attempt, payment in enumerate(charged):
            key = charge_key(replace(run, attempts=attempt))
            assert keys[("payInvoice", key)] == payment.id
    assert len(keys) == len(billed) + sum(1 for p in payments if p.invoice_id in
                                          {s.invoice_id for s in billed})  # fmt: skip


def test_the_banks_ledger_is_every_charge_and_refund_the_payments_recorded() -> None:
    payments, refunds = demo_payments(world(), demo_invoices(world()))
    charges, made = bank_ledger(world())
    assert [(c.id, c.key, c.amount, c.reference) for c in charges] == [
        (p.bank_charge_id, p.bank_key, p.amount, p.invoice_id) for p in payments
    ]
    assert [c.status for c in charges] == [
        "declined" if p.status == "DECLINED" else "succeeded" for p in payments
    ]
    assert [(r.id, r.key, r.amount, r.reference) for r in made] == [
        (r.bank_refund_id, r.bank_key, r.amount, r.payment_id) for r in refunds
    ]


async def _check_counts(session: AsyncSession) -> bool:
    """Run as a seed function: checks what is stored and inserts nothing."""
    invoices = await session.scalar(select(func.count()).select_from(InvoiceRow))
    lines = await session.scalar(select(func.count()).select_from(InvoiceLineRow))
    expected = demo_invoices(world())
    assert invoices == len(expected)
    assert lines == sum(len(r.lines) for r in expected)
    payments, refunds = demo_payments(world(), expected)
    assert await session.scalar(select(func.count()).select_from(PaymentRow)) == len(payments)
    assert await session.scalar(select(func.count()).select_from(RefundRow)) == len(refunds)
    keys = await session.scalar(select(func.count()).select_from(IdempotencyKey))
    assert keys == len(billing_keys(world(), payments))
    return False


async def test_seeding_twice_inserts_once(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, "invoices", tmp_path) as url:
        settings = SubgraphSettings.for_service("invoices", database_url=url)
        await asyncio.to_thread(prepare_database, settings, None)
        assert await seed_database(url, seed) is True
        assert await seed_database(url, seed) is False
        await seed_database(url, _check_counts)
