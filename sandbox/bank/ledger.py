"""The bank's rules: what a token does, how much can be refunded, idempotent replays.

Every write claims its idempotency key first, in the same transaction as the charge or
refund it makes, so a key moves money at most once. A replay answers the stored object
with the status code of the first answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.ids import new_id

from .models import ChargeRow, KeyRow, RefundRow

Kind = Literal["charge", "refund"]

DECLINES: dict[str, tuple[str, str]] = {
    "tok_decline_insufficient_funds": ("insufficient_funds", "Insufficient funds."),
    "tok_decline_expired": ("expired_card", "The card has expired."),
}
DECLINE_MESSAGES = dict(DECLINES.values())  # by decline code
TIMEOUT_TOKEN = "tok_timeout"
ERROR_TOKEN = "tok_error_5xx"
ERROR_AFTER_CAPTURE_TOKEN = "tok_error_after_capture"


class BankError(Exception):
    """A request the bank refuses: an HTTP status and a stable ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    token: str
    amount: int
    currency: str
    reference: str | None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    charge_id: str
    amount: int
    reference: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to answer: the object, its status code, and whether it is a replay."""

    body: dict[str, Any]
    status: int
    replayed: bool


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def charge_json(row: ChargeRow) -> dict[str, Any]:
    declined = row.status == "declined"
    message = DECLINE_MESSAGES.get(row.decline_code or "", "Declined.") if declined else None
    return {
        "object": "charge",
        "id": row.id,
        "status": row.status,
        "amount": row.amount,
        "currency": row.currency,
        "amount_refunded": row.amount_refunded,
        "reference": row.reference,
        "decline_code": row.decline_code,
        "message": message,
        "idempotency_key": row.idempotency_key,
        "created_at": row.created_at.isoformat(),
    }


def refund_json(row: RefundRow) -> dict[str, Any]:
    return {
        "object": "refund",
        "id": row.id,
        "status": row.status,
        "charge_id": row.charge_id,
        "amount": row.amount,
        "currency": row.currency,
        "reference": row.reference,
        "idempotency_key": row.idempotency_key,
        "created_at": row.created_at.isoformat(),
    }


def charge_status(row: ChargeRow) -> int:
    return 201 if row.status == "succeeded" else 402


async def create_charge(session: AsyncSession, *, key: str, request: ChargeRequest) -> Outcome:
    """Authorise and capture ``request`` once per key; a declined charge is recorded too."""
    claim = await _claim(session, "charge", key, charge_fingerprint(request))
    if claim is not None:
        row = await session.get_one(ChargeRow, claim)
        return Outcome(charge_json(row), charge_status(row), replayed=True)
    decline = DECLINES.get(request.token)
    row = ChargeRow(
        id=new_id("ch"),
        idempotency_key=key,
        token=request.token,
        amount=request.amount,
        currency=request.currency,
        reference=request.reference,
        status="declined" if decline else "succeeded",
        decline_code=decline[0] if decline else None,
        amount_refunded=0,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await _use(session, "charge", key, row.id)
    return Outcome(charge_json(row), charge_status(row), replayed=False)


async def create_refund(session: AsyncSession, *, key: str, request: RefundRequest) -> Outcome:
    """Refund part or all of a captured charge, never more than is left of it."""
    claim = await _claim(session, "refund", key, refund_fingerprint(request))
    if claim is not None:
        existing = await session.get_one(RefundRow, claim)
        return Outcome(refund_json(existing), 201, replayed=True)
    charge = await session.get(ChargeRow, request.charge_id, with_for_update=True)
    if charge is None:
        raise BankError(404, "no_such_charge", f"No charge {request.charge_id!r}.")
    if charge.status != "succeeded":
        raise BankError(409, "charge_not_refundable", "Only captured charges can be refunded.")
    left = charge.amount - charge.amount_refunded
    if request.amount > left:
        raise BankError(
            422, "amount_exceeds_refundable", f"At most {left} of the charge is left to refund."
        )
    charge.amount_refunded += request.amount
    row = RefundRow(
        id=new_id("re"),
        idempotency_key=key,
        charge_id=charge.id,
        amount=request.amount,
        currency=charge.currency,
        reference=request.reference,
        status="succeeded",
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await _use(session, "refund", key, row.id)
    return Outcome(refund_json(row), 201, replayed=False)


async def find_by_key(session: AsyncSession, kind: Kind, key: str) -> dict[str, Any] | None:
    """The charge or refund made with ``key``, or None if the key moved no money."""
    if kind == "charge":
        charge = await session.scalar(select(ChargeRow).where(ChargeRow.idempotency_key == key))
        return charge_json(charge) if charge else None
    refund = await session.scalar(select(RefundRow).where(RefundRow.idempotency_key == key))
    return refund_json(refund) if refund else None


async def cancel_key(session: AsyncSession, kind: Kind, key: str) -> dict[str, Any] | None:
    """Fence an unused key so no later request can use it; answer its object if it was used."""
    existing = await session.get(KeyRow, (kind, key))
    if existing is None:
        session.add(
            KeyRow(
                kind=kind,
                key=key,
                fingerprint="",
                resource_id=None,
                cancelled=True,
                created_at=datetime.now(UTC),
            )
        )
        await session.flush()
        return None
    if existing.cancelled:
        return None
    return await find_by_key(session, kind, key)


async def charges_with_reference(session: AsyncSession, reference: str) -> list[dict[str, Any]]:
    stmt = select(ChargeRow).where(ChargeRow.reference == reference).order_by(ChargeRow.id)
    return [charge_json(row) for row in (await session.scalars(stmt)).all()]


async def refunds_of_charge(session: AsyncSession, charge_id: str) -> list[dict[str, Any]]:
    stmt = select(RefundRow).where(RefundRow.charge_id == charge_id).order_by(RefundRow.id)
    return [refund_json(row) for row in (await session.scalars(stmt)).all()]


def charge_fingerprint(request: ChargeRequest) -> str:
    return fingerprint(_charge_payload(request))


def refund_fingerprint(request: RefundRequest) -> str:
    return fingerprint(_refund_payload(request))


def _charge_payload(request: ChargeRequest) -> dict[str, Any]:
    return {
        "token": request.token,
        "amount": request.amount,
        "currency": request.currency,
        "reference": request.reference,
    }


def _refund_payload(request: RefundRequest) -> dict[str, Any]:
    return {
        "charge_id": request.charge_id,
        "amount": request.amount,
        "reference": request.reference,
    }


async def _claim(session: AsyncSession, kind: Kind, key: str, digest: str) -> str | None:
    """Claim ``key``; return the id it already made, or None once it is ours."""
    existing = await session.get(KeyRow, (kind, key))
    if existing is None:
        session.add(KeyRow(kind=kind, key=key, fingerprint=digest, created_at=datetime.now(UTC)))
        await session.flush()
        return None
    if existing.cancelled:
        raise BankError(409, "idempotency_key_cancelled", f"Idempotency key {key!r} was cancelled.")
    if existing.fingerprint != digest or existing.resource_id is None:
        raise BankError(
            409,
            "idempotency_key_reused",
            f"Idempotency key {key!r} was already used with a different request.",
        )
    return existing.resource_id


async def _use(session: AsyncSession, kind: Kind, key: str, resource_id: str) -> None:
    await session.flush()
    claim = await session.get_one(KeyRow, (kind, key))
    claim.resource_id = resource_id
    await session.flush()
