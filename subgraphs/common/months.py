"""Calendar-month arithmetic of billing intervals: the day clamps to the month's end."""

from __future__ import annotations

import calendar
from datetime import date

MONTHS_PER_INTERVAL = {"MONTH": 1, "YEAR": 12}


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
