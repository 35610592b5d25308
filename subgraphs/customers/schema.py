"""The customers subgraph schema: queries and mutations."""

from __future__ import annotations

import strawberry
import strawberry.federation as fed
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.admin import SUPPORT_READ, SUPPORT_WRITE
from subgraphs.common.idempotency import run_idempotent
from subgraphs.common.identity import owner_of
from subgraphs.common.ids import check_id
from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, SortOrder, build_connection
from subgraphs.common.schema import SubgraphSchema

from . import repository
from .models import IdempotencyKey, PaymentMethodRow
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


async def _require_card_owner(info: Info, operation: str, payment_method_id: str) -> None:
    """FORBIDDEN unless the card is the caller's own, or the caller is support staff (for
    whom a card that does not exist is the repository's NOT_FOUND)."""
    owner = await owner_of(info.context.db, PaymentMethodRow, payment_method_id)
    info.context.identity.require(operation, staff=[SUPPORT_WRITE], owner=owner)


@strawberry.type
class Query:
    @fed.field(
        description="A customer by id, or null if there is none (or it is not yours).",
        authenticated=True,
    )
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        return await Customer.visible(info, check_id(id))

    @fed.field(
        description="Customers oldest first unless orderBy says NEWEST_FIRST (staff).",
        requires_scopes=[[SUPPORT_READ], ["admin"]],
    )
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
            id=info.context.identity.owner_filter(),
        )
        async with info.context.db.read() as session:
            rows = await repository.list_customers(session, page=args, where=criteria)
        return build_connection(rows, args, Customer.from_row)

    @fed.field(description="A payment method by id (only yours).", authenticated=True)
    async def payment_method(self, info: Info, id: strawberry.ID) -> PaymentMethod | None:
        return await PaymentMethod.visible(info, check_id(id))


@strawberry.type
class Mutation:
    @fed.mutation(
        description="Create a customer; repeating the same key is safe (support:write).",
        requires_scopes=[[SUPPORT_WRITE], ["admin"]],
    )
    async def create_customer(
        self, info: Info, input: CreateCustomerInput, idempotency_key: str
    ) -> Customer:
        info.context.identity.require("createCustomer", staff=[SUPPORT_WRITE])

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

    @fed.mutation(
        description="Change your own profile (support:write: anyone's, and the status).",
        authenticated=True,
    )
    async def update_customer(
        self, info: Info, id: strawberry.ID, input: UpdateCustomerInput
    ) -> Customer:
        identity = info.context.identity
        if input.status is not None:
            identity.require("updateCustomer(status)", staff=[SUPPORT_WRITE])
        identity.require("updateCustomer", staff=[SUPPORT_WRITE], owner=check_id(id))
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

    @fed.mutation(
        description="Attach a tokenised card; the first card becomes default.",
        authenticated=True,
    )
    async def add_payment_method(
        self,
        info: Info,
        customer_id: strawberry.ID,
        input: PaymentMethodInput,
        make_default: bool = False,
    ) -> PaymentMethod:
        owner = check_id(customer_id, field="customerId")
        info.context.identity.require("addPaymentMethod", staff=[SUPPORT_WRITE], owner=owner)
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

    @fed.mutation(description="Detach a card; returns its customer.", authenticated=True)
    async def remove_payment_method(self, info: Info, id: strawberry.ID) -> Customer:
        await _require_card_owner(info, "removePaymentMethod", check_id(id))
        async with info.context.db.transaction() as session:
            customer_id = await repository.remove_payment_method(
                session, payment_method_id=check_id(id)
            )
        return await _reload_customer(info, customer_id)

    @fed.mutation(authenticated=True)
    async def set_default_payment_method(self, info: Info, id: strawberry.ID) -> PaymentMethod:
        await _require_card_owner(info, "setDefaultPaymentMethod", check_id(id))
        async with info.context.db.transaction() as session:
            await repository.set_default_payment_method(session, payment_method_id=check_id(id))
        return await _reload_payment_method(info, id)


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[Customer, PaymentMethod])
