"""Queries and changes of the subscriptions service; the session is always passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.ids import check_customer_id, new_id
from subgraphs.common.months import add_intervals
from subgraphs.common.pagination import PageArgs, fetch_child_pages, fetch_page

from . import runs
from .models import BillingRunRow, PlanRow, SubscriptionRow
from .periods import first_period
from .proration import Priced, plan_change

CANCELED = "CANCELED"
# A subscription's plan, joined into the statement that loads the subscription.
WITH_PLAN = joinedload(SubscriptionRow.plan)


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    status: str | None = None
    customer_id: str | None = None
    plan_id: str | None = None


async def plans_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[PlanRow]:
    stmt = select(PlanRow).where(PlanRow.id.in_(ids))
    return list((await session.execute(stmt)).scalars().all())


async def list_plans(session: AsyncSession, *, active_only: bool) -> list[PlanRow]:
    stmt = select(PlanRow).order_by(PlanRow.id)
    if active_only:
        stmt = stmt.where(PlanRow.active.is_(True))
    return list((await session.execute(stmt)).scalars().all())


async def subscriptions_by_ids(
    session: AsyncSession, *, ids: Sequence[str]
) -> list[SubscriptionRow]:
    """Subscriptions with their plans: one statement however many ids."""
    stmt = select(SubscriptionRow).where(SubscriptionRow.id.in_(ids)).options(WITH_PLAN)
    return list((await session.execute(stmt)).scalars().all())


async def list_subscriptions(
    session: AsyncSession, *, page: PageArgs, where: SubscriptionFilter
) -> list[SubscriptionRow]:
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(SubscriptionRow.status == where.status)
    if where.customer_id is not None:
        conditions.append(SubscriptionRow.customer_id == where.customer_id)
    if where.plan_id is not None:
        conditions.append(SubscriptionRow.plan_id == where.plan_id)
    stmt = select(SubscriptionRow).where(*conditions).options(WITH_PLAN)
    return await fetch_page(session, stmt, SubscriptionRow.id, page)


async def subscriptions_of_customers(
    session: AsyncSession, *, customer_ids: Sequence[str], page: PageArgs, status: str | None
) -> dict[str, list[SubscriptionRow]]:
    """One page of subscriptions per customer, with their plans, in one statement."""
    conditions = [SubscriptionRow.status == status] if status is not None else []
    return await fetch_child_pages(
        session,
        SubscriptionRow,
        SubscriptionRow.customer_id,
        customer_ids,
        page,
        *conditions,
        options=[WITH_PLAN],
    )


async def subscribe(
    session: AsyncSession, *, customer_id: str, plan_id: str, now: datetime | None = None
) -> SubscriptionRow:
    """Start a subscription: a trial if the plan has one, else a first period, whose billing
    run is opened here (the caller bills it at once; a scheduler would otherwise)."""
    check_customer_id(customer_id)
    plan = await _get_active_plan(session, plan_id)
    await _ensure_not_subscribed(session, customer_id=customer_id, plan_id=plan.id)
    now = now or datetime.now(UTC)
    period = first_period(now.date(), plan.interval, plan.trial_days)
    row = SubscriptionRow(
        id=new_id("sub", at=now),
        customer_id=customer_id,
        plan_id=plan.id,
        status="TRIALING" if period.trial_end else "ACTIVE",
        current_period_start=period.start,
        current_period_end=period.end,
        trial_end=period.trial_end,
        billing_anchor=period.trial_end or period.start,
        cancel_at_period_end=False,
        canceled_at=None,
        created_at=now,
    )
    session.add(row)
    await _flush_live(session, customer_id=customer_id, plan_id=plan.id)
    if period.trial_end is None:
        await runs.open_period_run(
            session, sub=row, plan=plan, start=period.start, end=period.end, as_of=now,
            wall=datetime.now(UTC),
        )  # fmt: skip
    return row


async def cancel_subscription(
    session: AsyncSession,
    *,
    subscription_id: str,
    at_period_end: bool,
    now: datetime | None = None,
) -> SubscriptionRow:
    """Cancel now (status CANCELED), or flag the subscription to end with its period."""
    row = await get_subscription(session, subscription_id=subscription_id)
    _ensure_live(row, "cancel")
    if at_period_end:
        row.cancel_at_period_end = True
    else:
        row.status = CANCELED
        row.canceled_at = now or datetime.now(UTC)
        row.cancel_at_period_end = False
    await session.flush()
    return row


async def change_plan(
    session: AsyncSession, *, subscription_id: str, plan_id: str, now: datetime | None = None
) -> tuple[SubscriptionRow, bool]:
    """Move a subscription to another plan of the same currency, now, prorated; the row, and
    whether a charge for the change was opened (the caller bills it at once).

    See ``proration``: the unused part of the old plan is credited (unless its period is
    still unpaid), the new plan charged for the rest of the period (same interval) or for a
    new period from today (another interval, a new billing anchor). A downgrade's net credit
    is kept for the next period invoices. A running trial just switches plans.
    """
    row = await get_subscription(session, subscription_id=subscription_id)
    _ensure_live(row, "change the plan of")
    plan = await _get_active_plan(session, plan_id)
    if plan.id == row.plan_id:
        raise BadUserInput("The subscription is already on this plan.", field="planId")
    if plan.currency != row.plan.currency:
        raise BadUserInput(
            f"Cannot change from a {row.plan.currency} plan to a {plan.currency} plan.",
            field="planId",
        )
    await _ensure_not_subscribed(session, customer_id=row.customer_id, plan_id=plan.id)
    moment = now or datetime.now(UTC)
    opened = False
    if row.status != "TRIALING":
        opened = await _prorate(session, row, plan, moment)
    row.plan_id = plan.id
    row.plan = plan
    await _flush_live(session, customer_id=row.customer_id, plan_id=plan.id)
    return row, opened


async def _prorate(
    session: AsyncSession, row: SubscriptionRow, plan: PlanRow, now: datetime
) -> bool:
    today = now.date()
    if today >= row.current_period_end:
        raise Conflict(
            f"Subscription {row.id}'s period ended on {row.current_period_end} and is not "
            "renewed yet (it is past due); its plan can change once it is paid.",
            id=row.id,
            reason="PERIOD_NOT_RENEWED",
        )
    other_interval = plan.interval != row.plan.interval
    change = plan_change(
        Priced(row.plan.name, row.plan.price),
        Priced(plan.name, plan.price),
        start=row.current_period_start,
        end=row.current_period_end,
        today=today,
        new_end=add_intervals(today, plan.interval) if other_interval else None,
        credit_old=not await _period_unpaid(session, row),
    )
    if other_interval:
        row.current_period_start, row.current_period_end = change.period_start, change.period_end
        row.billing_anchor = today
    if change.net < 0:
        row.credit_balance = (row.credit_balance or 0) - change.net
        return False
    if change.net == 0:
        return False
    kind = f"change:{new_id('chg', at=now)}"
    await runs.open_run(
        session, sub_id=row.id, currency=plan.currency, start=today, end=change.period_end,
        kind=kind, lines=change.lines, as_of=now, wall=datetime.now(UTC),
    )  # fmt: skip
    return True


async def _period_unpaid(session: AsyncSession, row: SubscriptionRow) -> bool:
    """Whether the current period's own charge is still open or failed (nothing to credit)."""
    stmt = select(BillingRunRow.id).where(
        BillingRunRow.subscription_id == row.id,
        BillingRunRow.period_start == row.current_period_start,
        BillingRunRow.kind == runs.PERIOD,
        BillingRunRow.status != "PAID",
    )
    return await session.scalar(stmt.limit(1)) is not None


