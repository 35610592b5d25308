"""Finish payments and refunds left PENDING by a crash or an unreachable bank.

For each one the bank is asked what it did under the row's idempotency key. If it has a
charge (or refund), that answer is written. If it has none, the key is cancelled at the
bank, which makes any request still on its way with that key fail, and the row becomes
FAILED: nothing moved. If the bank cannot be reached, the row stays PENDING for next time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import payments_repository as repo
from .bank_client import BankCharge, BankFailure, BankRefund
from .models import PaymentRow, RefundRow
from .runtime import Runtime
from .settlement import (
    record_charge,
    record_payment_failure,
    record_refund,
    record_refund_failure,
)

logger = logging.getLogger("switchboard.invoices.reconcile")

NOT_CHARGED = "The bank has no charge under this payment's key; nothing was charged."
NOT_REFUNDED = "The bank has no refund under this refund's key; nothing was refunded."


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """How many rows a pass looked at, and how many are still PENDING after it."""

    payments: int
    refunds: int
    still_pending: int


async def reconcile_pending(runtime: Runtime, *, grace: float | None = None) -> ReconcileReport:
    """One pass over every payment and refund PENDING for longer than ``grace`` seconds."""
    seconds = runtime.settings.reconcile_grace if grace is None else grace
    before = datetime.now(UTC) - timedelta(seconds=seconds)
    payment_ids, refund_ids = await runtime.read(lambda s: repo.pending_ids(s, before=before))
    left = 0
    for payment_id in payment_ids:
        left += await reconcile_payment(runtime, payment_id) == "PENDING"
    for refund_id in refund_ids:
        left += await reconcile_refund(runtime, refund_id) == "PENDING"
    if payment_ids or refund_ids:
        logger.info(
            "reconciled %d payment(s), %d refund(s); %d still pending",
            len(payment_ids), len(refund_ids), left,
        )  # fmt: skip
    return ReconcileReport(payments=len(payment_ids), refunds=len(refund_ids), still_pending=left)


async def reconcile_invoice(runtime: Runtime, invoice_id: str) -> None:
    """Settle this invoice's payments left PENDING for longer than the grace period."""
    before = datetime.now(UTC) - timedelta(seconds=runtime.settings.reconcile_grace)
    payment_ids, _ = await runtime.read(
        lambda s: repo.pending_ids(s, before=before, invoice_id=invoice_id)
    )
    for payment_id in payment_ids:
        await reconcile_payment(runtime, payment_id)


async def reconcile_payment(runtime: Runtime, payment_id: str) -> str:
    """Settle one PENDING payment from what the bank knows; the payment's status after."""
    payment = await runtime.read(lambda s: s.get_one(PaymentRow, payment_id))
    if payment.status != "PENDING":
        return payment.status
    hook = runtime.recorder(payment_id, None)
    try:
        charge = await runtime.bank.find_charge(payment.bank_key, hook)
        if charge is None:
            used = await runtime.bank.cancel_key("charge", payment.bank_key, hook)
            charge = BankCharge.of(used) if used else None
    except BankFailure as exc:
        logger.warning("payment %s stays pending: %s", payment_id, exc)
        return "PENDING"
    if charge is None:
        await record_payment_failure(runtime, payment_id, NOT_CHARGED)
    else:
        await record_charge(runtime, payment_id, charge)
    after = await runtime.read(lambda s: s.get_one(PaymentRow, payment_id))
    return after.status


async def reconcile_refund(runtime: Runtime, refund_id: str) -> str:
    """Settle one PENDING refund from what the bank knows; the refund's status after."""
    refund = await runtime.read(lambda s: s.get_one(RefundRow, refund_id))
    if refund.status != "PENDING":
        return refund.status
    hook = runtime.recorder(refund.payment_id, refund_id)
    try:
        made = await runtime.bank.find_refund(refund.bank_key, hook)
        if made is None:
            used = await runtime.bank.cancel_key("refund", refund.bank_key, hook)
            made = BankRefund.of(used) if used else None
    except BankFailure as exc:
        logger.warning("refund %s stays pending: %s", refund_id, exc)
        return "PENDING"
    if made is None:
        await record_refund_failure(runtime, refund_id, NOT_REFUNDED)
    else:
        await record_refund(runtime, refund_id, made)
    after = await runtime.read(lambda s: s.get_one(RefundRow, refund_id))
    return after.status


async def has_pending(runtime: Runtime) -> bool:
    """Whether anything is PENDING past the grace period (one quick read, no bank call)."""
    before = datetime.now(UTC) - timedelta(seconds=runtime.settings.reconcile_grace)
    payment_ids, refund_ids = await runtime.read(lambda s: repo.pending_ids(s, before=before))
    return bool(payment_ids or refund_ids)


async def reconcile_forever(runtime: Runtime, *, now: bool) -> None:
    """A pass at once if ``now``, then one every ``reconcile_interval`` seconds (0: never)."""
    interval = runtime.settings.reconcile_interval
    if now:
        await _pass(runtime)
    while interval > 0:
        await asyncio.sleep(interval)
        await _pass(runtime)


async def _pass(runtime: Runtime) -> None:
    try:
        await reconcile_pending(runtime)
    except Exception:  # a failed pass is logged; the next one tries again
        logger.exception("reconciliation pass failed")
