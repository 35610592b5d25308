"""Store the customers' part of the demo world."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import world

from .models import CustomerRow, PaymentMethodRow


async def seed(session: AsyncSession) -> bool:
    """Insert the demo customers unless the table has rows already; True if it seeded."""
    if await session.scalar(select(func.count()).select_from(CustomerRow)):
        return False
    for c in world().customers:
        session.add(
            CustomerRow(
                id=c.id,
                email=c.email,
                name=c.name,
                line1=c.line1,
                line2=None,
                city=c.city,
                postal_code=c.postal_code,
                country=c.country,
                status=c.status,
                created_at=c.created_at,
            )
        )
        for pm in c.payment_methods:
            session.add(
                PaymentMethodRow(
                    id=pm.id,
                    customer_id=c.id,
                    token=pm.token,
                    brand=pm.brand,
                    last4=pm.last4,
                    exp_month=pm.exp_month,
                    exp_year=pm.exp_year,
                    is_default=pm.is_default,
                    created_at=pm.created_at,
                )
            )
    return True
