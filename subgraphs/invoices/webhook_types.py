"""GraphQL of webhooks: endpoints, their deliveries and every attempt (admin only for now)."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from sqlalchemy import select

from subgraphs.common.admin import require_admin

from . import webhooks
from .models import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from .runtime import runtime_of
from .types import Info


@strawberry.type(description="One HTTP exchange of a webhook delivery.")
class WebhookAttempt:
    number: int
    http_status: int | None
    error: str | None
    started_at: datetime
    duration_ms: int


@strawberry.type(description="One event for one endpoint, with every attempt to deliver it.")
class WebhookDelivery:
    event_id: str
    event_type: str
    status: str = strawberry.field(description="PENDING, DELIVERED or FAILED (gave up).")
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[WebhookAttempt]


@strawberry.type(description="Where a merchant receives events, signed with its secret.")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    events: list[str]
    created_at: datetime

    @strawberry.field(description="The newest deliveries first.")
    async def deliveries(self, info: Info, limit: int = 20) -> list[WebhookDelivery]:
        limit = max(0, min(limit, 100))
        max_attempts = info.context.settings.outbox_max_attempts
        async with info.context.db.read() as session:
            rows = (
                await session.scalars(
                    select(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.endpoint_id == self.id)
                    .order_by(WebhookDeliveryRow.id.desc())
                    .limit(limit)
                )
            ).all()
            ids = [r.id for r in rows]
            attempts = (
                await session.scalars(
                    select(WebhookAttemptRow)
                    .where(WebhookAttemptRow.delivery_id.in_(ids))
                    .order_by(WebhookAttemptRow.id)
                )
            ).all()
        by_delivery: dict[int, list[WebhookAttempt]] = {i: [] for i in ids}
        for a in attempts:
            by_delivery[a.delivery_id].append(
                WebhookAttempt(
                    number=a.number,
                    http_status=a.http_status,
                    error=a.error,
                    started_at=a.started_at,
                    duration_ms=a.duration_ms,
                )
            )
        return [
            WebhookDelivery(
                event_id=r.event_id,
                event_type=r.event_type,
                status="DELIVERED"
                if r.delivered_at
                else ("FAILED" if r.attempts >= max_attempts else "PENDING"),
                created_at=r.created_at,
                delivered_at=r.delivered_at,
                attempts=by_delivery[r.id],
            )
            for r in rows
        ]

    @classmethod
    def from_row(cls, row: WebhookEndpointRow) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(row.id),
            url=row.url,
            events=json.loads(row.events),
            created_at=row.created_at,
        )


@strawberry.type(description="A new endpoint and its signing secret, shown only this once.")
class WebhookEndpointCreated:
    endpoint: WebhookEndpoint
    secret: str


async def create_webhook_endpoint(
    info: Info, url: str, events: list[str]
) -> WebhookEndpointCreated:
    require_admin(info, "createWebhookEndpoint")
    allow = runtime_of(info.context).settings.webhooks_allow_private
    async with info.context.db.transaction() as session:
        row = await webhooks.create_endpoint(session, url=url, events=events, allow_private=allow)
    return WebhookEndpointCreated(endpoint=WebhookEndpoint.from_row(row), secret=row.secret)


async def webhook_endpoints(info: Info) -> list[WebhookEndpoint]:
    require_admin(info, "webhookEndpoints")
    async with info.context.db.read() as session:
        rows = (
            await session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.id))
        ).all()
    return [WebhookEndpoint.from_row(r) for r in rows]
