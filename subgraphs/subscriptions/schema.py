"""The subscriptions subgraph schema: queries and mutations."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry
import strawberry.federation as fed
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.admin import BILLING_WRITE, require_admin, require_staff
from subgraphs.common.clock import ManualClock
from subgraphs.common.deadletters import DeadLetter, list_dead_letters
from subgraphs.common.errors import BadUserInput, Conflict
from subgraphs.common.idempotency import run_idempotent
from subgraphs.common.identity import owner_of
from subgraphs.common.ids import check_id
from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, SortOrder, build_connection
from subgraphs.common.schema import SubgraphSchema
from subgraphs.common.timestamps import as_utc

from . import repository
from .billing import CycleReport, check_as_of
from .models import IdempotencyKey, OutboxRow, SubscriptionRow
from .realtime import Subscription
from .services import billing_services
from .types import (
    BillingCycleReport,
    BillingOutcome,
    BillingRunResult,
    BillingSubscription,
    Customer,
    Info,
    Plan,
    SubscribeInput,
    SubscriptionFilter,
)


async def _reload_subscription(info: Info, subscription_id: str) -> BillingSubscription:
    loaders = info.context.loaders
    row = await reload_after_write(loaders, loaders.subscription, subscription_id)
    return BillingSubscription.from_row(row)


def _report(report: CycleReport) -> BillingCycleReport:
    runs = [
        BillingRunResult(
            subscription_id=strawberry.ID(r.subscription_id),
            outcome=BillingOutcome(r.outcome),
            period_start=r.period_start,
            period_end=r.period_end,
            invoice_id=strawberry.ID(r.invoice_id) if r.invoice_id else None,
            attempts=r.attempts,
            message=r.message,
            next_attempt_at=r.next_attempt_at,
        )
        for r in report.results
    ]
    return BillingCycleReport(
        as_of=report.as_of,
        paid=report.count("PAID"),
        declined=report.count("DECLINED"),
        canceled=report.count("CANCELED"),
        ended=report.count("ENDED"),
        pending=report.count("PENDING"),
        errors=report.count("ERROR"),
        runs=runs,
    )


def _optional_id(value: str | None, field: str) -> str | None:
    return check_id(value, field=field) if value is not None else None


def _criteria(where: SubscriptionFilter) -> repository.SubscriptionFilter:
    return repository.SubscriptionFilter(
        status=where.status.value if where.status else None,
        customer_id=_optional_id(where.customer_id, "customerId"),
        plan_id=_optional_id(where.plan_id, "planId"),
    )


OUTBOXES = {"emails": OutboxRow}


async def _require_subscription_owner(info: Info, operation: str, subscription_id: str) -> None:
    """FORBIDDEN unless the subscription is the caller's own or the caller has billing:write."""
    owner = await owner_of(info.context.db, SubscriptionRow, subscription_id)
    info.context.identity.require(operation, staff=[BILLING_WRITE], owner=owner)


@strawberry.type
class Query:
    @strawberry.field(description="A plan by id, or null if there is none.")
    async def plan(self, info: Info, id: strawberry.ID) -> Plan | None:
        row = await info.context.loaders.plan.load(check_id(id))
        return Plan.from_row(row) if row else None

    @strawberry.field(description="The price list, ordered by id.")
    async def plans(self, info: Info, active_only: bool = True) -> list[Plan]:
        async with info.context.db.read() as session:
            rows = await repository.list_plans(session, active_only=active_only)
        return [Plan.from_row(row) for row in rows]

    @fed.field(
        description="A subscription by id, or null if there is none (or it is not yours).",
        authenticated=True,
    )
    async def subscription(self, info: Info, id: strawberry.ID) -> BillingSubscription | None:
        return await BillingSubscription.visible(info, check_id(id))

    @fed.field(
        description="Subscriptions oldest first unless orderBy says NEWEST_FIRST (a "
        "customer's: its own).",
        authenticated=True,
    )
    async def subscriptions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        filter: SubscriptionFilter | None = None,
    ) -> Connection[BillingSubscription]:
        args = info.context.page_args(first, after, order_by)
        criteria = _criteria(filter or SubscriptionFilter())
        criteria = dataclasses.replace(
            criteria, customer_id=info.context.identity.narrow(criteria.customer_id)
        )
        async with info.context.db.read() as session:
            rows = await repository.list_subscriptions(session, page=args, where=criteria)
        return build_connection(rows, args, BillingSubscription.from_row)

    @fed.field(
        description="Admin only: the newest outbox rows this service "
        "gave up delivering (rejected, or out of attempts), newest first.",
        requires_scopes=[["admin"]],
    )
    async def subscriptions_dead_letters(self, info: Info, limit: int = 50) -> list[DeadLetter]:
        return await list_dead_letters(info, "subscriptionsDeadLetters", OUTBOXES, limit)


