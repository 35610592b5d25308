"""Billing-period arithmetic: calendar months whose day clamps to the month's end."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS_PER_INTERVAL = {"MONTH": 1, "YEAR": 12}


@dataclass(frozen=True, slots=True)
class Period:
    """A billing period ``[start, end)``; ``trial_end`` is set when the period is a trial."""

    start: date
    end: date
    trial_end: date | None = None


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months`` calendar months, clamping the day (Jan 31 + 1 → Feb 28/29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_intervals(anchor: date, interval: str, count: int = 1) -> date:
    """The end of the ``count``-th ``interval`` after ``anchor``.

    Count from the anchor rather than chaining period ends: chaining would drift a
    subscription that began on the 31st to the 28th forever after February.
    """
    if interval not in MONTHS_PER_INTERVAL:
        raise ValueError(f"unknown billing interval {interval!r}")
    return add_months(anchor, MONTHS_PER_INTERVAL[interval] * count)


def first_period(today: date, interval: str, trial_days: int) -> Period:
    """The first period of a new subscription: the trial if there is one, else one interval."""
    if trial_days < 0:
        raise ValueError(f"trial_days must not be negative; got {trial_days}")
    if trial_days:
        trial_end = today + timedelta(days=trial_days)
        return Period(start=today, end=trial_end, trial_end=trial_end)
    return Period(start=today, end=add_intervals(today, interval))


def next_period(current_end: date, interval: str, anchor: date | None) -> Period:
    """The period after one ending on ``current_end``, its end counted from ``anchor``.

    Without an anchor (rows from before anchors were stored) ``current_end`` is the anchor.
    """
    start = current_end
    base = anchor if anchor is not None and anchor <= start else start
    count = 1
    while (end := add_intervals(base, interval, count)) <= start:
        count += 1
    return Period(start=start, end=end)
