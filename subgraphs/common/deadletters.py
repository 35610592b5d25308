"""Dead letters made visible: an admin query per service and a ``/metrics`` count.

A dead letter is an outbox row the dispatcher gave up on (``dispatch.dead``): rejected by
its receiver, or still undelivered after ``<SERVICE>_OUTBOX_MAX_ATTEMPTS`` attempts. Each
service with outboxes lists them in ``<service>DeadLetters`` (admin only: the X-Admin-Token
header, ``admin.require_admin``) and counts them, with the rows still pending, on
``GET /metrics`` in the Prometheus text format, for an alert on ``dead_letters > 0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry.federation as fed
from sqlalchemy import func, select

from .admin import require_admin
from .db import RequestDb
from .dispatch import count_dead, dead, dead_letters

MAX_LIST = 200


@fed.type(shareable=True, description="An outbox row that will not be delivered by itself.")
class DeadLetter:
    outbox: str = fed.field(description="Which outbox: emails, order-events, …")
    key: str = fed.field(description="The row's unique key: what caused it.")
    attempts: int
    rejected: bool = fed.field(description="The receiver refused it for good.")
    last_error: str | None
    created_at: datetime


async def list_dead_letters(
    info: Any, operation: str, outboxes: Mapping[str, Any], limit: int
) -> list[DeadLetter]:
    """The newest dead letters of every outbox of the service (admin only)."""
    require_admin(info, operation)
    limit = max(0, min(limit, MAX_LIST))
    max_attempts: int = info.context.settings.outbox_max_attempts
    found: list[DeadLetter] = []
    async with info.context.db.read() as session:
        for name, model in outboxes.items():
            for row in await dead_letters(session, model, max_attempts, limit=limit):
                found.append(
                    DeadLetter(
                        outbox=name,
                        key=row.key,
                        attempts=row.attempts,
                        rejected=bool(getattr(row, "rejected", False)),
                        last_error=row.last_error,
                        created_at=row.created_at,
                    )
                )
    found.sort(key=lambda letter: letter.created_at, reverse=True)
    return found[:limit]


async def metrics_text(
    db: RequestDb, service: str, outboxes: Mapping[str, Any], max_attempts: int
) -> str:
    """``switchboard_outbox_dead_letters`` and ``…_pending`` per outbox, Prometheus text."""
    lines = [
        "# HELP switchboard_outbox_dead_letters Outbox rows given up on (rejected, or out of "
        "attempts).",
        "# TYPE switchboard_outbox_dead_letters gauge",
        "# HELP switchboard_outbox_pending Outbox rows waiting to be delivered.",
        "# TYPE switchboard_outbox_pending gauge",
    ]
    async with db.read() as session:
        for name, model in outboxes.items():
            labels = f'service="{service}",outbox="{name}"'
            dead_count = await count_dead(session, model, max_attempts)
            pending = await session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.delivered_at.is_(None), ~dead(model, max_attempts))
            )
            lines.append(f"switchboard_outbox_dead_letters{{{labels}}} {dead_count}")
            lines.append(f"switchboard_outbox_pending{{{labels}}} {int(pending or 0)}")
    return "\n".join(lines) + "\n"
