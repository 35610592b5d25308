"""Tables of the subscriptions service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from subgraphs.common.idempotency import IdempotencyKeyMixin
from subgraphs.common.outbox import OutboxMixin
from subgraphs.common.timestamps import UtcDateTime

# A customer holds at most one live (non-canceled) subscription per plan; the partial
# unique index makes that hold under concurrent writers too, not only in the check.
LIVE = "status != 'CANCELED'"


class Base(DeclarativeBase):
    pass


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    interval: Mapped[str] = mapped_column(String(8))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    trial_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        Index(
            "uq_subscriptions_live_customer_plan",
            "customer_id",
            "plan_id",
            unique=True,
            sqlite_where=text(LIVE),
            postgresql_where=text(LIVE),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)  # owned by customers
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    current_period_start: Mapped[date] = mapped_column(Date)
    current_period_end: Mapped[date] = mapped_column(Date)
    trial_end: Mapped[date | None] = mapped_column(Date)
    # Periods are counted from here (see periods.add_intervals); NULL on rows made before it.
    billing_anchor: Mapped[date | None] = mapped_column(Date)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    # Minor units owed back to the customer (a downgrade's unused part), taken off the next
    # period invoices as a credit line until used up.
    credit_balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    canceled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    plan: Mapped[PlanRow] = relationship(lazy="raise")


class BillingRunRow(Base):
    """The billing of one period of one subscription: at most one row per period, ever.

    The unique (subscription, period start, kind) constraint is what makes billing happen
    once per period however many schedulers run. ``kind`` is ``period`` for a period's own
    charge, ``change:<key>`` for the prorated charge of one plan change. A run is claimed
    with a lease before any call to the invoices service; ``attempts`` counts declined
    charges (the dunning schedule). ``lines`` (JSON ``[[description, amount], …]``) are the
    invoice's lines when there is more than the one ``description``/``amount`` line.
    """

    __tablename__ = "billing_runs"
    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "period_start", "kind", name="uq_billing_runs_period_kind"
        ),
        Index("ix_billing_runs_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(64), default="period", server_default="period")
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    lines: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dunning_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(300))
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class OutboxRow(OutboxMixin, Base):
    pass
