"""The customers subgraph schema: queries and mutations."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.idempotency import run_idempotent
from subgraphs.common.ids import check_id
from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, SortOrder, build_connection
from subgraphs.common.schema import SubgraphSchema

from . import repository
from .models import IdempotencyKey
from .types import (
    AddressInput,
    CreateCustomerInput,
    Customer,
    CustomerFilter,
    Info,
    PaymentMethod,
    PaymentMethodInput,
    UpdateCustomerInput,
)


def _address(data: AddressInput) -> repository.AddressData:
    return repository.AddressData(
        line1=data.line1,
        line2=data.line2,
        city=data.city,
        postal_code=data.postal_code,
        country=data.country,
    )


async def _reload_customer(info: Info, customer_id: str) -> Customer:
    loaders = info.context.loaders
    return Customer.from_row(await reload_after_write(loaders, loaders.customer, customer_id))


async def _reload_payment_method(info: Info, payment_method_id: str) -> PaymentMethod:
    loaders = info.context.loaders
    row = await reload_after_write(loaders, loaders.payment_method, payment_method_id)
    return PaymentMethod.from_row(row)


@strawberry.type
class Query:
    @strawberry.field(description="A customer by id, or null if there is none.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        row = await info.context.loaders.customer.load(check_id(id))
        return Customer.from_row(row) if row else None

    @strawberry.field(description="Customers oldest first unless orderBy says NEWEST_FIRST.")
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        filter: CustomerFilter | None = None,
    ) -> Connection[Customer]:
        args = info.context.page_args(first, after, order_by)
        where = filter or CustomerFilter()
        criteria = repository.CustomerFilter(
            status=where.status.value if where.status else None,
            country=where.country,
            email_contains=where.email_contains,
        )
        async with info.context.db.read() as session:
            rows = await repository.list_customers(session, page=args, where=criteria)
        return build_connection(rows, args, Customer.from_row)

    @strawberry.field(description="A payment method by id.")
    async def payment_method(self, info: Info, id: strawberry.ID) -> PaymentMethod | None:
        row = await info.context.loaders.payment_method.load(check_id(id))
        return PaymentMethod.from_row(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a customer; repeating the same key is safe.")
    async def create_customer(
        self, info: Info, input: CreateCustomerInput, idempotency_key: str
    ) -> Customer:
        async def create(session: AsyncSession) -> str:
            row = await repository.create_customer(
                session, email=input.email, name=input.name, address=_address(input.address)
            )
            return row.id

        customer_id = await run_idempotent(
            info.context.db,
            IdempotencyKey,
            operation="createCustomer",
            key=idempotency_key,
            payload=strawberry.asdict(input),
            create=create,
        )
        return await _reload_customer(info, customer_id)

    @strawberry.mutation
    async def update_customer(
        self, info: Info, id: strawberry.ID, input: UpdateCustomerInput
    ) -> Customer:
        async with info.context.db.transaction() as session:
            await repository.update_customer(
                session,
                customer_id=check_id(id),
                email=input.email,
                name=input.name,
                address=_address(input.address) if input.address else None,
                status=input.status.value if input.status else None,
            )
        return await _reload_customer(info, id)

    @strawberry.mutation(description="Attach a tokenised card; the first card becomes default.")
    async def add_payment_method(
        self,
        info: Info,
        customer_id: strawberry.ID,
        input: PaymentMethodInput,
        make_default: bool = False,
    ) -> PaymentMethod:
        card = repository.CardData(
            token=input.token,
            brand=input.brand.value,
            last4=input.last4,
            exp_month=input.exp_month,
            exp_year=input.exp_year,
        )
        async with info.context.db.transaction() as session:
            row = await repository.add_payment_method(
                session,
                customer_id=check_id(customer_id, field="customerId"),
                card=card,
                make_default=make_default,
            )
        return await _reload_payment_method(info, row.id)

    @strawberry.mutation(description="Detach a card; returns its customer.")
    async def remove_payment_method(self, info: Info, id: strawberry.ID) -> Customer:
        async with info.context.db.transaction() as session:
            customer_id = await repository.remove_payment_method(
                session, payment_method_id=check_id(id)
            )
        return await _reload_customer(info, customer_id)

    @strawberry.mutation
    async def set_default_payment_method(self, info: Info, id: strawberry.ID) -> PaymentMethod:
        async with info.context.db.transaction() as session:
            await repository.set_default_payment_method(session, payment_method_id=check_id(id))
        return await _reload_payment_method(info, id)


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[Customer, PaymentMethod])
