"""Store the subscriptions' part of the demo world.

Each billed period (ACTIVE and PAST_DUE subscriptions) has its billing run, as billing
leaves one: PAID, or RETRYING with its declined attempts counted, its dunning started at the
first decline and its next retry scheduled, so a clock that reaches that retry charges it
again, as it would a live subscription's.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import (
    DECLINE_MESSAGE,
    DECLINE_REASON,
    SEED,
    DemoPlan,
    DemoSubscription,
    world,
)
from subgraphs.common.ids import new_id

from .models import BillingRunRow, PlanRow, SubscriptionRow
from .runs import PERIOD


async def seed(session: AsyncSession) -> bool:
    """Insert the demo plans and subscriptions unless there are rows already; True if seeded."""
    for table in (PlanRow, SubscriptionRow):
        if await session.scalar(select(func.count()).select_from(table)):
            return False
    demo = world()
    session.add_all([_plan(p) for p in demo.plans])
    await session.flush()  # plans first: subscriptions refer to them
    session.add_all([_subscription(s) for s in demo.subscriptions])
    await session.flush()  # and runs to subscriptions
    plans = {p.id: p for p in demo.plans}
    rng = random.Random(f"billing-runs-{SEED}")
    billed = [s for s in demo.subscriptions if s.invoice_id is not None]
    session.add_all([_run(rng, s, plans[s.plan_id]) for s in billed])
    return True


def _plan(p: DemoPlan) -> PlanRow:
    return PlanRow(
        id=p.id,
        code=p.code,
        name=p.name,
        interval=p.interval,
        price=p.price,
        currency=p.currency,
        trial_days=p.trial_days,
        active=True,
        created_at=p.created_at,
    )


def _subscription(s: DemoSubscription) -> SubscriptionRow:
    return SubscriptionRow(
        id=s.id,
        customer_id=s.customer_id,
        plan_id=s.plan_id,
        status=s.status,
        current_period_start=s.current_period_start,
        current_period_end=s.current_period_end,
        # The demo world has no trial dates: a trialing subscription's period is its trial.
        trial_end=s.current_period_end if s.status == "TRIALING" else None,
        cancel_at_period_end=s.cancel_at_period_end,
        canceled_at=s.canceled_at,
        created_at=s.started_at,
    )


def _run(rng: random.Random, s: DemoSubscription, plan: DemoPlan) -> BillingRunRow:
    """The run of ``s``'s current period: PAID, or RETRYING after its declines."""
    declined = s.declined_at
    return BillingRunRow(
        id=new_id("bil", at=s.invoiced_at, rng=rng),
        subscription_id=s.id,
        period_start=s.current_period_start,
        period_end=s.current_period_end,
        kind=PERIOD,
        amount=plan.price,
        currency=plan.currency,
        description=f"{plan.name}, {s.current_period_start} to {s.current_period_end}",
        status="RETRYING" if declined else "PAID",
        invoice_id=s.invoice_id,
        attempts=len(declined),
        next_attempt_at=s.next_retry_at or s.charged_at,
        dunning_started_at=declined[0] if declined else None,
        failure_reason=DECLINE_REASON if declined else None,
        failure_message=DECLINE_MESSAGE if declined else None,
        created_at=s.invoiced_at,
        updated_at=declined[-1] if declined else s.charged_at,
    )
