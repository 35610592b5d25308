"""GraphQL types of the subscriptions service."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TypeAlias

import strawberry
import strawberry.federation as fed

from subgraphs.common.context import SubgraphContext
from subgraphs.common.loaders import PageKey
from subgraphs.common.money import Money
from subgraphs.common.pagination import Connection, SortOrder, build_connection

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


@fed.type(
    keys=["id"],
    authenticated=True,
    description="A customer's subscription to a plan, billed each period.",
)
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
    plan_row: strawberry.Private[PlanRow]

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=strawberry.ID(self.customer_id))

    @strawberry.field
    def plan(self) -> Plan:
        return Plan.from_row(self.plan_row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> BillingSubscription | None:
        return await cls.visible(info, id)

    @classmethod
    async def visible(cls, info: Info, id: str) -> BillingSubscription | None:
        """The subscription ``id`` if it exists and the identity may see its customer."""
        row = await info.context.loaders.subscription.load(id)
        if row is None or not info.context.identity.may_see(row.customer_id):
            return None
        return cls.from_row(row)

    @classmethod
    def from_row(cls, row: SubscriptionRow) -> BillingSubscription:
        return cls(
            id=strawberry.ID(row.id),
            status=SubscriptionStatus(row.status),
            current_period_start=row.current_period_start,
            current_period_end=row.current_period_end,
            trial_end=row.trial_end,
            cancel_at_period_end=row.cancel_at_period_end,
            canceled_at=row.canceled_at,
            created_at=row.created_at,
            customer_id=row.customer_id,
            plan_row=row.plan,
        )


# The customers service owns customers and describes them; here a customer is its id.
@fed.type(keys=["id"], authenticated=True)
class Customer:
    id: strawberry.ID

    @strawberry.field(
        description="The customer's subscriptions, oldest first unless orderBy says otherwise."
    )
    async def subscriptions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        status: SubscriptionStatus | None = None,
    ) -> Connection[BillingSubscription]:
        args = info.context.page_args(first, after, order_by)
        key = PageKey(self.id, args, status.value if status else None)
        visible = info.context.identity.may_see(str(self.id))
        rows = await info.context.loaders.customer_subscriptions.load(key) if visible else []
        return build_connection(rows, args, BillingSubscription.from_row)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer | None:
        return cls(id=id) if info.context.identity.may_see(str(id)) else None


@strawberry.input(description="Whom to subscribe to which plan.")
class SubscribeInput:
    customer_id: strawberry.ID
    plan_id: strawberry.ID


@strawberry.input
class SubscriptionFilter:
    status: SubscriptionStatus | None = None
    customer_id: strawberry.ID | None = None
    plan_id: strawberry.ID | None = None


@strawberry.enum(description="What a billing cycle did with one subscription.")
class BillingOutcome(Enum):
    PAID = "PAID"
    DECLINED = "DECLINED"
    CANCELED = "CANCELED"
    ENDED = "ENDED"
    PENDING = "PENDING"
    ERROR = "ERROR"


@strawberry.type(description="One subscription's billing in a cycle.")
class BillingRunResult:
    subscription_id: strawberry.ID
    outcome: BillingOutcome = strawberry.field(
        description="PAID; DECLINED (past due, retried on the dunning schedule); CANCELED "
        "(dunning exhausted); ENDED (canceled at period end, not billed); PENDING (the bank "
        "has not decided; the next cycle asks again); ERROR (a service was down; retried)."
    )
    period_start: date | None
    period_end: date | None
    invoice_id: strawberry.ID | None
    attempts: int = strawberry.field(description="Declined charges of this period so far.")
    message: str | None
    next_attempt_at: datetime | None = strawberry.field(description="The next dunning retry.")


@strawberry.type(description="What one runBillingCycle did; counts are of this call only.")
class BillingCycleReport:
    as_of: datetime
    paid: int
    declined: int
    canceled: int
    ended: int
    pending: int
    errors: int
    runs: list[BillingRunResult]
