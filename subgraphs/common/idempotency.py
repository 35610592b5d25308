"""Idempotency keys for client-facing create operations.

The key row is inserted first, inside the same transaction as the work it guards. A
concurrent request with the same key blocks on the unique constraint (PostgreSQL) or the
write lock (SQLite) and then finds the finished row; a repeated request with the same
input gets the same resource back, and one with different input is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .db import RequestDb
from .errors import BadUserInput, IdempotencyKeyReused
from .timestamps import UtcDateTime

MAX_KEY_LENGTH = 255


class IdempotencyKeyMixin:
    """Columns of a service's ``idempotency_keys`` table (each service declares its own)."""

    __tablename__ = "idempotency_keys"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("operation", "key", name="uq_idempotency_operation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    operation: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


def fingerprint(payload: Any) -> str:
    """A stable hash of a request's input (keys sorted, so field order does not matter)."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(key: str) -> str:
    if not key or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise BadUserInput(
            f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} non-blank characters.",
            field="idempotencyKey",
        )
    return key


async def run_idempotent(
    db: RequestDb,
    model: type[IdempotencyKeyMixin],
    *,
    operation: str,
    key: str,
    payload: Any,
    create: Callable[[AsyncSession], Awaitable[str]],
) -> str:
    """Run ``create`` once per (operation, key); return the id of the resource it made.

    ``create`` runs inside the write transaction and returns the new resource's id. If the
    key was used before with the same payload, that earlier id is returned and nothing is
    created; with another payload, IDEMPOTENCY_KEY_REUSED is raised.
    """
    check_key(key)
    digest = fingerprint(payload)
    try:
        async with db.transaction() as session:
            existing = await _find(session, model, operation, key)
            if existing is not None:
                return _replay(_Claim.of(existing), digest, key)
            row = model(
                operation=operation,  # type: ignore[call-arg]
                key=key,
                fingerprint=digest,
                created_at=datetime.now(UTC),
            )
            session.add(row)
            await session.flush()  # claim the key before doing the work
            resource_id = await create(session)
            row.resource_id = resource_id
            await session.flush()
            return resource_id
    except IntegrityError:
        # Either a concurrent request claimed the key first (read what it made), or the
        # work itself broke a constraint (re-raise).
        async with db.read() as session:
            existing = await _find(session, model, operation, key)
            claimed = _Claim.of(existing) if existing is not None else None
            await session.rollback()  # expires `existing`: only `claimed` is read below
        if claimed is None:
            raise
        return _replay(claimed, digest, key)


async def _find(
    session: AsyncSession, model: type[IdempotencyKeyMixin], operation: str, key: str
) -> IdempotencyKeyMixin | None:
    stmt = select(model).where(model.operation == operation, model.key == key)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class _Claim:
    """The stored facts of a key, read out of the ORM row while it is still loaded."""

    fingerprint: str
    resource_id: str | None

    @classmethod
    def of(cls, row: IdempotencyKeyMixin) -> _Claim:
        return cls(fingerprint=row.fingerprint, resource_id=row.resource_id)


def _replay(existing: _Claim, digest: str, key: str) -> str:
    if existing.fingerprint != digest or existing.resource_id is None:
        raise IdempotencyKeyReused(
            f"Idempotency key {key!r} was already used with a different request.",
            field="idempotencyKey",
        )
    return existing.resource_id
