"""Queries and changes of the invoices service; the session is always passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.ids import check_customer_id, new_id
from subgraphs.common.money import check_amount, check_currency, check_signed_amount
from subgraphs.common.pagination import PageArgs, fetch_child_pages, fetch_page

from .models import InvoiceLineRow, InvoiceRow, PaymentRow
from .tax import line_amount, totals

STATUSES = ("DRAFT", "OPEN", "PAID", "VOID", "PARTIALLY_REFUNDED", "REFUNDED")
VOIDABLE = ("DRAFT", "OPEN")
PAYMENT_TERMS = timedelta(days=14)
MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class LineData:
    """One line as a caller describes it; its currency must be the invoice's."""

    description: str
    quantity: int
    unit_amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class Billed:
    """What an issued invoice bills besides its lines: an order or a subscription period."""

    order_id: str | None = None
    subscription_id: str | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    status: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    """An amount owed in one currency."""

    currency: str
    amount: int


def invoice_number(year: int, sequence: int) -> str:
    """The human-facing number, e.g. ``INV-2026-000123``."""
    return f"INV-{year}-{sequence:06d}"


def build_invoice(
    *,
    invoice_id: str,
    number: str,
    customer_id: str,
    currency: str,
    lines: Sequence[LineData],
    basis_points: int,
    created_at: datetime,
) -> InvoiceRow:
    """A DRAFT invoice with its lines and amounts; BAD_USER_INPUT if a rule is broken."""
    currency = check_currency(currency)
    if not lines:
        raise BadUserInput("An invoice needs at least one line.", field="lines")
    line_rows = [_line_row(position, line, currency) for position, line in enumerate(lines)]
    sums = totals((row.amount for row in line_rows), basis_points)
    check_amount(sums.total, field="total")
    return InvoiceRow(
        id=invoice_id,
        number=number,
        customer_id=customer_id,
        currency=currency,
        subtotal=sums.subtotal,
        tax=sums.tax,
        tax_rate_basis_points=basis_points,
        total=sums.total,
        status="DRAFT",
        created_at=created_at,
        lines=line_rows,
    )


async def issue_invoice(
    session: AsyncSession,
    *,
    customer_id: str,
    currency: str,
    lines: Sequence[LineData],
    basis_points: int,
    billed: Billed,
    now: datetime,
) -> InvoiceRow:
    """An OPEN invoice, numbered next in its year and due in ``PAYMENT_TERMS``."""
    check_customer_id(customer_id)
    _check_period(billed)
    row = build_invoice(
        invoice_id=new_id("inv", at=now),
        number=await _next_number(session, now.year),
        customer_id=customer_id,
        currency=currency,
        lines=lines,
        basis_points=basis_points,
        created_at=now,
    )
    # Nothing to pay (credits cover the charges): the invoice is settled as it is issued.
    row.status = "OPEN" if row.total > 0 else "PAID"
    row.paid_at = None if row.total > 0 else now
    row.issued_at = now
    row.due_date = (now + PAYMENT_TERMS).date()
    row.order_id = billed.order_id
    row.subscription_id = billed.subscription_id
    row.period_start = billed.period_start
    row.period_end = billed.period_end
    session.add(row)
    await session.flush()
    return row


def _check_period(billed: Billed) -> None:
    if (billed.period_start is None) != (billed.period_end is None):
        raise BadUserInput("Give both periodStart and periodEnd, or neither.", field="periodEnd")
    if billed.period_start and billed.period_end and billed.period_end <= billed.period_start:
        raise BadUserInput("periodEnd must come after periodStart.", field="periodEnd")
    for field, value in (("orderId", billed.order_id), ("subscriptionId", billed.subscription_id)):
        if value is not None and not 1 <= len(value) <= 40:
            raise BadUserInput(f"{field} must be 1 to 40 characters.", field=field)


async def _next_number(session: AsyncSession, year: int) -> str:
    """The next free number of ``year``; numbering is serialised per database."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(0x1A7_0CE5)))
    prefix = invoice_number(year, 0)[:-6]
    last = await session.scalar(
        select(func.max(InvoiceRow.number)).where(InvoiceRow.number.like(f"{prefix}%"))
    )
    return invoice_number(year, int(last[len(prefix) :]) + 1 if last else 1)


def _line_row(position: int, line: LineData, currency: str) -> InvoiceLineRow:
    if check_currency(line.currency) != currency:
        raise BadUserInput(
            f"Line {position + 1} is in {line.currency}; every line must be in {currency}.",
            field="lines.currency",
        )
    if line.quantity < 1:
        raise BadUserInput("quantity must be at least 1.", field="lines.quantity")
    description = line.description.strip()
    if not description or len(description) > 200:
        raise BadUserInput("description must be 1 to 200 characters.", field="lines.description")
    # A negative line is a credit (e.g. the unused part of a plan); the total must not be.
    unit_amount = check_signed_amount(line.unit_amount, field="unitAmount")
    return InvoiceLineRow(
        position=position,
        description=description,
        quantity=line.quantity,
        unit_amount=unit_amount,
        amount=check_signed_amount(line_amount(line.quantity, unit_amount), field="amount"),
    )


async def invoices_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[InvoiceRow]:
    stmt = select(InvoiceRow).where(InvoiceRow.id.in_(ids))
    return list((await session.execute(stmt)).scalars().all())


async def lines_by_invoice_ids(
    session: AsyncSession, *, invoice_ids: Sequence[str]
) -> dict[str, list[InvoiceLineRow]]:
    """The lines of many invoices, in order, in one statement."""
    stmt = (
        select(InvoiceLineRow)
        .where(InvoiceLineRow.invoice_id.in_(invoice_ids))
        .order_by(InvoiceLineRow.invoice_id, InvoiceLineRow.position)
    )
    lines: dict[str, list[InvoiceLineRow]] = {invoice_id: [] for invoice_id in invoice_ids}
    for line in (await session.execute(stmt)).scalars().all():
        lines[line.invoice_id].append(line)
    return lines


async def invoices_by_order_ids(
    session: AsyncSession, *, order_ids: Sequence[str]
) -> dict[str, InvoiceRow]:
    """Each order's invoice; if an order was invoiced again, the newest invoice wins."""
    stmt = select(InvoiceRow).where(InvoiceRow.order_id.in_(order_ids)).order_by(InvoiceRow.id)
    return {row.order_id: row for row in (await session.execute(stmt)).scalars() if row.order_id}


