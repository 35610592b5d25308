"""What an order learns about its invoice's money: a snapshot, its wire form and its checks.

The invoices service sends it (an ``order_events`` row, or an answer to a look-up); the
orders service applies it. A snapshot is the whole money state, not a change, so applying
an older or repeated one after a newer one changes nothing (see orders' ``payment_state``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict, cast

# The invoice states that say money moved: the order is paid, and maybe (partly) refunded.
SettledStatus = Literal["PAID", "PARTIALLY_REFUNDED", "REFUNDED"]
SETTLED: frozenset[str] = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})


class InvoiceStateWire(TypedDict):
    invoiceId: str
    orderId: str
    status: str
    paidAt: str
    amountPaid: int
    amountRefunded: int
    currency: str


class BadInvoiceState(ValueError):
    """A payload that is not a settled invoice's snapshot."""


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """A settled invoice of an order: paid ``amount_paid``, refunded ``amount_refunded``."""

    invoice_id: str
    order_id: str
    status: SettledStatus
    paid_at: datetime
    amount_paid: int
    amount_refunded: int
    currency: str

    def to_wire(self) -> InvoiceStateWire:
        return {
            "invoiceId": self.invoice_id,
            "orderId": self.order_id,
            "status": self.status,
            "paidAt": self.paid_at.isoformat(),
            "amountPaid": self.amount_paid,
            "amountRefunded": self.amount_refunded,
            "currency": self.currency,
        }

    @classmethod
    def from_wire(cls, data: Any) -> InvoiceState:
        """The snapshot in ``data``; ``BadInvoiceState`` naming the first wrong field."""
        if not isinstance(data, dict):
            raise BadInvoiceState("the body is not a JSON object")
        ids = {k: _text(data, k) for k in ("invoiceId", "orderId", "currency")}
        status = _text(data, "status")
        if status not in SETTLED:
            raise BadInvoiceState(f"status must be one of {sorted(SETTLED)}")
        try:
            paid_at = datetime.fromisoformat(_text(data, "paidAt"))
        except ValueError:
            raise BadInvoiceState("paidAt is not an ISO 8601 date-time") from None
        if paid_at.tzinfo is None:
            raise BadInvoiceState("paidAt needs a UTC offset")
        paid, refunded = _amount(data, "amountPaid"), _amount(data, "amountRefunded")
        if refunded > paid:
            raise BadInvoiceState("amountRefunded exceeds amountPaid")
        return cls(
            invoice_id=ids["invoiceId"],
            order_id=ids["orderId"],
            status=cast(SettledStatus, status),
            paid_at=paid_at,
            amount_paid=paid,
            amount_refunded=refunded,
            currency=ids["currency"],
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise BadInvoiceState(f"{key} must be a non-empty string of at most 64 characters")
    return value


def _amount(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadInvoiceState(f"{key} must be a non-negative integer (minor units)")
    return value
