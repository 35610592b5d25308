"""The one outbox dispatcher: claim due rows with a lease, deliver, record, back off, give up.

Every outbox table (e-mails in ``outbox.py``, events for another service in ``events.py``)
is delivered by a ``Dispatcher`` configured with its table and a ``deliver`` callable. A
pass claims a batch of due rows in a short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the ``BEGIN IMMEDIATE`` write lock on SQLite) by setting a lease, hands each to
``deliver`` and records the outcome: delivered; rejected for good (the receiver says it can
never apply); or failed, retried after an exponential back-off — until ``max_attempts``
failures, after which the row is a **dead letter**: kept, never sent again by itself, listed
by the services' admin ``…DeadLetters`` queries and counted on ``/metrics``. A dispatcher
that dies mid-batch leaves leases that expire; the rows are then sent again, so receivers
must be idempotent (e-mails carry a stable Message-ID, events an Idempotency-Key).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .db import RequestDb
from .telemetry import METRICS, span

logger = logging.getLogger("switchboard.dispatch")

Outcome = Literal["DELIVERED", "REJECTED"]
DEFAULT_MAX_ATTEMPTS = 25


class RetryLater(Exception):
    """The receiver did not take the row now (down, busy, 5xx); send it again later."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased row: its id, how often it failed so far, and the columns ``deliver`` needs."""

    id: int
    key: str
    attempts: int
    values: dict[str, Any]


Deliver = Callable[[Claimed], Awaitable[Outcome]]


class Counts(NamedTuple):
    delivered: int
    rejected: int
    failed: int


def retry_delay(attempts: int, first: timedelta, cap: timedelta) -> timedelta:
    """Back-off after ``attempts`` failures: ``first``, twice that, … at most ``cap``."""
    exponent = min(max(attempts - 1, 0), 20)
    delay: timedelta = first * (2**exponent)
    return min(delay, cap)


def dead(model: Any, max_attempts: int) -> ColumnElement[bool]:
    """Rows that will not be sent again: rejected, or out of attempts while undelivered."""
    gave_up = and_(model.delivered_at.is_(None), model.attempts >= max_attempts)
    rejected = getattr(model, "rejected", None)
    return or_(gave_up, rejected.is_(True)) if rejected is not None else gave_up


async def dead_letters(
    session: AsyncSession, model: Any, max_attempts: int, *, limit: int
) -> list[Any]:
    """The newest dead letters of ``model``'s table, at most ``limit``."""
    stmt = select(model).where(dead(model, max_attempts)).order_by(model.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def count_dead(session: AsyncSession, model: Any, max_attempts: int) -> int:
    stmt = select(func.count()).select_from(model).where(dead(model, max_attempts))
    return int(await session.scalar(stmt) or 0)


class Dispatcher:
    """Delivers due rows of one outbox table; several dispatchers may share a database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: Any,
        deliver: Deliver,
        *,
        columns: Sequence[str],
        lease: timedelta = timedelta(seconds=60),
        first_retry: timedelta = timedelta(seconds=1),
        max_retry: timedelta = timedelta(minutes=5),
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        batch_size: int = 20,
        worker: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._model = model
        self._deliver = deliver
        self._columns = tuple(columns)
        self._lease = lease
        self._first_retry, self._max_retry = first_retry, max_retry
        self.max_attempts = max_attempts
        self._batch_size = batch_size
        self.worker = worker or f"dispatcher-{secrets.token_hex(6)}"

    async def dispatch_due(self, now: datetime | None = None) -> Counts:
        """Claim up to one batch of due rows, deliver them, record each outcome."""
        now = now or datetime.now(UTC)
        counts = {"DELIVERED": 0, "REJECTED": 0, "FAILED": 0}
        table = str(getattr(self._model, "__tablename__", "outbox"))
        for row in await self.claim(now):
            with span("outbox.deliver", outbox=table, attempt=row.attempts + 1):
                try:
                    outcome: str = await self._deliver(row)
                    error = None if outcome == "DELIVERED" else "rejected by the receiver"
                except RetryLater as exc:
                    outcome, error = "FAILED", str(exc) or type(exc).__name__
                    logger.warning(
                        "%s not delivered (attempt %d): %s", row.key, row.attempts + 1, exc
                    )
            METRICS.deliveries.labels(table, outcome).inc()
            counts[outcome] += 1
            await self._record(row, now, outcome, error)
        return Counts(counts["DELIVERED"], counts["REJECTED"], counts["FAILED"])

    async def claim(self, now: datetime) -> list[Claimed]:
        """Lease a batch of due rows to this dispatcher; rows a live one holds are skipped."""
        m = self._model
        wanted = [m.id, m.key, m.attempts, *(getattr(m, c) for c in self._columns)]
        due = (
            select(*wanted)
            .where(
                m.delivered_at.is_(None),
                m.attempts < self.max_attempts,
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
        return [
            Claimed(r.id, r.key, r.attempts, {c: getattr(r, c) for c in self._columns})
            for r in rows
        ]

    async def _record(self, row: Claimed, now: datetime, outcome: str, error: str | None) -> None:
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "claimed_by": None, "claimed_until": None}
        if outcome == "FAILED":
            values["next_attempt_at"] = now + retry_delay(
                attempts, self._first_retry, self._max_retry
            )
            if attempts >= self.max_attempts:
                logger.error("%s is a dead letter after %d attempts: %s", row.key, attempts, error)
        else:
            values["delivered_at"] = datetime.now(UTC)
            if hasattr(self._model, "rejected"):
                values["rejected"] = outcome == "REJECTED"
        if error is not None:
            values["last_error"] = error[:500]
        db = RequestDb(self._sessions)
        try:
            async with db.transaction() as session:
                await session.execute(
                    update(self._model)
                    .where(self._model.id == row.id, self._model.claimed_by == self.worker)
                    .values(values)
                )
        finally:
            await db.close()

    async def run(self, poll_seconds: float) -> None:
        """Dispatch until cancelled; sleep ``poll_seconds`` whenever nothing was due."""
        while True:
            try:
                counts = await self.dispatch_due()
            except Exception:  # a database hiccup must not end the dispatcher
                logger.exception("dispatch pass failed")
                counts = Counts(0, 0, 0)
            if sum(counts) == 0:
                await asyncio.sleep(poll_seconds)
