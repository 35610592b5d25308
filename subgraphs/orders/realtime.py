"""The orders service's subscriptions: an order as its status changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from subgraphs.common.ids import check_id
from subgraphs.common.realtime import entity_changes

from .loaders import make_loaders
from .models import OrderRow
from .types import Info, Order

WATCHED = (OrderRow,)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The order now, then again after each committed change of its status "
        "(PLACED → PAYMENT_PENDING → PAID, CANCELLED, refunds)."
    )
    async def order_status_changed(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncGenerator[Order, None]:
        row_id = check_id(order_id, field="orderId")

        async def resolve() -> Order | None:
            return await Order.resolve_reference(info, strawberry.ID(row_id))

        async for order in entity_changes(
            info, OrderRow, row_id, resolve, make_loaders, lambda o: o.status
        ):
            yield order
