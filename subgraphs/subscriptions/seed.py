"""Store the subscriptions' part of the demo world."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import DemoPlan, DemoSubscription, world

from .models import PlanRow, SubscriptionRow


async def seed(session: AsyncSession) -> bool:
    """Insert the demo plans and subscriptions unless there are rows already; True if seeded."""
    for table in (PlanRow, SubscriptionRow):
        if await session.scalar(select(func.count()).select_from(table)):
            return False
    demo = world()
    session.add_all([_plan(p) for p in demo.plans])
    await session.flush()  # plans first: subscriptions refer to them
    session.add_all([_subscription(s) for s in demo.subscriptions])
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
