"""GraphQL types of the subscriptions service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import TypeAlias

import strawberry
import strawberry.federation as fed

from subgraphs.common.context import SubgraphContext
from subgraphs.common.money import Money
from subgraphs.common.pagination import Connection, build_connection, page_args

from .loaders import Loaders
from .models import PlanRow, SubscriptionRow

Info: TypeAlias = strawberry.Info[SubgraphContext[Loaders], None]


@strawberry.enum(description="Lifecycle of a subscription.")
class SubscriptionStatus(Enum):
    TRIALING = "TRIALING"
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"


@strawberry.enum(description="How often a plan bills.")
class PlanInterval(Enum):
    MONTH = "MONTH"
    YEAR = "YEAR"


def as_utc(moment: datetime) -> datetime:
    """``moment`` with its UTC zone (SQLite hands stored timestamps back without one)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@fed.type(keys=["id"], description="A recurring price customers subscribe to.")
class Plan:
    id: strawberry.ID
    code: str = strawberry.field(description="Stable, unique, human-readable handle.")
    name: str
    interval: PlanInterval
    price: Money = strawberry.field(description="Charged once per interval.")
    trial_days: int = strawberry.field(description="Free days before the first charge.")
    active: bool = strawberry.field(description="Whether new subscriptions may choose it.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Plan | None:
        row = await info.context.loaders.plan.load(id)
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: PlanRow) -> Plan:
        return cls(
            id=strawberry.ID(row.id),
            code=row.code,
            name=row.name,
            interval=PlanInterval(row.interval),
            price=Money(amount=row.price, currency=row.currency),
            trial_days=row.trial_days,
            active=row.active,
        )


@fed.type(keys=["id"], description="A customer's subscription to a plan, billed each period.")
class BillingSubscription:
    id: strawberry.ID
    status: SubscriptionStatus
    current_period_start: date = strawberry.field(description="First day of the period.")
    current_period_end: date = strawberry.field(description="Day after the period's last.")
    trial_end: date | None = strawberry.field(description="When the free trial ends, if any.")
    cancel_at_period_end: bool = strawberry.field(
        description="Whether the subscription ends when the current period does."
    )
    canceled_at: datetime | None
    created_at: datetime
    customer_id: strawberry.Private[str]
    plan_id: strawberry.Private[str]

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=strawberry.ID(self.customer_id))

    @strawberry.field
    async def plan(self, info: Info) -> Plan:
        row = await info.context.loaders.plan.load(self.plan_id)
        assert row is not None  # a subscription always has its plan (foreign key)
        return Plan.from_row(row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> BillingSubscription | None:
        row = await info.context.loaders.subscription.load(id)
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: SubscriptionRow) -> BillingSubscription:
        return cls(
            id=strawberry.ID(row.id),
            status=SubscriptionStatus(row.status),
            current_period_start=row.current_period_start,
            current_period_end=row.current_period_end,
            trial_end=row.trial_end,
            cancel_at_period_end=row.cancel_at_period_end,
            canceled_at=as_utc(row.canceled_at) if row.canceled_at else None,
            created_at=as_utc(row.created_at),
            customer_id=row.customer_id,
            plan_id=row.plan_id,
        )


# The customers service owns customers and describes them; here a customer is its id.
@fed.type(keys=["id"])
class Customer:
    id: strawberry.ID

    @strawberry.field(description="The customer's subscriptions, oldest first.")
    async def subscriptions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: SubscriptionStatus | None = None,
    ) -> Connection[BillingSubscription]:
        settings = info.context.settings
        args = page_args(
            first, after, default=settings.default_page_size, maximum=settings.max_page_size
        )
        pages = info.context.loaders.customer_subscriptions(args, status.value if status else None)
        rows = await pages.load(self.id)
        return build_connection(rows, args, BillingSubscription.from_row, lambda r: r.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Customer:
        return cls(id=id)


@strawberry.input(description="Whom to subscribe to which plan.")
class SubscribeInput:
    customer_id: strawberry.ID
    plan_id: strawberry.ID


@strawberry.input
class SubscriptionFilter:
    status: SubscriptionStatus | None = None
    customer_id: strawberry.ID | None = None
    plan_id: strawberry.ID | None = None
