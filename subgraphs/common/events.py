"""A transactional outbox of events for another service, delivered at least once.

The e-mail outbox (``outbox.py``) with a JSON payload instead of a message and an HTTP
delivery instead of SMTP. ``enqueue_event`` inserts a row in the caller's transaction (its
``key`` is unique: one cause, one event). ``EventDispatcher`` claims due rows with a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), hands each to a
``deliver`` callable and records the result: delivered, rejected for good (the receiver
says the event can never apply), or retried with exponential back-off. A dispatcher that
dies mid-batch leaves leases that expire; the rows are then sent again, so receivers must
apply an event idempotently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from sqlalchemy import Index, Integer, String, Text, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .db import RequestDb
from .outbox import MAX_KEY_LENGTH
from .timestamps import UtcDateTime

logger = logging.getLogger("switchboard.events")

FIRST_RETRY = timedelta(seconds=1)
Outcome = Literal["DELIVERED", "REJECTED"]
# Delivers one event's payload under its key: DELIVERED, REJECTED (never retried), or raises
# ``RetryLater`` when the receiver could not take it now.
Deliver = Callable[[str, dict[str, Any]], Awaitable[Outcome]]


class RetryLater(Exception):
    """The receiver did not take the event now (down, busy, 5xx); send it again later."""


class EventOutboxMixin:
    """Columns of an event outbox table; the service names the table (``__tablename__``)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"ix_{name}_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rejected: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


async def enqueue_event(
    session: AsyncSession, model: type[EventOutboxMixin], *, key: str, payload: dict[str, Any]
) -> None:
    """Add an event in ``session``'s transaction; a known ``key`` adds nothing."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an event key is 1 to {MAX_KEY_LENGTH} characters")
    now = datetime.now(UTC)
    values = {
        "key": key,
        "payload": json.dumps(payload, separators=(",", ":")),
        "attempts": 0,
        "next_attempt_at": now,
        "rejected": False,
        "created_at": now,
    }
    table: Any = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(table).values(values).on_conflict_do_nothing())


def retry_delay(attempts: int, cap: timedelta) -> timedelta:
    """Exponential back-off after ``attempts`` failures: 1 s, 2 s, 4 s … at most ``cap``."""
    exponent = min(max(attempts - 1, 0), 20)
    delay: timedelta = FIRST_RETRY * (2**exponent)
    return min(delay, cap)


class DispatchReport(NamedTuple):
    delivered: int
    rejected: int
    failed: int


class EventDispatcher:
    """Delivers due events of one table; several dispatchers may share a database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[EventOutboxMixin],
        deliver: Deliver,
        *,
        lease: timedelta = timedelta(seconds=60),
        max_retry: timedelta = timedelta(minutes=5),
        batch_size: int = 20,
    ) -> None:
        self._sessions = sessions
        self._model = model
        self._deliver = deliver
        self._lease = lease
        self._max_retry = max_retry
        self._batch_size = batch_size
        self.worker = f"dispatcher-{secrets.token_hex(6)}"

    async def dispatch_due(self, now: datetime | None = None) -> DispatchReport:
        """Claim up to one batch of due events, deliver them, record each outcome."""
        now = now or datetime.now(UTC)
        counts = {"DELIVERED": 0, "REJECTED": 0, "FAILED": 0}
        for row_id, key, payload, attempts in await self.claim(now):
            try:
                outcome: str = await self._deliver(key, json.loads(payload))
                error = None if outcome == "DELIVERED" else "rejected by the receiver"
            except RetryLater as exc:
                outcome, error = "FAILED", str(exc) or type(exc).__name__
                logger.warning("event %s not delivered (attempt %d): %s", key, attempts + 1, exc)
            counts[outcome] += 1
            await self._record(row_id, attempts, now, outcome, error)
        return DispatchReport(counts["DELIVERED"], counts["REJECTED"], counts["FAILED"])

    async def claim(self, now: datetime) -> list[tuple[int, str, str, int]]:
        """Lease a batch of due rows to this dispatcher; rows a live one holds are skipped."""
        m = self._model
        due = (
            select(m.id, m.key, m.payload, m.attempts)
            .where(
                m.delivered_at.is_(None),
                m.next_attempt_at <= now,
                (m.claimed_until.is_(None)) | (m.claimed_until < now),
            )
            .order_by(m.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        db = RequestDb(self._sessions)
        try:
            async with db.transaction() as session:
                rows = (await session.execute(due)).all()
                if rows:
                    await session.execute(
                        update(m)
                        .where(m.id.in_([r.id for r in rows]))
                        .values(claimed_by=self.worker, claimed_until=now + self._lease)
                    )
        finally:
            await db.close()
        return [(r.id, r.key, r.payload, r.attempts) for r in rows]

    async def _record(
        self, row_id: int, attempts: int, now: datetime, outcome: str, error: str | None
    ) -> None:
        m = self._model
        values: dict[str, Any] = {"attempts": attempts + 1, "claimed_by": None}
        values["claimed_until"] = None
        if outcome == "FAILED":
            values["next_attempt_at"] = now + retry_delay(attempts + 1, self._max_retry)
        else:
            values["delivered_at"] = datetime.now(UTC)
            values["rejected"] = outcome == "REJECTED"
        if error is not None:
            values["last_error"] = error[:500]
        db = RequestDb(self._sessions)
        try:
            async with db.transaction() as session:
                await session.execute(
                    update(m).where(m.id == row_id, m.claimed_by == self.worker).values(values)
                )
        finally:
            await db.close()

    async def run(self, poll_seconds: float) -> None:
        """Dispatch until cancelled; sleep ``poll_seconds`` whenever nothing was due."""
        while True:
            try:
                report = await self.dispatch_due()
            except Exception:  # a database hiccup must not end the dispatcher
                logger.exception("events: dispatch pass failed")
                report = DispatchReport(0, 0, 0)
            if sum(report) == 0:
                await asyncio.sleep(poll_seconds)
