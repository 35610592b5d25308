"""A plain model of what one subscription owes, day by day: the billing policy, re-stated.

Written from the policy in the README and ``subgraphs/subscriptions/proration.py``, not from
the service's code: a new period's price on the day it starts (the first at subscription
unless there is a trial), a plan change's unused part credited and the new plan charged,
net credits taken off later period invoices, dunning retries 1, 3 and 7 days after the
first decline and then cancellation, cancel now voiding what is unpaid. Each invoice it
expects is ``(period_start, period_end, subtotal)``; a cycle runs every day at noon.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

DUNNING = (1, 3, 7)


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    months: int
    price: int
    trial_days: int = 0


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def half_up(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (2 * remainder >= denominator)


@dataclass
class Charge:
    """One billing run: its invoice, and its dunning state while unpaid."""

    invoice: tuple[date, date, int]
    own_period: bool
    paid: bool = False
    attempts: int = 0
    started: datetime | None = None
    next_at: datetime | None = None
    voided: bool = False
    failed: bool = False


@dataclass
class Model:
    plan: Plan
    status: str
    start: date
    end: date
    anchor: date
    cancel_at_end: bool = False
    credit: int = 0
    charges: list[Charge] = field(default_factory=list)

    @classmethod
    def subscribe(cls, plan: Plan, now: datetime, *, declines: bool) -> Model:
        today = now.date()
        if plan.trial_days:
            end = today + timedelta(days=plan.trial_days)
            return cls(plan, "TRIALING", today, end, end)
        model = cls(plan, "ACTIVE", today, add_months(today, plan.months), today)
        model._charge((today, model.end, plan.price), now, declines=declines, own=True)
        return model

    def invoices(self) -> list[tuple[date, date, int]]:
        return sorted(c.invoice for c in self.charges if not c.voided)

    def _charge(
        self, invoice: tuple[date, date, int], now: datetime, *, declines: bool, own: bool
    ) -> None:
        charge = Charge(invoice, own_period=own)
        self.charges.append(charge)
        self._attempt(charge, now, declines=declines)

    def _attempt(self, charge: Charge, now: datetime, *, declines: bool) -> None:
        if charge.invoice[2] == 0 or not declines:
            charge.paid = True
            if self.status != "CANCELED":
                self.status = "ACTIVE"
            return
        charge.attempts += 1
        charge.started = charge.started or now
        if charge.attempts > len(DUNNING):
            charge.failed, charge.next_at = True, None
            self.status = "CANCELED"
            return
        charge.next_at = charge.started + timedelta(days=DUNNING[charge.attempts - 1])
        if self.status != "CANCELED":
            self.status = "PAST_DUE"

    def cycle(self, now: datetime, *, declines: bool) -> None:
        """One day's cycle: end, open the period that starts, then charge what is due, oldest
        first (a run's subscription canceled meanwhile voids what is unpaid)."""
        today = now.date()
        if self.status in ("ACTIVE", "TRIALING") and self.cancel_at_end and self.end <= today:
            self.status = "CANCELED"
        due = [c for c in self.charges if c.next_at is not None and c.next_at <= now]
        live = self.status in ("ACTIVE", "TRIALING")
        if live and not self.cancel_at_end and self.end <= today:
            due.append(self._open_renewal())
        for charge in due:
            if self.status == "CANCELED":
                self._drop(charge)
            elif not charge.paid and not charge.failed:
                self._attempt(charge, now, declines=declines)

    def _open_renewal(self) -> Charge:
        start, count = self.end, 1
        base = self.anchor if self.anchor <= start else start
        while (end := add_months(base, self.plan.months * count)) <= start:
            count += 1
        credit = min(self.credit, self.plan.price)
        self.credit -= credit
        self.start, self.end = start, end
        charge = Charge((start, end, self.plan.price - credit), own_period=True)
        self.charges.append(charge)
        return charge

    def _drop(self, charge: Charge) -> None:
        if not charge.paid and not charge.failed:
            charge.voided, charge.next_at = True, None

    def change(self, plan: Plan, now: datetime, *, declines: bool) -> bool:
        """Whether the service accepts the change (False: it answers CONFLICT)."""
        today = now.date()
        if self.status == "CANCELED" or plan.id == self.plan.id:
            return False
        if self.status == "TRIALING":
            self.plan = plan
            return True
        if today >= self.end:
            return False
        own = next((c for c in self.charges if c.own_period and c.invoice[0] == self.start), None)
        days, unused = (self.end - self.start).days, (self.end - today).days
        net = -half_up(self.plan.price * unused, days) if own is None or own.paid else 0
        if plan.months == self.plan.months:
            net += half_up(plan.price * unused, days)
            invoice = (today, self.end, net)
        else:
            self.start, self.end, self.anchor = today, add_months(today, plan.months), today
            net += plan.price
            invoice = (today, self.end, net)
        self.plan = plan
        if net < 0:
            self.credit -= net
        elif net > 0:
            self._charge(invoice, now, declines=declines, own=False)
        return True

    def cancel(self, *, at_period_end: bool) -> bool:
        if self.status == "CANCELED":
            return False
        if at_period_end:
            self.cancel_at_end = True
        else:
            self.status = "CANCELED"
        return True
