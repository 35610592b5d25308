"""Tables of the invoices service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from subgraphs.common.events import EventOutboxMixin
from subgraphs.common.idempotency import IdempotencyKeyMixin
from subgraphs.common.outbox import OutboxMixin
from subgraphs.common.timestamps import UtcDateTime


class Base(DeclarativeBase):
    pass


class InvoiceRow(Base):
    """An invoice; every amount is in minor units of ``currency``, shared by all its lines."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_customer_status", "customer_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[str] = mapped_column(String(40))  # see ix_invoices_customer_status
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(40), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), index=True)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    due_date: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lines: Mapped[list[InvoiceLineRow]] = relationship(
        back_populates="invoice", lazy="raise", order_by="InvoiceLineRow.position"
    )


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice: Mapped[InvoiceRow] = relationship(back_populates="lines", lazy="raise")


class PaymentRow(Base):
    """A charge of an invoice at the bank; written PENDING before the bank is called.

    ``bank_key`` is the Idempotency-Key every call about this charge sends, so a retry or a
    reconciliation after a crash can never charge twice. ``refund_reserved`` counts
    succeeded and pending refunds: a refund is reserved before the bank is asked.
    """

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(40))
    payment_method_id: Mapped[str | None] = mapped_column(String(40))
    bank_token: Mapped[str] = mapped_column(String(100))  # never exposed in the graph
    receipt_email: Mapped[str] = mapped_column(String(254))
    bank_key: Mapped[str] = mapped_column(String(80), unique=True)
    bank_charge_id: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), index=True)
    decline_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(300))
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RefundRow(Base):
    """A refund of (part of) a payment; written PENDING before the bank is called."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[str] = mapped_column(String(40))
    bank_key: Mapped[str] = mapped_column(String(80), unique=True)
    bank_refund_id: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), index=True)
    message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PaymentAttemptRow(Base):
    """One HTTP exchange with the bank about a payment or one of its refunds."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    refund_id: Mapped[str | None] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class OutboxRow(OutboxMixin, Base):
    """E-mails (receipts, declines, refunds) written with the payment change that causes them."""


class OrderEventRow(EventOutboxMixin, Base):
    """Money settled on an order's invoice, for the orders service (see ``order_events``)."""

    __tablename__ = "order_events"


class WebhookEndpointRow(Base):
    """A merchant's URL for events; ``events`` is a JSON list of event types (``*``: all)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(80))  # signs every delivery (HMAC-SHA256)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDeliveryRow(EventOutboxMixin, Base):
    """One event for one endpoint: its outbox row (key ``<endpoint>:<event id>``, unique, so
    an event reaches an endpoint once however often it is emitted)."""

    __tablename__ = "webhook_deliveries"

    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(64))


class WebhookAttemptRow(Base):
    """One HTTP exchange of a delivery: when, how it ended."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
