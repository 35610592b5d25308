"""The e-mail outbox: messages written with the change that causes them, sent afterwards.

``enqueue_email`` inserts a row in the caller's transaction, so a rolled-back change sends
nothing; its ``key`` is unique, so one cause enqueues one message however often it runs.
``OutboxSender`` is the one ``Dispatcher`` (``dispatch.py``: leases, back-off, dead letters)
sending each row over SMTP, at least once; a resend has the same Message-ID.
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
from sqlalchemy import Index, Integer, String, Text, column, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from . import dispatch
from .app import LifespanHook
from .db import BACKGROUND_POOL, create_engine, session_factory
from .dispatch import DEFAULT_MAX_ATTEMPTS, Claimed, Dispatcher, Outcome, RetryLater
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
    return dispatch.retry_delay(attempts, FIRST_RETRY, MAX_RETRY)


class DeliveryReport(NamedTuple):
    sent: int
    failed: int


class OutboxSender(Dispatcher):
    """The dispatcher of a service's e-mail outbox: each row is sent over SMTP."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[OutboxMixin],
        smtp: SmtpConfig,
        *,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 20,
        worker: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        async def deliver(row: Claimed) -> Outcome:
            values = row.values
            mail = Mail(row.key, values["recipient"], values["subject"], values["body"])
            try:
                await send(mail, smtp)
            except MailError as exc:
                raise RetryLater(str(exc)) from exc
            return "DELIVERED"

        super().__init__(
            sessions, model, deliver, columns=("recipient", "subject", "body"), lease=lease,
            first_retry=FIRST_RETRY, max_retry=MAX_RETRY, max_attempts=max_attempts,
            batch_size=batch_size, worker=worker or f"sender-{secrets.token_hex(6)}",
        )  # fmt: skip

    async def deliver_due(self, now: datetime | None = None) -> DeliveryReport:
        """Claim up to one batch of due messages, send them, record each outcome."""
        counts = await self.dispatch_due(now)
        return DeliveryReport(sent=counts.delivered, failed=counts.failed)


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
            max_attempts=settings.outbox_max_attempts,
        )
        task = asyncio.create_task(sender.run(settings.outbox_poll_seconds))
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await engine.dispose()

    return hook
