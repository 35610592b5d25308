"""Billing periods: a new subscription's first one and the one after a period ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from subgraphs.common.months import add_intervals


@dataclass(frozen=True, slots=True)
class Period:
    """A billing period ``[start, end)``; ``trial_end`` is set when the period is a trial."""

    start: date
    end: date
    trial_end: date | None = None


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
