"""The e-mail outbox: messages written with the change that causes them, sent afterwards.

``enqueue_email`` inserts a row in the caller's transaction, so a rolled-back change sends
nothing; its ``key`` is unique, so one cause enqueues one message however often it runs.
``OutboxSender`` delivers due rows over SMTP, at least once: it first claims a batch in a
short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the ``BEGIN IMMEDIATE`` write
lock on SQLite) by setting a lease, sends, then records ``delivered_at`` — or the error and
the next attempt, backing off exponentially. A sender that dies mid-batch leaves leases
that expire, and another sender (or the restarted one) picks the rows up again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from fastapi import FastAPI
from sqlalchemy import Index, Integer, String, Text, column, select, table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .app import LifespanHook
from .db import BACKGROUND_POOL, RequestDb, create_engine, session_factory
from .mail import Mail, MailError, SmtpConfig, check_mail, send
from .settings import SubgraphSettings
from .timestamps import UtcDateTime

logger = logging.getLogger("switchboard.outbox")

MAX_KEY_LENGTH = 255
FIRST_RETRY = timedelta(seconds=2)
MAX_RETRY = timedelta(minutes=10)


class OutboxMixin:
    """Columns of a service's ``outbox`` table (each service declares and migrates its own)."""

    __tablename__ = "outbox"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index("ix_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


# The table as plain Core, so enqueueing needs no service's mapped class.
_OUTBOX = table(
    "outbox",
    column("key", String()),
    column("recipient", String()),
    column("subject", String()),
    column("body", Text()),
    column("attempts", Integer()),
    column("next_attempt_at", UtcDateTime()),
    column("created_at", UtcDateTime()),
)


async def enqueue_email(
    session: AsyncSession, *, to: str, subject: str, text: str, key: str
) -> None:
    """Add a message to the outbox in ``session``'s transaction; a known ``key`` adds nothing."""
    check_mail(to=to, subject=subject)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an outbox key is 1 to {MAX_KEY_LENGTH} characters")
    now = datetime.now(UTC)
    values = {
        "key": key,
        "recipient": to,
        "subject": subject,
        "body": text,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(_OUTBOX).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(_OUTBOX).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two backends we run on
        raise NotImplementedError(f"outbox on {dialect}")
    await session.execute(stmt)


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after ``attempts`` failures: 2 s, 4 s, 8 s … at most 10 min."""
    exponent = min(max(attempts - 1, 0), 20)  # 2 s * 2**20 is far past the cap already
    delay: timedelta = FIRST_RETRY * (2**exponent)
    return min(delay, MAX_RETRY)


class DeliveryReport(NamedTuple):
    sent: int
    failed: int


class OutboxSender:
    """Delivers due outbox rows of one database; several senders may share a database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[OutboxMixin],
        smtp: SmtpConfig,
        *,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 20,
        worker: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._model = model
        self._smtp = smtp
        self._lease = lease
        self._batch_size = batch_size
        self.worker = worker or f"sender-{secrets.token_hex(6)}"

    async def deliver_due(self, now: datetime | None = None) -> DeliveryReport:
        """Claim up to one batch of due messages, send them, record each outcome."""
        now = now or datetime.now(UTC)
        sent = failed = 0
        for row_id, mail, attempts in await self.claim(now):
            try:
                await send(mail, self._smtp)
            except MailError as exc:
                failed += 1
                logger.warning(
                    "outbox: %s not delivered (attempt %d): %s", mail.key, attempts + 1, exc
                )
                await self._record(row_id, attempts, now, error=str(exc))
            else:
                sent += 1
                await self._record(row_id, attempts, now, error=None)
        return DeliveryReport(sent=sent, failed=failed)

    async def claim(self, now: datetime) -> list[tuple[int, Mail, int]]:
        """Lease a batch of due rows to this sender; rows leased by a live sender are skipped."""
        m = self._model
        due = (
            select(m.id, m.key, m.recipient, m.subject, m.body, m.attempts)
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
        return [(r.id, Mail(r.key, r.recipient, r.subject, r.body), r.attempts) for r in rows]

    async def _record(
        self, row_id: int, attempts: int, now: datetime, *, error: str | None
    ) -> None:
        m = self._model
        values: dict[str, Any] = {
            "attempts": attempts + 1,
            "claimed_by": None,
            "claimed_until": None,
        }
        if error is None:
            values["delivered_at"] = datetime.now(UTC)
        else:
            values["last_error"] = error[:500]
            values["next_attempt_at"] = now + retry_delay(attempts + 1)
        db = RequestDb(self._sessions)
        try:
            async with db.transaction() as session:
                await session.execute(
                    update(m).where(m.id == row_id, m.claimed_by == self.worker).values(values)
                )
        finally:
            await db.close()

    async def run(self, poll_seconds: float) -> None:
        """Deliver until cancelled; sleep ``poll_seconds`` whenever nothing was due."""
        while True:
            try:
                report = await self.deliver_due()
            except Exception:  # a database hiccup must not end the sender
                logger.exception("outbox: delivery pass failed")
                report = DeliveryReport(sent=0, failed=0)
            if report.sent + report.failed == 0:
                await asyncio.sleep(poll_seconds)


def outbox_hook(model: type[OutboxMixin]) -> LifespanHook:
    """A lifespan hook running an ``OutboxSender`` for ``model`` unless the settings say no.

    The sender has an engine of its own: its polling never takes a connection a request needs.
    """

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        settings: SubgraphSettings = app.state.settings
        if not settings.outbox_enabled:
            yield
            return
        engine = create_engine(settings.database_url, pool=BACKGROUND_POOL)
        sender = OutboxSender(
            session_factory(engine),
            model,
            SmtpConfig.of(settings),
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )
        task = asyncio.create_task(sender.run(settings.outbox_poll_seconds))
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await engine.dispose()

    return hook
