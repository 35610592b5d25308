"""Billing runs in the database: opened once per period, leased, settled; session passed in.

Times come in two kinds: ``as_of`` is business time (the billing clock, possibly simulated),
``wall`` is the real time leases are measured in.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.dunning import retry_at
from subgraphs.common.ids import new_id

from .models import BillingRunRow, PlanRow, SubscriptionRow
from .periods import next_period
from .proration import Line

BILLABLE = ("ACTIVE", "TRIALING")
PERIOD = "period"  # the kind of a period's own run; a plan change's is "change:<id>"
OPEN = ("PENDING", "RETRYING")


@dataclass(frozen=True, slots=True)
class RunView:
    """What processing a run needs, read out of the rows while the session holds them."""

    id: str
    subscription_id: str
    subscription_status: str
    customer_id: str
    plan_name: str
    period_start: date
    period_end: date
    amount: int
    currency: str
    description: str
    status: str
    invoice_id: str | None
    attempts: int
    kind: str = PERIOD
    lines: tuple[tuple[str, int], ...] = ()

    def invoice_lines(self) -> tuple[tuple[str, int], ...]:
        """``(description, amount)`` of each invoice line."""
        return self.lines or ((self.description, self.amount),)


@dataclass(frozen=True, slots=True)
class Ended:
    """A subscription that ended with its period (it was set to cancel at period end)."""

    subscription_id: str
    customer_id: str
    plan_name: str
    ended_on: date


def _finished(as_of: datetime) -> list[ColumnElement[bool]]:
    return [
        SubscriptionRow.status.in_(BILLABLE),
        SubscriptionRow.cancel_at_period_end.is_(True),
        SubscriptionRow.current_period_end <= as_of.date(),
    ]


async def finished_subscriptions(session: AsyncSession, *, as_of: datetime) -> list[Ended]:
    """Live subscriptions flagged to end with their period, whose period is over."""
    stmt = (
        select(
            SubscriptionRow.id,
            SubscriptionRow.customer_id,
            PlanRow.name,
            SubscriptionRow.current_period_end,
        )
        .join(PlanRow, PlanRow.id == SubscriptionRow.plan_id)
        .where(*_finished(as_of))
        .order_by(SubscriptionRow.id)
    )
    return [Ended(*row) for row in (await session.execute(stmt)).all()]


async def end_subscription(session: AsyncSession, *, ended: Ended, as_of: datetime) -> bool:
    """Cancel one finished subscription, nothing billed; False if it changed meanwhile."""
    result: Any = await session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.id == ended.subscription_id, *_finished(as_of))
        .values(status="CANCELED", canceled_at=as_of, cancel_at_period_end=False)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


async def open_due_runs(session: AsyncSession, *, as_of: datetime, wall: datetime) -> int:
    """One PENDING run for each billable subscription whose period has ended; 0 if known.

    ``INSERT … ON CONFLICT DO NOTHING`` on the (subscription, period start) constraint: a
    period another scheduler opened first is left alone, on either backend.
    """
    due = (
        select(SubscriptionRow, PlanRow)
        .join(PlanRow, PlanRow.id == SubscriptionRow.plan_id)
        .where(
            SubscriptionRow.status.in_(BILLABLE),
            SubscriptionRow.cancel_at_period_end.is_(False),
            SubscriptionRow.current_period_end <= as_of.date(),
        )
        .order_by(SubscriptionRow.id)
    )
    opened = 0
    for sub, plan in (await session.execute(due)).all():
        period = next_period(sub.current_period_end, plan.interval, sub.billing_anchor)
        opened += await open_period_run(
            session, sub=sub, plan=plan, start=period.start, end=period.end, as_of=as_of, wall=wall
        )
    return opened


async def open_period_run(
    session: AsyncSession,
    *,
    sub: SubscriptionRow,
    plan: PlanRow,
    start: date,
    end: date,
    as_of: datetime,
    wall: datetime,
) -> int:
    """The run of one period at the plan's price, less any credit the subscription holds;
    1 if this call opened it, 0 if it existed already (another scheduler was first)."""
    charge = Line(f"{plan.name}, {start} to {end}", plan.price)
    credit = min(sub.credit_balance or 0, plan.price)
    lines = (charge, Line("Credit from an earlier plan change", -credit)) if credit else (charge,)
    opened = await open_run(
        session, sub_id=sub.id, currency=plan.currency, start=start, end=end, kind=PERIOD,
        lines=lines, as_of=as_of, wall=wall,
    )  # fmt: skip
    if opened and credit:
        await session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == sub.id)
            .values(credit_balance=SubscriptionRow.credit_balance - credit)
            .execution_options(synchronize_session=False)
        )
        sub.credit_balance = (sub.credit_balance or 0) - credit
    return opened


async def open_run(
    session: AsyncSession,
    *,
    sub_id: str,
    currency: str,
    start: date,
    end: date,
    kind: str,
    lines: Sequence[Line],
    as_of: datetime,
    wall: datetime,
) -> int:
    """A PENDING run billing ``lines``; 1 if opened, 0 if (sub, start, kind) existed."""
    values = {
        "id": new_id("bil", at=wall),
        "subscription_id": sub_id,
        "period_start": start,
        "period_end": end,
        "kind": kind,
        "amount": sum(line.amount for line in lines),
        "currency": currency,
        "description": lines[0].description[:200],
        "lines": json.dumps([[line.description, line.amount] for line in lines]),
        "status": "PENDING",
        "attempts": 0,
        "next_attempt_at": as_of,
        "created_at": wall,
        "updated_at": wall,
    }
    result: Any = await session.execute(_insert_ignoring_duplicates(session, values))
    return max(int(result.rowcount), 0)


def _insert_ignoring_duplicates(session: AsyncSession, values: dict[str, Any]) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(BillingRunRow)
        .values(values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "period_start", "kind"])
    )


async def claim_due_runs(
    session: AsyncSession,
    *,
    as_of: datetime,
    wall: datetime,
    worker: str,
    lease: timedelta,
    skip: Collection[str] = (),
    subscription_id: str | None = None,
) -> list[str]:
    """Lease every open run that is due to this worker (of one subscription, if given); runs
    another worker holds are skipped."""
    only = [BillingRunRow.subscription_id == subscription_id] if subscription_id else []
    stmt = (
        select(BillingRunRow.id)
        .where(
            BillingRunRow.status.in_(OPEN),
            BillingRunRow.id.not_in(list(skip)),
            BillingRunRow.next_attempt_at <= as_of,
            or_(BillingRunRow.lease_until.is_(None), BillingRunRow.lease_until < wall),
            *only,
        )
        .order_by(BillingRunRow.id)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(stmt)).scalars())
    if ids:
        await session.execute(
            update(BillingRunRow)
            .where(BillingRunRow.id.in_(ids))
            .values(lease_owner=worker, lease_until=wall + lease)
            .execution_options(synchronize_session=False)
        )
    return ids


async def load_run(session: AsyncSession, *, run_id: str) -> RunView:
    stmt = (
        select(BillingRunRow, SubscriptionRow, PlanRow)
        .join(SubscriptionRow, SubscriptionRow.id == BillingRunRow.subscription_id)
        .join(PlanRow, PlanRow.id == SubscriptionRow.plan_id)
        .where(BillingRunRow.id == run_id)
    )
    run, sub, plan = (await session.execute(stmt)).one()
    return RunView(
        id=run.id,
        subscription_id=sub.id,
        subscription_status=sub.status,
        customer_id=sub.customer_id,
        plan_name=plan.name,
        period_start=run.period_start,
        period_end=run.period_end,
        amount=run.amount,
        currency=run.currency,
        description=run.description,
        status=run.status,
        invoice_id=run.invoice_id,
        attempts=run.attempts,
        kind=run.kind,
        lines=tuple((str(d), int(a)) for d, a in json.loads(run.lines)) if run.lines else (),
    )


def _mine(run_id: str, worker: str) -> list[ColumnElement[bool]]:
    return [BillingRunRow.id == run_id, BillingRunRow.lease_owner == worker]


async def record_invoice(
    session: AsyncSession, *, run_id: str, worker: str, invoice_id: str, wall: datetime
) -> None:
    await session.execute(
        update(BillingRunRow)
        .where(*_mine(run_id, worker), BillingRunRow.invoice_id.is_(None))
        .values(invoice_id=invoice_id, updated_at=wall)
    )


async def release(
    session: AsyncSession, *, run_id: str, worker: str, wall: datetime, message: str | None
) -> None:
    """Give the lease back without an outcome; the next cycle picks the run up again."""
    await session.execute(
        update(BillingRunRow)
        .where(*_mine(run_id, worker))
        .values(lease_owner=None, lease_until=None, failure_message=message, updated_at=wall)
    )


async def close_canceled(
    session: AsyncSession, *, run: RunView, worker: str, wall: datetime
) -> bool:
    """The subscription was canceled before its run was charged: the run is dropped."""
    return await _settle(session, run, worker, wall, status="CANCELED")


async def settle_paid(
    session: AsyncSession, *, run: RunView, worker: str, as_of: datetime, wall: datetime
) -> bool:
    """The period is paid: the run is PAID, the subscription ACTIVE in that period."""
    if not await _settle(session, run, worker, wall, status="PAID", failure_reason=None):
        return False
    await _advance(session, run, status="ACTIVE")
    return True


@dataclass(frozen=True, slots=True)
class Declined:
    gave_up: bool
    attempts: int
    next_attempt_at: datetime | None


async def settle_declined(
    session: AsyncSession,
    *,
    run: RunView,
    worker: str,
    as_of: datetime,
    wall: datetime,
    reason: str,
    message: str,
) -> Declined | None:
    """A declined charge: retry on the dunning schedule, or give up and cancel."""
    attempts = run.attempts + 1
    started = await session.scalar(
        select(BillingRunRow.dunning_started_at).where(BillingRunRow.id == run.id)
    )
    started = started or as_of
    next_at = retry_at(started, attempts)
    gave_up = next_at is None
    settled = await _settle(
        session,
        run,
        worker,
        wall,
        status="FAILED" if gave_up else "RETRYING",
        attempts=attempts,
        dunning_started_at=started,
        next_attempt_at=next_at or as_of,
        failure_reason=reason[:64],
        failure_message=message[:300],
    )
    if not settled:
        return None
    if gave_up:
        await session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == run.subscription_id, SubscriptionRow.status != "CANCELED")
            .values(status="CANCELED", canceled_at=as_of, cancel_at_period_end=False)
        )
    else:
        await _advance(session, run, status="PAST_DUE")
    return Declined(gave_up=gave_up, attempts=attempts, next_attempt_at=next_at)


async def _settle(
    session: AsyncSession, run: RunView, worker: str, wall: datetime, **values: Any
) -> bool:
    """Write the run's outcome if this worker still holds it; False if it lost the lease."""
    result: Any = await session.execute(
        update(BillingRunRow)
        .where(*_mine(run.id, worker), BillingRunRow.status.in_(OPEN))
        .values(lease_owner=None, lease_until=None, updated_at=wall, **values)
    )
    return bool(result.rowcount == 1)


async def _advance(session: AsyncSession, run: RunView, *, status: str) -> None:
    """Move the subscription into the run's period (never backwards, never out of CANCELED).

    A plan change's run only sets the status: the change itself set the period.
    """
    sub = SubscriptionRow
    if run.kind != PERIOD:
        await session.execute(
            update(sub)
            .where(sub.id == run.subscription_id, sub.status != "CANCELED")
            .values(status=status)
        )
        return
    await session.execute(
        update(sub)
        .where(
            sub.id == run.subscription_id,
            sub.status != "CANCELED",
            sub.current_period_start <= run.period_start,
        )
        .values(
            status=status,
            current_period_start=run.period_start,
            current_period_end=run.period_end,
        )
    )
    await session.execute(
        update(sub)
        .where(sub.id == run.subscription_id, sub.billing_anchor.is_(None))
        .values(billing_anchor=run.period_start)
    )
