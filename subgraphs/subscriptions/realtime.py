"""The subscriptions service's GraphQL subscriptions: a billing subscription as it changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from subgraphs.common.ids import check_id
from subgraphs.common.realtime import entity_changes, owned_changes

from .loaders import make_loaders
from .models import SubscriptionRow
from .types import BillingSubscription, Info

WATCHED = (SubscriptionRow,)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The billing subscription now, then again after each committed change "
        "of its status or period (renewed, PAST_DUE, canceled)."
    )
    async def subscription_changed(
        self, info: Info, subscription_id: strawberry.ID
    ) -> AsyncGenerator[BillingSubscription, None]:
        row_id = check_id(subscription_id, field="subscriptionId")

        async def resolve() -> BillingSubscription | None:
            return await BillingSubscription.resolve_reference(info, strawberry.ID(row_id))

        async for subscription in entity_changes(
            info, SubscriptionRow, row_id, resolve, make_loaders, _state
        ):
            yield subscription

    @strawberry.subscription(
        description="Each billing subscription of the customer after a committed change of "
        "its status or period (renewed, PAST_DUE, canceled); nothing is sent at subscribe time."
    )
    async def subscription_events(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[BillingSubscription, None]:
        owner = check_id(customer_id, field="customerId")

        async def resolve(row_id: str) -> BillingSubscription | None:
            return await BillingSubscription.resolve_reference(info, strawberry.ID(row_id))

        async for subscription in owned_changes(
            info, SubscriptionRow, owner, resolve, lambda s: s.customer_id, make_loaders, _state
        ):
            yield subscription


def _state(subscription: BillingSubscription) -> object:
    return tuple(
        getattr(subscription, name, None)
        for name in ("status", "current_period_start", "current_period_end", "cancel_at_period_end")
    )
