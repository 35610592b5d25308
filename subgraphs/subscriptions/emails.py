"""The e-mails recurring billing sends: a period paid, a charge failed, a cancellation.

Payment receipts and declined-card notices come from the invoices service, which owns the
charge; these messages say what happens to the subscription.
"""

from __future__ import annotations

from datetime import datetime

from subgraphs.common.clients import Charged, Contact
from subgraphs.common.mail import format_money

from .runs import Ended, RunView

Email = tuple[str, str]  # subject, text


def _greeting(contact: Contact) -> str:
    return f"Hello {contact.name},\n\n"


def paid(contact: Contact, run: RunView, invoice_id: str, charged: Charged | None) -> Email:
    """The period is paid; the receipt itself comes from the invoices service."""
    amount = format_money(charged.amount, charged.currency) if charged else "the invoice total"
    return (
        f"{run.plan_name}: paid until {run.period_end}",
        _greeting(contact) + f"your {run.plan_name} subscription runs from {run.period_start} to "
        f"{run.period_end}; we charged {amount} (tax included) for it. The receipt comes in "
        f"its own e-mail.\nInvoice: {invoice_id}\nSubscription: {run.subscription_id}\n",
    )


def declined(contact: Contact, run: RunView, message: str, next_attempt_at: datetime) -> Email:
    amount = format_money(run.amount, run.currency)
    return (
        f"Payment failed: {run.plan_name} subscription",
        _greeting(contact)
        + f"we could not charge {amount} for your {run.plan_name} subscription: {message}\n"
        f"We will try again on {next_attempt_at.date()}. Please check your payment method.\n"
        f"Subscription: {run.subscription_id}\n",
    )


def gave_up(contact: Contact, run: RunView, message: str) -> Email:
    return (
        f"Subscription canceled: {run.plan_name}",
        _greeting(contact)
        + f"we could not collect the payment for your {run.plan_name} subscription after "
        f"several attempts ({message}), so it has been canceled.\n"
        f"Subscription: {run.subscription_id}\n",
    )


def ended(contact: Contact, sub: Ended) -> Email:
    return (
        f"Subscription ended: {sub.plan_name}",
        _greeting(contact)
        + f"your {sub.plan_name} subscription ended on {sub.ended_on}, as you asked.\n"
        f"Subscription: {sub.subscription_id}\n",
    )