async def owners_by_subscription_ids(
    session: AsyncSession, *, subscription_ids: Sequence[str]
) -> dict[str, str]:
    """The customer of each subscription that has an invoice here."""
    stmt = (
        select(InvoiceRow.subscription_id, InvoiceRow.customer_id)
        .where(InvoiceRow.subscription_id.in_(subscription_ids))
        .distinct()
    )
    return {sub: customer for sub, customer in (await session.execute(stmt)).all() if sub}


async def invoice_pages_by_customer(
    session: AsyncSession, *, customer_ids: Sequence[str], page: PageArgs, status: str | None
) -> dict[str, list[InvoiceRow]]:
    conditions = [InvoiceRow.status == status] if status is not None else []
    return await fetch_child_pages(
        session, InvoiceRow, InvoiceRow.customer_id, customer_ids, page, *conditions
    )


async def invoice_pages_by_subscription(
    session: AsyncSession, *, subscription_ids: Sequence[str], page: PageArgs
) -> dict[str, list[InvoiceRow]]:
    return await fetch_child_pages(
        session, InvoiceRow, InvoiceRow.subscription_id, subscription_ids, page
    )


async def outstanding_by_customer(
    session: AsyncSession, *, customer_ids: Sequence[str]
) -> dict[str, list[Balance]]:
    """Totals of OPEN invoices per customer and currency, in one GROUP BY statement."""
    stmt = (
        select(InvoiceRow.customer_id, InvoiceRow.currency, func.sum(InvoiceRow.total))
        .where(InvoiceRow.customer_id.in_(customer_ids), InvoiceRow.status == "OPEN")
        .group_by(InvoiceRow.customer_id, InvoiceRow.currency)
        .order_by(InvoiceRow.customer_id, InvoiceRow.currency)
    )
    balances: dict[str, list[Balance]] = {customer_id: [] for customer_id in customer_ids}
    for customer_id, currency, amount in await session.execute(stmt):
        balances[customer_id].append(Balance(currency=currency, amount=int(amount)))
    return balances


async def list_invoices(
    session: AsyncSession, *, page: PageArgs, where: InvoiceFilter
) -> list[InvoiceRow]:
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(InvoiceRow.status == where.status)
    if where.customer_id is not None:
        conditions.append(InvoiceRow.customer_id == where.customer_id)
    return await fetch_page(session, select(InvoiceRow).where(*conditions), InvoiceRow.id, page)


async def get_invoice(session: AsyncSession, *, invoice_id: str) -> InvoiceRow:
    rows = await invoices_by_ids(session, ids=[invoice_id])
    if not rows:
        raise NotFound(f"No invoice with id {invoice_id!r}.", id=invoice_id)
    return rows[0]


async def void_invoice(session: AsyncSession, *, invoice_id: str) -> str:
    """DRAFT or OPEN becomes VOID; a PAID or VOID invoice is a CONFLICT.

    The status is checked in the UPDATE itself, so a concurrent change (a payment landing
    at the same moment) cannot be overwritten; an invoice with a payment still pending at
    the bank cannot be voided either.
    """
    in_flight = exists().where(PaymentRow.invoice_id == invoice_id, PaymentRow.status == "PENDING")
    stmt = (
        update(InvoiceRow)
        .where(InvoiceRow.id == invoice_id, InvoiceRow.status.in_(VOIDABLE), ~in_flight)
        .values(status="VOID")
        .returning(InvoiceRow.id)
        .execution_options(synchronize_session=False)
    )
    if await session.scalar(stmt) is not None:
        return invoice_id
    row = await get_invoice(session, invoice_id=invoice_id)
    if row.status in VOIDABLE:
        raise Conflict(
            f"Invoice {row.number} has a payment pending at the bank; it cannot be voided now.",
            id=invoice_id,
            status=row.status,
            reason="PAYMENT_PENDING",
        )
    raise Conflict(
        f"Invoice {row.number} is {row.status}; only DRAFT or OPEN invoices can be voided.",
        id=invoice_id,
        status=row.status,
    )
