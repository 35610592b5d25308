"""Billing-period arithmetic: month ends clamp, leap years, year intervals, trials."""

from __future__ import annotations

from datetime import date

import pytest

from subgraphs.common.months import add_intervals, add_months
from subgraphs.subscriptions.periods import Period, first_period


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 1, 31), 13, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 5, 17), 0, date(2026, 5, 17)),
    ],
)
def test_add_months_clamps_the_day(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("anchor", "interval", "count", "expected"),
    [
        (date(2026, 11, 21), "MONTH", 1, date(2026, 12, 21)),
        (date(2026, 11, 21), "YEAR", 1, date(2027, 11, 21)),
        (date(2028, 2, 29), "YEAR", 1, date(2029, 2, 28)),
        (date(2028, 2, 29), "YEAR", 4, date(2032, 2, 29)),
        (date(2096, 2, 29), "YEAR", 4, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 2, 29), "YEAR", 400, date(2400, 2, 29)),  # 2400 is
        (date(2026, 1, 31), "MONTH", 2, date(2026, 3, 31)),
    ],
)
def test_add_intervals(anchor: date, interval: str, count: int, expected: date) -> None:
    assert add_intervals(anchor, interval, count) == expected


def test_counting_from_the_anchor_does_not_drift_like_chaining() -> None:
    anchor = date(2026, 1, 31)
    chained = add_intervals(add_intervals(anchor, "MONTH"), "MONTH")
    assert chained == date(2026, 3, 28)
    assert [add_intervals(anchor, "MONTH", n) for n in range(1, 5)] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_unknown_interval_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="WEEK"):
        add_intervals(date(2026, 1, 1), "WEEK")


def test_first_period_with_trial_is_the_trial() -> None:
    assert first_period(date(2026, 12, 25), "MONTH", 14) == Period(
        start=date(2026, 12, 25), end=date(2027, 1, 8), trial_end=date(2027, 1, 8)
    )
    assert first_period(date(2028, 2, 20), "YEAR", 14).trial_end == date(2028, 3, 5)


@pytest.mark.parametrize(
    ("today", "interval", "end"),
    [
        (date(2026, 1, 31), "MONTH", date(2026, 2, 28)),
        (date(2028, 1, 31), "MONTH", date(2028, 2, 29)),
        (date(2028, 2, 29), "YEAR", date(2029, 2, 28)),
        (date(2026, 11, 21), "YEAR", date(2027, 11, 21)),
    ],
)
def test_first_period_without_trial_is_one_interval(today: date, interval: str, end: date) -> None:
    assert first_period(today, interval, 0) == Period(start=today, end=end, trial_end=None)


def test_negative_trial_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="trial_days"):
        first_period(date(2026, 1, 1), "MONTH", -1)


def test_a_billing_cycle_runs_only_at_a_sane_business_time() -> None:
    from datetime import UTC, datetime

    from subgraphs.common.errors import BadUserInput
    from subgraphs.subscriptions.billing import check_as_of

    assert check_as_of(datetime(2026, 12, 1, tzinfo=UTC)).year == 2026
    for moment in (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)):
        with pytest.raises(BadUserInput):
            check_as_of(moment)
