"""Tables of the orders service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from subgraphs.common.idempotency import IdempotencyKeyMixin
from subgraphs.common.outbox import OutboxMixin
from subgraphs.common.timestamps import UtcDateTime


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="ck_products_stock_not_negative"),
        CheckConstraint("price >= 0", name="ck_products_price_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (CheckConstraint("total >= 0", name="ck_orders_total_not_negative"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)  # the lines' sum, before tax
    # What the customer is charged, tax included: its invoice's total, once invoiced.
    total_with_tax: Mapped[int | None] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Payment: the invoice issued for the order, the idempotency key (and card) of the current
    # charge — every retry of it resends that key —, when it was paid, why it failed.
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    payment_key: Mapped[str | None] = mapped_column(String(255))
    payment_method_id: Mapped[str | None] = mapped_column(String(40))
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    payment_failure_reason: Mapped[str | None] = mapped_column(String(64))
    payment_failure_message: Mapped[str | None] = mapped_column(String(300))
    # Refunded so far by the invoices service (minor units of ``currency``, tax included).
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lines: Mapped[list[OrderLineRow]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderLineRow.position"
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_order_lines_order_product"),
        CheckConstraint("quantity > 0", name="ck_order_lines_quantity_positive"),
    )

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    order: Mapped[OrderRow] = relationship(back_populates="lines", lazy="raise")
    product: Mapped[ProductRow] = relationship(lazy="raise")


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class OutboxRow(OutboxMixin, Base):
    pass
