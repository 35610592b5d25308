"""The orders subgraph schema: queries and mutations."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.idempotency import run_idempotent
from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, build_connection
from subgraphs.common.schema import SubgraphSchema

from . import repository
from .models import IdempotencyKey
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
    return [
        repository.LineRequest(product_id=str(line.product_id), quantity=line.quantity)
        for line in input.lines
    ]


@strawberry.type
class Query:
    @strawberry.field(description="A product by id, or null if there is none.")
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        row = await info.context.loaders.product.load(id)
        return Product.from_row(row) if row else None

    @strawberry.field(description="Products ordered by id, newest last.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProductFilter | None = None,
    ) -> Connection[Product]:
        args = info.context.page_args(first, after)
        where = filter or ProductFilter()
        criteria = repository.ProductFilter(search=where.search, in_stock=where.in_stock)
        async with info.context.db.read() as session:
            rows = await repository.list_products(session, page=args, where=criteria)
        return build_connection(rows, args, Product.from_row)

    @strawberry.field(description="An order by id, or null if there is none.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        row = await info.context.loaders.order.load(id)
        return Order.from_row(row) if row else None

    @strawberry.field(description="Orders ordered by id, newest last.")
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OrderFilter | None = None,
    ) -> Connection[Order]:
        args = info.context.page_args(first, after)
        where = filter or OrderFilter()
        criteria = repository.OrderFilter(
            status=where.status.value if where.status else None,
            customer_id=str(where.customer_id) if where.customer_id is not None else None,
        )
        async with info.context.db.read() as session:
            rows = await repository.list_orders(session, page=args, where=criteria)
        return build_connection(rows, args, Order.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Place an order and reserve its stock; repeating the same key is safe."
    )
    async def place_order(self, info: Info, input: PlaceOrderInput, idempotency_key: str) -> Order:
        customer_id, lines = str(input.customer_id), _line_requests(input)

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
        return await _reload_order(info, order_id)

    @strawberry.mutation(description="Cancel a PLACED order and put its stock back.")
    async def cancel_order(self, info: Info, id: strawberry.ID) -> Order:
        async with info.context.db.transaction() as session:
            await repository.cancel_order(session, order_id=id)
        return await _reload_order(info, id)


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[Customer, Order, Product])
