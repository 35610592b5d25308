"""What a plan change costs: the unused part of the old plan credited, the new one charged.

Day-based, in integer minor units, halves rounded away from zero (never floats): a change
on day ``d`` of a period ``[start, end)`` credits ``old price * (end - d) / (end - start)``
and charges, for a plan of the same interval, ``new price * (end - d) / (end - start)``
(the period stays), or for another interval the new plan's full price for a new period
``[d, d + interval)``. Both are lines of the change's invoice, so the arithmetic is shown.
A change that nets a credit (a downgrade) charges nothing now: the credit is kept on the
subscription and taken off the next period invoices, as a line of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Line:
    description: str
    amount: int  # minor units; negative for a credit


@dataclass(frozen=True, slots=True)
class PlanChange:
    """The lines of a change and the period it leaves the subscription in."""

    lines: tuple[Line, ...]
    period_start: date
    period_end: date

    @property
    def net(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True, slots=True)
class Priced:
    name: str
    price: int


def round_half_up(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def prorated(amount: int, used_from: date, start: date, end: date) -> int:
    """The part of ``amount`` for ``[used_from, end)`` of the period ``[start, end)``."""
    return round_half_up(amount * (end - used_from).days, (end - start).days)


def plan_change(
    old: Priced,
    new: Priced,
    *,
    start: date,
    end: date,
    today: date,
    new_end: date | None,
    credit_old: bool,
) -> PlanChange:
    """The lines of changing from ``old`` to ``new`` on ``today`` in period ``[start, end)``.

    ``new_end`` is the end of a new period from ``today`` (another interval) or None (the
    same interval: the period stays). ``credit_old`` is False when the old period was never
    paid (its charge is still open): nothing is credited for it then.
    """
    lines = []
    if credit_old and today < end:
        unused = prorated(old.price, today, start, end)
        lines.append(Line(f"Unused time on {old.name}, {today} to {end}", -unused))
    if new_end is None:
        lines.append(Line(f"{new.name}, {today} to {end}", prorated(new.price, today, start, end)))
        return PlanChange(tuple(lines), start, end)
    lines.append(Line(f"{new.name}, {today} to {new_end}", new.price))
    return PlanChange(tuple(lines), today, new_end)
