"""The e-mail a paid order sends: the order confirmation with its items.

The payment receipt (and a declined card's notice) come from the invoices service, which
owns the charge; this message is about the order.
"""

from __future__ import annotations

from subgraphs.common.clients import Charged, Contact
from subgraphs.common.mail import format_money

from .payment_state import PaymentView


def _lines(order: PaymentView) -> str:
    return "".join(
        f"  {line.quantity} x {line.description}: "
        f"{format_money(line.quantity * line.unit_amount, order.currency)}\n"
        for line in order.lines
    )


def confirmed(contact: Contact, order: PaymentView, charged: Charged | None) -> tuple[str, str]:
    paid = (
        f"Paid: {format_money(charged.amount, charged.currency)}, tax included "
        f"(invoice {charged.invoice_number}; the receipt comes in its own e-mail).\n"
        if charged
        else "Paid in full; the receipt comes in its own e-mail.\n"
    )
    return (
        f"Order {order.order_id} confirmed",
        f"Hello {contact.name},\n\nthank you for your order {order.order_id}:\n\n"
        f"{_lines(order)}\n{paid}",
    )
