"""Issuing invoices for other services (orders, subscriptions), once per idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.db import RequestDb
from subgraphs.common.errors import BadUserInput
from subgraphs.common.idempotency import check_key, run_idempotent
from subgraphs.common.ids import check_customer_id

from . import repository
from .models import IdempotencyKey
from .payments import claimed
from .repository import Billed, LineData
from .runtime import Runtime
from .tax import rate_for

ISSUE = "issueInvoice"


async def issue_invoice(
    runtime: Runtime,
    db: RequestDb,
    *,
    customer_id: str,
    currency: str,
    lines: list[LineData],
    billed: Billed,
    key: str,
    payload: Any,
) -> str:
    """An OPEN invoice taxed at the customer's country's rate; the same one for a repeated key.

    The customers service is asked for the customer's country only the first time.
    """
    check_key(key)
    basis_points = 0
    if not await claimed(db, ISSUE, key):
        check_customer_id(customer_id)
        profile = await runtime.profile(customer_id)
        if profile is None:
            raise BadUserInput(f"No customer with id {customer_id!r}.", field="customerId")
        basis_points = rate_for(profile.country).basis_points

    async def create(session: AsyncSession) -> str:
        row = await repository.issue_invoice(
            session,
            customer_id=customer_id,
            currency=currency,
            lines=lines,
            basis_points=basis_points,
            billed=billed,
            now=datetime.now(UTC),
        )
        return row.id

    return await run_idempotent(
        db, IdempotencyKey, operation=ISSUE, key=key, payload=payload, create=create
    )