@strawberry.type
class Mutation:
    @fed.mutation(
        description="Subscribe a customer (yourself, or anyone with billing:write) to a plan; "
        "repeating the key is safe.",
        authenticated=True,
    )
    async def subscribe(
        self, info: Info, input: SubscribeInput, idempotency_key: str
    ) -> BillingSubscription:
        owner = check_id(input.customer_id, field="customerId")
        info.context.identity.require("subscribe", staff=[BILLING_WRITE], owner=owner)
        now = billing_services(info).clock.now()

        async def create(session: AsyncSession) -> str:
            row = await repository.subscribe(
                session,
                customer_id=input.customer_id,
                plan_id=check_id(input.plan_id, field="planId"),
                now=now,
            )
            return row.id

        subscription_id = await run_idempotent(
            info.context.db,
            IdempotencyKey,
            operation="subscribe",
            key=idempotency_key,
            payload=strawberry.asdict(input),
            create=create,
        )
        await billing_services(info).biller.bill_subscription(subscription_id, now)
        return await _reload_subscription(info, subscription_id)

    @fed.mutation(
        description="Cancel at the end of the current period (atPeriodEnd: true; the period "
        "is used up, nothing more is billed) or now (service ends at once; a paid period is "
        "not refunded, an unpaid one's invoice is voided).",
        authenticated=True,
    )
    async def cancel_subscription(
        self, info: Info, id: strawberry.ID, at_period_end: bool
    ) -> BillingSubscription:
        await _require_subscription_owner(info, "cancelSubscription", check_id(id))
        async with info.context.db.transaction() as session:
            await repository.cancel_subscription(
                session,
                subscription_id=check_id(id),
                at_period_end=at_period_end,
                now=billing_services(info).clock.now(),
            )
        return await _reload_subscription(info, id)

    @fed.mutation(
        description="Move to another plan of the same currency, now, prorated: the unused part "
        "of the current period is credited and the new plan charged for the rest of it (same "
        "interval) or for a new period from today (another interval), as lines of one invoice "
        "charged at once; a net credit is taken off the next period invoices.",
        authenticated=True,
    )
    async def change_plan(
        self, info: Info, id: strawberry.ID, plan_id: strawberry.ID
    ) -> BillingSubscription:
        await _require_subscription_owner(info, "changePlan", check_id(id))
        now = billing_services(info).clock.now()
        async with info.context.db.transaction() as session:
            _, opened = await repository.change_plan(
                session,
                subscription_id=check_id(id),
                plan_id=check_id(plan_id, field="planId"),
                now=now,
            )
        if opened:
            await billing_services(info).biller.bill_subscription(id, now)
        return await _reload_subscription(info, id)

    @fed.mutation(
        description="Admin only, and only with a test clock "
        "(SUBSCRIPTIONS_CLOCK=manual:…): move the service's clock forward to `to`.",
        requires_scopes=[["admin"]],
    )
    async def set_clock(self, info: Info, to: datetime) -> datetime:
        require_admin(info, "setClock")
        clock = billing_services(info).clock
        if not isinstance(clock, ManualClock):
            raise Conflict("setClock needs a test clock (SUBSCRIPTIONS_CLOCK=manual:<time>).")
        try:
            clock.set(check_as_of(as_utc(to)))
        except ValueError as exc:
            raise BadUserInput(str(exc), field="to") from exc
        return clock.now()

    @fed.mutation(
        description="Billing staff (billing:write): bill every subscription whose period "
        "ended by asOf — invoice, charge, advance the period, e-mail — and run due dunning "
        "retries. Each period is billed once, however often or concurrently this runs.",
        requires_scopes=[[BILLING_WRITE], ["admin"]],
    )
    async def run_billing_cycle(self, info: Info, as_of: datetime) -> BillingCycleReport:
        require_staff(info, "runBillingCycle", BILLING_WRITE)
        biller = billing_services(info).biller
        return _report(await biller.run_cycle(check_as_of(as_utc(as_of))))


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[BillingSubscription, Plan, Customer],
)