async def get_subscription(session: AsyncSession, *, subscription_id: str) -> SubscriptionRow:
    rows = await subscriptions_by_ids(session, ids=[subscription_id])
    if not rows:
        raise NotFound(f"No subscription with id {subscription_id!r}.", id=subscription_id)
    return rows[0]


async def _get_active_plan(session: AsyncSession, plan_id: str) -> PlanRow:
    plan = await session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"No plan with id {plan_id!r}.", id=plan_id)
    if not plan.active:
        raise BadUserInput(f"Plan {plan.code!r} is no longer offered.", field="planId")
    return plan


def _ensure_live(row: SubscriptionRow, action: str) -> None:
    if row.status == CANCELED:
        raise Conflict(f"Cannot {action} a canceled subscription.", id=row.id)


async def _ensure_not_subscribed(session: AsyncSession, *, customer_id: str, plan_id: str) -> None:
    stmt = select(SubscriptionRow.id).where(
        SubscriptionRow.customer_id == customer_id,
        SubscriptionRow.plan_id == plan_id,
        SubscriptionRow.status != CANCELED,
    )
    existing = await session.scalar(stmt.limit(1))
    if existing is not None:
        raise _already_subscribed(customer_id, plan_id)


async def _flush_live(session: AsyncSession, *, customer_id: str, plan_id: str) -> None:
    """Flush; a concurrent writer that won the live-subscription index is a CONFLICT."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _already_subscribed(customer_id, plan_id) from exc


def _already_subscribed(customer_id: str, plan_id: str) -> Conflict:
    return Conflict(
        f"Customer {customer_id!r} already has a live subscription to plan {plan_id!r}.",
        field="planId",
    )
