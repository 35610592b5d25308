"""GraphQL types of the orders service."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TypeAlias

import strawberry
import strawberry.federation as fed

from subgraphs.common.context import SubgraphContext
from subgraphs.common.loaders import PageKey
from subgraphs.common.money import Money
from subgraphs.common.pagination import Connection, SortOrder, build_connection

from .loaders import Loaders
from .models import OrderLineRow, OrderRow, ProductRow

Info: TypeAlias = strawberry.Info[SubgraphContext[Loaders], None]


@strawberry.enum(
    description="Lifecycle of an order: PLACED (stock reserved), PAYMENT_PENDING (invoiced, "
    "charge under way), then PAID or PAYMENT_FAILED; a PAID order becomes PARTIALLY_REFUNDED "
    "or REFUNDED as its invoice's payment is refunded; CANCELLED ends an unpaid one."
)
class OrderStatus(Enum):
    PLACED = "PLACED"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED = "CANCELLED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


# Reasons that a repeat of the same request can get past: the payment is not over.
RETRYABLE_REASONS = frozenset({"SERVICE_UNAVAILABLE", "PAYMENT_PENDING"})


@strawberry.type(description="Why an order's payment failed or has not completed yet.")
class PaymentFailure:
    reason: str = strawberry.field(
        description="INSUFFICIENT_FUNDS, CARD_EXPIRED or CARD_DECLINED (the bank declined); "
        "PAYMENT_ERROR (the bank failed, nothing charged); NO_PAYMENT_METHOD; "
        "CUSTOMER_NOT_FOUND; SERVICE_UNAVAILABLE or PAYMENT_PENDING (not over yet)."
    )
    message: str
    retryable: bool = strawberry.field(
        description="True when repeating placeOrder with the same key (or payOrder) completes "
        "the payment; false when it failed and needs another card (payOrder)."
    )


@fed.type(keys=["id"], description="Something we sell, with the stock left to sell.")
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str | None
    price: Money
    stock: int
    active: bool
    created_at: datetime

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Product | None:
        row = await info.context.loaders.product.load(id)
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        return cls(
            id=strawberry.ID(row.id),
            sku=row.sku,
            name=row.name,
            description=row.description,
            price=Money(amount=row.price, currency=row.currency),
            stock=row.stock,
            active=row.active,
            created_at=row.created_at,
        )


@strawberry.type(description="One product of an order, priced as it was when ordered.")
class OrderLine:
    product: Product
    product_name: str = strawberry.field(description="The product's name when it was ordered.")
    quantity: int
    unit_price: Money
    line_total: Money

    @classmethod
    def from_row(cls, row: OrderLineRow, currency: str) -> OrderLine:
        return cls(
            product=Product.from_row(row.product),
            product_name=row.product_name,
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=currency),
            line_total=Money(amount=row.quantity * row.unit_price, currency=currency),
        )


@fed.type(keys=["id"], authenticated=True)
class Customer:
    id: strawberry.ID

    @strawberry.field(
        description="The customer's orders, oldest first unless orderBy says otherwise."
    )
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        status: OrderStatus | None = None,
    ) -> Connection[Order]:
        args = info.context.page_args(first, after, order_by)
        key = PageKey(str(self.id), args, status.value if status else None)
        visible = info.context.identity.may_see(str(self.id))
        rows = await info.context.loaders.customer_orders.load(key) if visible else []
        return build_connection(rows, args, Order.from_row)

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer | None:
        return cls(id=id) if info.context.identity.may_see(str(id)) else None


@fed.type(keys=["id"], authenticated=True, description="A customer's order of products.")
class Order:
    id: strawberry.ID
    customer: Customer
    lines: list[OrderLine]
    subtotal: Money = strawberry.field(description="The lines' sum, before tax.")
    total_with_tax: Money | None = strawberry.field(
        description="What the customer is charged, tax included: the total of the order's "
        "invoice; null until the order is invoiced."
    )
    total: Money = strawberry.field(
        description="Before tax, the same as subtotal.",
        deprecation_reason="Ambiguous: use subtotal (before tax) or totalWithTax.",
    )
    status: OrderStatus
    placed_at: datetime
    cancelled_at: datetime | None
    paid_at: datetime | None
    amount_refunded: Money = strawberry.field(
        description="Refunded to the customer so far, tax included as it was charged (out "
        "of totalWithTax); zero "
        "unless PARTIALLY_REFUNDED or REFUNDED."
    )
    payment_failure: PaymentFailure | None = strawberry.field(
        description="Set while the order is unpaid for a reason: a declined card, a service "
        "that did not answer. Null once PAID."
    )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        return await cls.visible(info, id)

    @classmethod
    async def visible(cls, info: Info, id: str) -> Order | None:
        """The order ``id`` if it exists and the identity may see its customer; else None."""
        row = await info.context.loaders.order.load(id)
        if row is None or not info.context.identity.may_see(row.customer_id):
            return None
        return cls.from_row(row)

    @classmethod
    def from_row(cls, row: OrderRow) -> Order:
        return cls(
            id=strawberry.ID(row.id),
            customer=Customer(id=strawberry.ID(row.customer_id)),
            lines=[OrderLine.from_row(line, row.currency) for line in row.lines],
            subtotal=Money(amount=row.total, currency=row.currency),
            total_with_tax=Money(amount=row.total_with_tax, currency=row.currency)
            if row.total_with_tax is not None
            else None,
            total=Money(amount=row.total, currency=row.currency),
            status=OrderStatus(row.status),
            placed_at=row.placed_at,
            cancelled_at=row.cancelled_at,
            paid_at=row.paid_at,
            amount_refunded=Money(amount=row.amount_refunded or 0, currency=row.currency),
            payment_failure=_failure(row),
        )


def _failure(row: OrderRow) -> PaymentFailure | None:
    if row.payment_failure_reason is None or row.status not in (
        "PLACED",
        "PAYMENT_PENDING",
        "PAYMENT_FAILED",
    ):
        return None
    return PaymentFailure(
        reason=row.payment_failure_reason,
        message=row.payment_failure_message or "",
        retryable=row.payment_failure_reason in RETRYABLE_REASONS,
    )


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    customer_id: strawberry.ID
    lines: list[OrderLineInput]


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the name or SKU, any case."
    )
    in_stock: bool | None = None


@strawberry.input
class OrderFilter:
    status: OrderStatus | None = None
    customer_id: strawberry.ID | None = None
