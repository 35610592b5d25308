"""The demo's payments at the bank: the charges and refunds the demo world's history made.

The services seed payments that, in the story the demo tells, went through this bank; with
``BANK_SEED_DEMO`` (``switchboard dev`` sets it) an empty ledger records them at start, with
the charge ids, refund ids and idempotency keys the invoices service stored
(``subgraphs.invoices.seed.bank_ledger``, as of the same demo day): a seeded payment can be
refunded, and a seeded decline is a declined charge here too. The bank and the services
seed on their own, so each can start without the others.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .ledger import ChargeRequest, RefundRequest, charge_fingerprint, refund_fingerprint
from .models import ChargeRow, KeyRow, RefundRow


async def seed(session: AsyncSession) -> bool:
    """Record the demo's charges and refunds unless the ledger has charges; True if it did."""
    if await session.scalar(select(func.count()).select_from(ChargeRow)):
        return False
    # Only when seeding: the demo's derivation is the services' code, not the bank's.
    from subgraphs.common.demo import world
    from subgraphs.invoices.seed import bank_ledger

    charges, refunds = bank_ledger(world())
    for c in charges:
        charged = ChargeRequest(c.token, c.amount, c.currency, c.reference)
        session.add(KeyRow(kind="charge", key=c.key, fingerprint=charge_fingerprint(charged),
                           resource_id=c.id, cancelled=False, created_at=c.created_at))  # fmt: skip
        session.add(
            ChargeRow(
                id=c.id,
                idempotency_key=c.key,
                token=c.token,
                amount=c.amount,
                currency=c.currency,
                reference=c.reference,
                status=c.status,
                decline_code=c.decline_code,
                amount_refunded=c.amount_refunded,
                created_at=c.created_at,
            )
        )
    await session.flush()  # charges first: refunds refer to them
    for r in refunds:
        refunded = RefundRequest(r.charge_id, r.amount, r.reference)
        session.add(KeyRow(kind="refund", key=r.key, fingerprint=refund_fingerprint(refunded),
                           resource_id=r.id, cancelled=False, created_at=r.created_at))  # fmt: skip
        session.add(
            RefundRow(
                id=r.id,
                idempotency_key=r.key,
                charge_id=r.charge_id,
                amount=r.amount,
                currency=r.currency,
                reference=r.reference,
                status="succeeded",
                created_at=r.created_at,
            )
        )
    return True
