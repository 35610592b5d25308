"""GraphQL types of the invoices service, and the entities it extends."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import strawberry
import strawberry.federation as fed

from subgraphs.common.admin import BILLING_WRITE
from subgraphs.common.context import SubgraphContext
from subgraphs.common.errors import BadUserInput
from subgraphs.common.loaders import PageKey
from subgraphs.common.money import MinorUnits, Money
from subgraphs.common.pagination import Connection, SortOrder, build_connection

from .loaders import Loaders
from .models import InvoiceLineRow, InvoiceRow
from .runtime import runtime_of
from .tax import rate_for

if TYPE_CHECKING:
    from .payment_types import Payment

Info: TypeAlias = strawberry.Info[SubgraphContext[Loaders], None]


@strawberry.enum(
    description="Lifecycle of an invoice: DRAFT, then OPEN until PAID or VOID; a PAID invoice "
    "becomes PARTIALLY_REFUNDED or REFUNDED when its payment is refunded."
)
class InvoiceStatus(Enum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAID = "PAID"
    VOID = "VOID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


@strawberry.type(description="A tax rate: basis points of the subtotal (1900 = 19 %).")
class TaxRate:
    country: str
    basis_points: int
    name: str


@strawberry.type
class InvoiceLine:
    description: str
    quantity: int
    unit_amount: Money
    amount: Money = strawberry.field(description="quantity * unitAmount.")

    @classmethod
    def from_row(cls, row: InvoiceLineRow, currency: str) -> InvoiceLine:
        return cls(
            description=row.description,
            quantity=row.quantity,
            unit_amount=Money(amount=row.unit_amount, currency=currency),
            amount=Money(amount=row.amount, currency=currency),
        )


@fed.type(
    keys=["id"], authenticated=True, description="An invoice; all its amounts share one currency."
)
class Invoice:
    id: strawberry.ID
    number: str = strawberry.field(description="Unique and human-facing, e.g. INV-2026-000123.")
    subtotal: Money = strawberry.field(description="The sum of the lines' amounts.")
    tax: Money = strawberry.field(description="subtotal * taxRateBasisPoints / 10000, half-up.")
    tax_rate_basis_points: int
    total: Money = strawberry.field(description="subtotal + tax.")
    status: InvoiceStatus
    issued_at: datetime | None
    due_date: date | None
    paid_at: datetime | None
    period_start: date | None = strawberry.field(description="Billed period (subscriptions).")
    period_end: date | None
    customer_id: strawberry.Private[str]
    order_id: strawberry.Private[str | None]
    subscription_id: strawberry.Private[str | None]
    currency: strawberry.Private[str]

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=strawberry.ID(self.customer_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[InvoiceLine]:
        rows = await info.context.loaders.lines.load(self.id)
        return [InvoiceLine.from_row(row, self.currency) for row in rows]

    @strawberry.field(description="The order this invoice bills, if any.")
    def order(self) -> Order | None:
        return Order(id=strawberry.ID(self.order_id)) if self.order_id else None

    @strawberry.field(description="The subscription whose period this invoice bills, if any.")
    def subscription(self) -> BillingSubscription | None:
        if not self.subscription_id:
            return None
        return BillingSubscription(id=strawberry.ID(self.subscription_id))

    @strawberry.field(description="Charges of this invoice at the bank, oldest first.")
    async def payments(
        self, info: Info
    ) -> list[Annotated[Payment, strawberry.lazy("subgraphs.invoices.payment_types")]]:
        from .payment_types import Payment

        rows = await info.context.loaders.invoice_payments.load(self.id)
        return [Payment.from_row(row) for row in rows]

    @strawberry.field(
        description="Where the invoice's PDF is served (GET, application/pdf): a signed link "
        "for the invoice's customer and billing staff (billing:write); null and FORBIDDEN "
        "for anyone else."
    )
    def pdf_url(self, info: Info) -> str | None:
        info.context.identity.require("pdfUrl", staff=[BILLING_WRITE], owner=self.customer_id)
        return runtime_of(info.context).links.url(self.id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Invoice | None:
        return await cls.visible(info, id)

    @classmethod
    async def visible(cls, info: Info, id: str) -> Invoice | None:
        """The invoice ``id`` if it exists and the identity may see its customer; else None."""
        row = await info.context.loaders.invoice.load(id)
        return cls.from_row(row) if row and info.context.identity.may_see(row.customer_id) else None

    @classmethod
    def from_row(cls, row: InvoiceRow) -> Invoice:
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=row.currency)

        return cls(
            id=strawberry.ID(row.id),
            number=row.number,
            subtotal=money(row.subtotal),
            tax=money(row.tax),
            tax_rate_basis_points=row.tax_rate_basis_points,
            total=money(row.total),
            status=InvoiceStatus(row.status),
            issued_at=row.issued_at,
            due_date=row.due_date,
            paid_at=row.paid_at,
            period_start=row.period_start,
            period_end=row.period_end,
            customer_id=row.customer_id,
            order_id=row.order_id,
            subscription_id=row.subscription_id,
            currency=row.currency,
        )


@strawberry.type
class Address:
    """The part of the customers service's Address that taxRate requires."""

    country: str = fed.field(external=True)


