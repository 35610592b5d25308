"""A transactional outbox of events for another service, delivered at least once.

The e-mail outbox (``outbox.py``) with a JSON payload instead of a message and an HTTP
delivery instead of SMTP. ``enqueue_event`` inserts a row in the caller's transaction (its
``key`` is unique: one cause, one event). ``EventDispatcher`` is the one ``Dispatcher``
(``dispatch.py``: leases, back-off, dead letters) handing each row's payload to a
``deliver`` callable: delivered, rejected for good (the receiver says the event can never
apply), or retried. Rows may be sent more than once, so receivers apply them idempotently.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from . import dispatch
from .dispatch import DEFAULT_MAX_ATTEMPTS, Claimed, Dispatcher, Outcome, RetryLater
from .outbox import MAX_KEY_LENGTH
from .timestamps import UtcDateTime

__all__ = ["EventDispatcher", "EventOutboxMixin", "Outcome", "RetryLater", "enqueue_event"]

FIRST_RETRY = timedelta(seconds=1)
# Delivers one event's payload under its key: DELIVERED, REJECTED (never retried), or raises
# ``RetryLater`` when the receiver could not take it now.
EventDeliver = Callable[[str, dict[str, Any]], Awaitable[Outcome]]
Deliver = EventDeliver


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
    session: AsyncSession,
    model: type[EventOutboxMixin],
    *,
    key: str,
    payload: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """Add an event in ``session``'s transaction; a known ``key`` adds nothing. ``extra``
    fills the table's own columns besides the mixin's."""
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
        **(extra or {}),
    }
    table: Any = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(table).values(values).on_conflict_do_nothing())


def retry_delay(attempts: int, cap: timedelta) -> timedelta:
    """Exponential back-off after ``attempts`` failures: 1 s, 2 s, 4 s … at most ``cap``."""
    return dispatch.retry_delay(attempts, FIRST_RETRY, cap)


class EventDispatcher(Dispatcher):
    """The dispatcher of one event table: each row's JSON payload goes to ``deliver``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[EventOutboxMixin],
        deliver: EventDeliver,
        *,
        lease: timedelta = timedelta(seconds=60),
        max_retry: timedelta = timedelta(minutes=5),
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        batch_size: int = 20,
    ) -> None:
        async def deliver_row(row: Claimed) -> Outcome:
            return await deliver(row.key, json.loads(row.values["payload"]))

        super().__init__(
            sessions, model, deliver_row, columns=("payload",), lease=lease,
            first_retry=FIRST_RETRY, max_retry=max_retry, max_attempts=max_attempts,
            batch_size=batch_size,
        )  # fmt: skip
