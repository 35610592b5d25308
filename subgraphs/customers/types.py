"""GraphQL types of the customers service."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeAlias

import strawberry
import strawberry.federation as fed

from subgraphs.common.context import SubgraphContext

from .loaders import Loaders
from .models import CustomerRow, PaymentMethodRow

Info: TypeAlias = strawberry.Info[SubgraphContext[Loaders], None]


@strawberry.enum(description="Lifecycle of a customer account.")
class CustomerStatus(Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


@strawberry.enum
class CardBrand(Enum):
    VISA = "VISA"
    MASTERCARD = "MASTERCARD"
    AMEX = "AMEX"
    DISCOVER = "DISCOVER"
    OTHER = "OTHER"


@fed.type(shareable=True, description="A postal address; country is ISO 3166-1 alpha-2.")
class Address:
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str


@fed.type(
    keys=["id"],
    authenticated=True,
    description="A tokenised card. The full card number is never stored.",
)
class PaymentMethod:
    id: strawberry.ID
    brand: CardBrand
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    created_at: datetime
    token: str = fed.field(
        inaccessible=True, description="Vault token the bank charges; for services only."
    )
    customer_id: strawberry.Private[str]

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        row = await info.context.loaders.customer.load(self.customer_id)
        assert row is not None  # a payment method always has its customer (foreign key)
        return Customer.from_row(row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> PaymentMethod | None:
        return await cls.visible(info, id)

    @classmethod
    async def visible(cls, info: Info, id: str) -> PaymentMethod | None:
        """The card ``id`` if it exists and the identity may see its customer; else None."""
        row = await info.context.loaders.payment_method.load(id)
        if row is None or not info.context.identity.may_see(row.customer_id):
            return None
        return cls.from_row(row)

    @classmethod
    def from_row(cls, row: PaymentMethodRow) -> PaymentMethod:
        return cls(
            id=strawberry.ID(row.id),
            brand=CardBrand(row.brand),
            last4=row.last4,
            exp_month=row.exp_month,
            exp_year=row.exp_year,
            is_default=row.is_default,
            created_at=row.created_at,
            token=row.token,
            customer_id=row.customer_id,
        )


@fed.type(keys=["id"], authenticated=True, description="A customer of the payment processor.")
class Customer:
    id: strawberry.ID
    email: str
    name: str
    address: Address
    status: CustomerStatus
    created_at: datetime
    payment_methods: list[PaymentMethod]

    @strawberry.field(description="The card charged when no other is named.")
    def default_payment_method(self) -> PaymentMethod | None:
        return next((pm for pm in self.payment_methods if pm.is_default), None)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer | None:
        return await cls.visible(info, id)

    @classmethod
    async def visible(cls, info: Info, id: str) -> Customer | None:
        """The customer ``id`` if it exists and the identity may see it; else None."""
        if not info.context.identity.may_see(id):
            return None
        row = await info.context.loaders.customer.load(id)
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            name=row.name,
            address=Address(
                line1=row.line1,
                line2=row.line2,
                city=row.city,
                postal_code=row.postal_code,
                country=row.country,
            ),
            status=CustomerStatus(row.status),
            created_at=row.created_at,
            payment_methods=[PaymentMethod.from_row(pm) for pm in row.payment_methods],
        )


@strawberry.input
class AddressInput:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None


@strawberry.input
class CreateCustomerInput:
    email: str
    name: str
    address: AddressInput


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class UpdateCustomerInput:
    email: str | None = None
    name: str | None = None
    address: AddressInput | None = None
    status: CustomerStatus | None = None


@strawberry.input(description="A card as the vault returned it: a token, never the number.")
class PaymentMethodInput:
    token: str
    brand: CardBrand
    last4: str
    exp_month: int
    exp_year: int


@strawberry.input
class CustomerFilter:
    status: CustomerStatus | None = None
    country: str | None = None
    email_contains: str | None = None