@fed.type(keys=["id"], authenticated=True)
class Customer:
    id: strawberry.ID
    # Non-null like the owner's field (composition insists); None only on stubs built here.
    address: Address | None = fed.field(external=True, default=None, graphql_type=Address)

    @strawberry.field(
        description="The customer's invoices, oldest first unless orderBy says otherwise."
    )
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        status: InvoiceStatus | None = None,
    ) -> Connection[Invoice]:
        page = info.context.page_args(first, after, order_by)
        key = PageKey(self.id, page, status.value if status else None)
        visible = info.context.identity.may_see(str(self.id))
        rows = await info.context.loaders.customer_invoices.load(key) if visible else []
        return build_connection(rows, page, Invoice.from_row)

    @strawberry.field(description="What the customer owes on OPEN invoices, per currency.")
    async def outstanding_balance(self, info: Info) -> list[Money]:
        if not info.context.identity.may_see(str(self.id)):
            return []
        balances = await info.context.loaders.outstanding.load(self.id)
        return [Money(amount=b.amount, currency=b.currency) for b in balances]

    @fed.field(requires=["address { country }"], description="Tax charged on new invoices.")
    def tax_rate(self) -> TaxRate:
        if self.address is None:
            raise BadUserInput(
                "taxRate needs the customer's address.country in the representation.",
                field="address",
            )
        rate = rate_for(self.address.country)
        return TaxRate(country=rate.country, basis_points=rate.basis_points, name=rate.name)

    @classmethod
    def resolve_reference(
        cls, info: Info, id: strawberry.ID, address: dict[str, Any] | None = None
    ) -> Customer | None:
        if not info.context.identity.may_see(str(id)):
            return None
        country = (address or {}).get("country")
        if country is not None and not isinstance(country, str):
            raise BadUserInput("address.country must be a string.", field="address")
        return cls(id=id, address=Address(country=country) if country is not None else None)


@fed.type(keys=["id"], authenticated=True)
class Order:
    id: strawberry.ID

    @strawberry.field(description="The invoice issued for this order, or null.")
    async def invoice(self, info: Info) -> Invoice | None:
        row = await info.context.loaders.invoice_by_order.load(self.id)
        return (
            Invoice.from_row(row)
            if row and info.context.identity.may_see(row.customer_id)
            else None
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        """Null for an order whose invoice here is another customer's. (An order not invoiced
        yet is a bare stub: every field of it here is empty.)"""
        row = await info.context.loaders.invoice_by_order.load(str(id))
        return None if row and not info.context.identity.may_see(row.customer_id) else cls(id=id)


@fed.type(keys=["id"], authenticated=True)
class BillingSubscription:
    id: strawberry.ID

    @strawberry.field(
        description="Invoices of the subscription's billing periods, oldest first unless "
        "orderBy says otherwise."
    )
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
    ) -> Connection[Invoice]:
        page = info.context.page_args(first, after, order_by)
        rows = await info.context.loaders.subscription_invoices.load(PageKey(self.id, page))
        identity = info.context.identity
        rows = [row for row in rows if identity.may_see(row.customer_id)]
        return build_connection(rows, page, Invoice.from_row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> BillingSubscription | None:
        """Null for a subscription whose invoices here are another customer's. (One not
        billed yet is a bare stub: every field of it here is empty.)"""
        owner = await info.context.loaders.subscription_owner.load(str(id))
        return None if owner and not info.context.identity.may_see(owner) else cls(id=id)


@strawberry.input
class InvoiceFilter:
    status: InvoiceStatus | None = None
    customer_id: strawberry.ID | None = None


@strawberry.input(description="An amount of money: integer minor units and an ISO 4217 code.")
class MoneyInput:
    amount: int = strawberry.field(graphql_type=MinorUnits)
    currency: str


@strawberry.input(description="One line of an invoice; amounts in the invoice's currency.")
class InvoiceLineInput:
    description: str
    unit_amount: int = strawberry.field(
        graphql_type=MinorUnits,
        description="Minor units of the invoice's currency; negative for a credit line (the "
        "invoice's total may not be negative).",
    )
    quantity: int = 1


@strawberry.input(description="An invoice to issue: OPEN at once, numbered, due in 14 days.")
class IssueInvoiceInput:
    customer_id: strawberry.ID
    currency: str
    lines: list[InvoiceLineInput]
    order_id: strawberry.ID | None = None
    subscription_id: strawberry.ID | None = None
    period_start: date | None = None
    period_end: date | None = None
