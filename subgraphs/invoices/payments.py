"""Paying invoices and refunding payments at the bank, without ever losing or doubling money.

The order of every charge and refund:

1. claim the client's idempotency key and write the payment (or refund) PENDING, in one
   transaction; its id is also the Idempotency-Key sent to the bank;
2. call the bank (bounded retries, each attempt recorded in ``payment_attempts``);
3. write the bank's answer with a conditional UPDATE of the PENDING row.

A crash between 2 and 3 leaves a PENDING row whose key the bank knows: ``reconcile``
asks the bank for it and finishes the job. A repeated ``payInvoice`` with the same client
key resends the same bank key, which the bank answers without charging again.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.clients import CustomerProfile
from subgraphs.common.db import RequestDb
from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.idempotency import check_key, run_idempotent

from . import payments_repository as repo
from .bank_client import BankRejected, BankUnavailable
from .models import IdempotencyKey, InvoiceRow, PaymentRow, RefundRow
from .payments_repository import CardChoice
from .reconcile import reconcile_invoice
from .runtime import Runtime
from .settlement import (
    record_charge,
    record_payment_failure,
    record_refund,
    record_refund_failure,
)

PAY = "payInvoice"
REFUND = "refundPayment"


def crash_if(runtime: Runtime, point: str) -> None:
    """The test-only crash hook (INVOICES_TEST_CRASH_POINT): die like a SIGKILLed process."""
    if runtime.settings.test_crash_point == point:
        os.kill(os.getpid(), signal.SIGKILL)


async def pay_invoice(
    runtime: Runtime, db: RequestDb, *, invoice_id: str, payment_method_id: str | None, key: str
) -> str:
    """Charge an OPEN invoice's total once per key; the id of the payment made."""
    check_key(key)
    card: CardChoice | None = None
    if not await claimed(db, PAY, key):
        invoice = await _invoice(db, invoice_id)
        if invoice.status == "OPEN":
            await reconcile_invoice(runtime, invoice_id)
            card = await _choose_card(runtime, invoice.customer_id, payment_method_id)

    async def create(session: AsyncSession) -> str:
        await repo.payable_invoice(session, invoice_id=invoice_id)
        if card is None:  # only reached when the key was claimed and released meanwhile
            raise Conflict("The request raced another one; retry it.", id=invoice_id)
        row = await repo.create_payment(
            session, invoice_id=invoice_id, card=card, now=datetime.now(UTC)
        )
        return row.id

    payload = {"invoiceId": invoice_id, "paymentMethodId": payment_method_id}
    payment_id = await run_idempotent(
        db, IdempotencyKey, operation=PAY, key=key, payload=payload, create=create
    )
    await settle_charge(runtime, payment_id)
    return payment_id


async def settle_charge(runtime: Runtime, payment_id: str) -> None:
    """Ask the bank to charge a PENDING payment (again, same key) and record its answer."""
    payment = await runtime.read(lambda s: s.get_one(PaymentRow, payment_id))
    if payment.status != "PENDING":
        return
    try:
        charge = await runtime.bank.charge(
            key=payment.bank_key,
            token=payment.bank_token,
            amount=payment.amount,
            currency=payment.currency,
            reference=payment.invoice_id,
            on_attempt=runtime.recorder(payment_id, None),
        )
    except BankUnavailable:
        return  # stays PENDING: a retry or the reconciler finishes it
    except BankRejected as exc:
        message = f"The bank refused the charge ({exc.code}): {exc.message}"
        await record_payment_failure(runtime, payment_id, message)
        return
    crash_if(runtime, "after_bank_charge")
    await record_charge(runtime, payment_id, charge)


async def refund_payment(
    runtime: Runtime,
    db: RequestDb,
    *,
    payment_id: str,
    amount: int | None,
    currency: str | None,
    key: str,
) -> str:
    """Refund (part of) a captured payment once per key; the id of the refund made."""
    check_key(key)

    async def create(session: AsyncSession) -> str:
        row = await repo.reserve_refund(
            session, payment_id=payment_id, amount=amount, currency=currency, now=datetime.now(UTC)
        )
        return row.id

    payload = {"paymentId": payment_id, "amount": amount, "currency": currency}
    refund_id = await run_idempotent(
        db, IdempotencyKey, operation=REFUND, key=key, payload=payload, create=create
    )
    await settle_refund(runtime, refund_id)
    return refund_id


async def settle_refund(runtime: Runtime, refund_id: str) -> None:
    """Ask the bank to make a PENDING refund (again, same key) and record its answer."""
    refund = await runtime.read(lambda s: s.get_one(RefundRow, refund_id))
    if refund.status != "PENDING":
        return
    payment = await runtime.read(lambda s: s.get_one(PaymentRow, refund.payment_id))
    assert payment.bank_charge_id is not None  # only captured payments get refunds
    try:
        made = await runtime.bank.refund(
            key=refund.bank_key,
            charge_id=payment.bank_charge_id,
            amount=refund.amount,
            reference=refund.payment_id,
            on_attempt=runtime.recorder(payment.id, refund_id),
        )
    except BankUnavailable:
        return
    except BankRejected as exc:
        message = f"The bank refused the refund ({exc.code}): {exc.message}"
        await record_refund_failure(runtime, refund_id, message)
        return
    crash_if(runtime, "after_bank_refund")
    await record_refund(runtime, refund_id, made)


async def claimed(db: RequestDb, operation: str, key: str) -> bool:
    stmt = select(IdempotencyKey.id).where(
        IdempotencyKey.operation == operation, IdempotencyKey.key == key
    )
    async with db.read() as session:
        return await session.scalar(stmt) is not None


async def _invoice(db: RequestDb, invoice_id: str) -> InvoiceRow:
    async with db.read() as session:
        row = await session.get(InvoiceRow, invoice_id)
    if row is None:
        raise NotFound(f"No invoice with id {invoice_id!r}.", id=invoice_id)
    return row


async def _choose_card(
    runtime: Runtime, customer_id: str, payment_method_id: str | None
) -> CardChoice:
    profile = await runtime.profile(customer_id)
    if profile is None:
        raise Conflict(
            f"The customers service has no customer {customer_id!r}.",
            id=customer_id,
            reason="CUSTOMER_NOT_FOUND",
        )
    return _card_of(profile, payment_method_id)


def _card_of(profile: CustomerProfile, payment_method_id: str | None) -> CardChoice:
    card = profile.card(payment_method_id)
    if card is None and payment_method_id is not None:
        raise BadUserInput(
            f"Customer {profile.id} has no payment method {payment_method_id!r}.",
            field="paymentMethodId",
        )
    if card is None:
        raise Conflict(
            f"Customer {profile.id} has no default payment method; name one.",
            id=profile.id,
            reason="NO_PAYMENT_METHOD",
        )
    return CardChoice(payment_method_id=card.id, token=card.token, email=profile.email)
