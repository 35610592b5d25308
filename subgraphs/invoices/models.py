"""Tables of the invoices service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from subgraphs.common.idempotency import IdempotencyKeyMixin
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
    subtotal: Mapped[int] = mapped_column(Integer)
    tax: Mapped[int] = mapped_column(Integer)
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), index=True)
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
    unit_amount: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    invoice: Mapped[InvoiceRow] = relationship(back_populates="lines", lazy="raise")


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass
