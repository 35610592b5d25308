"""The orders subgraph schema: queries and mutations."""

from __future__ import annotations

import strawberry
import strawberry.federation as fed
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.admin import BILLING_WRITE, SUPPORT_WRITE
from subgraphs.common.deadletters import DeadLetter, list_dead_letters
from subgraphs.common.errors import Conflict
from subgraphs.common.idempotency import check_key, fingerprint, run_idempotent
from subgraphs.common.identity import owner_of
from subgraphs.common.ids import check_id
from subgraphs.common.inputs import check_list, check_text
from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, SortOrder, build_connection
from subgraphs.common.schema import SubgraphSchema

from . import payment_state, repository
from .models import IdempotencyKey, OrderRow, OutboxRow
from .realtime import Subscription
from .services import order_payments
from .types import (
    Customer,
    Info,
    Order,
    OrderFilter,
    PlaceOrderInput,
    Product,
    ProductFilter,
)


async def _reload_order(info: Info, order_id: str) -> Order:
    loaders = info.context.loaders
    return Order.from_row(await reload_after_write(loaders, loaders.order, order_id))


def _line_requests(input: PlaceOrderInput) -> list[repository.LineRequest]:
    check_list(input.lines, "lines", repository.MAX_LINES)
    return [
        repository.LineRequest(
            product_id=check_id(line.product_id, field="productId"), quantity=line.quantity
        )
        for line in input.lines
    ]


OUTBOXES = {"emails": OutboxRow}


async def _require_order_owner(info: Info, operation: str, order_id: str, staff: list[str]) -> None:
    """FORBIDDEN unless the order is the caller's own or the caller holds a ``staff`` scope
    (for whom an order that does not exist is NOT_FOUND, as before)."""
    owner = await owner_of(info.context.db, OrderRow, order_id)
    info.context.identity.require(operation, staff=staff, owner=owner)


@strawberry.type
class Query:
    @strawberry.field(description="A product by id, or null if there is none.")
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        row = await info.context.loaders.product.load(check_id(id))
        return Product.from_row(row) if row else None

    @strawberry.field(description="Products oldest first unless orderBy says NEWEST_FIRST.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        filter: ProductFilter | None = None,
    ) -> Connection[Product]:
        args = info.context.page_args(first, after, order_by)
        where = filter or ProductFilter()
        search = check_text(where.search, "search", 200) if where.search else None
        criteria = repository.ProductFilter(search=search, in_stock=where.in_stock)
        async with info.context.db.read() as session:
            rows = await repository.list_products(session, page=args, where=criteria)
        return build_connection(rows, args, Product.from_row)

    @fed.field(
        description="An order by id, or null if there is none (or it is not yours).",
        authenticated=True,
    )
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return await Order.visible(info, check_id(id))

    @fed.field(
        description="Orders oldest first unless orderBy says NEWEST_FIRST (a customer's: its own).",
        authenticated=True,
    )
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        filter: OrderFilter | None = None,
    ) -> Connection[Order]:
        args = info.context.page_args(first, after, order_by)
        where = filter or OrderFilter()
        requested = (
            check_id(where.customer_id, field="customerId")
            if where.customer_id is not None
            else None
        )
        criteria = repository.OrderFilter(
            status=where.status.value if where.status else None,
            customer_id=info.context.identity.narrow(requested),
        )
        async with info.context.db.read() as session:
            rows = await repository.list_orders(session, page=args, where=criteria)
        return build_connection(rows, args, Order.from_row)

    @fed.field(
        description="Admin only: the newest outbox rows this service "
        "gave up delivering (rejected, or out of attempts), newest first.",
        requires_scopes=[["admin"]],
    )
    async def orders_dead_letters(self, info: Info, limit: int = 50) -> list[DeadLetter]:
        return await list_dead_letters(info, "ordersDeadLetters", OUTBOXES, limit)


@strawberry.type
class Mutation:
    @fed.mutation(
        description="Place an order and reserve its stock; repeating the same key is safe.",
        authenticated=True,
    )
    async def place_order(self, info: Info, input: PlaceOrderInput, idempotency_key: str) -> Order:
        customer_id, lines = str(input.customer_id), _line_requests(input)
        info.context.identity.require("placeOrder", owner=customer_id)

        async def create(session: AsyncSession) -> str:
            row = await repository.place_order(session, customer_id=customer_id, lines=lines)
            return row.id

        order_id = await run_idempotent(
            info.context.db,
            IdempotencyKey,
            operation="placeOrder",
            key=idempotency_key,
            payload=strawberry.asdict(input),
            create=create,
        )
        await order_payments(info).settle(info.context.db, order_id)
        return await _reload_order(info, order_id)

    @fed.mutation(
        description="Pay an unpaid order: after PAYMENT_FAILED, charge again (with "
        "paymentMethodId, or the default card); otherwise complete the charge under way. "
        "Repeating the same key never charges twice.",
        authenticated=True,
    )
    async def pay_order(
        self,
        info: Info,
        id: strawberry.ID,
        idempotency_key: str,
        payment_method_id: strawberry.ID | None = None,
    ) -> Order:
        check_id(id)
        await _require_order_owner(info, "payOrder", id, [BILLING_WRITE])
        if payment_method_id is not None:
            check_id(payment_method_id, field="paymentMethodId")
        digest = fingerprint(check_key(idempotency_key))[:32]
        async with info.context.db.transaction() as session:
            order = await payment_state.payment_view(session, order_id=id)
            if order.status in ("CANCELLED", "PARTIALLY_REFUNDED", "REFUNDED"):
                raise Conflict(f"Order {id} is {order.status}; it cannot be paid.", id=id)
            await payment_state.start_new_charge(
                session,
                order_id=id,
                key=f"order:{id}:pay:{digest}",
                payment_method_id=payment_method_id,
            )
        await order_payments(info).settle(info.context.db, id)
        return await _reload_order(info, id)

    @fed.mutation(
        description="Cancel a PLACED or PAYMENT_FAILED order: void its invoice and put its "
        "stock back.",
        authenticated=True,
    )
    async def cancel_order(self, info: Info, id: strawberry.ID) -> Order:
        check_id(id)
        await _require_order_owner(info, "cancelOrder", id, [SUPPORT_WRITE])
        await order_payments(info).void_invoice_of(info.context.db, id)
        async with info.context.db.transaction() as session:
            await repository.cancel_order(session, order_id=id)
        return await _reload_order(info, id)


schema = SubgraphSchema(
    query=Query, mutation=Mutation, subscription=Subscription, types=[Customer, Order, Product]
)
