"""The demo world: a fixed history with the same ids every day, billing state relative to today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from subgraphs.common.demo import DATE_VARIABLE, demo_today, world
from subgraphs.common.dunning import retry_at
from subgraphs.common.months import add_months
from subgraphs.subscriptions.periods import next_period

# Month ends, a leap day and ordinary days: the periods' arithmetic clamps days.
DAYS = [date(2026, 12, 4), date(2027, 1, 31), date(2027, 2, 28), date(2028, 2, 29),
        date(2030, 7, 15)]  # fmt: skip
LIVE = ("ACTIVE", "TRIALING", "PAST_DUE")


@pytest.mark.parametrize("today", DAYS)
def test_ids_and_history_are_the_same_every_day(today: date) -> None:
    first, other = world(DAYS[0]), world(today)
    assert [c.id for c in other.customers] == [c.id for c in first.customers]
    assert [o.id for o in other.orders] == [o.id for o in first.orders]
    assert [(s.id, s.status, s.started_at) for s in other.subscriptions] == [
        (s.id, s.status, s.started_at) for s in first.subscriptions
    ]


@pytest.mark.parametrize("today", DAYS)
def test_live_periods_hold_today_and_monthly_ones_end_within_a_month(today: date) -> None:
    plans = {p.id: p for p in world(today).plans}
    monthly = 0
    for sub in world(today).subscriptions:
        if sub.status not in LIVE:
            continue
        start, end = sub.current_period_start, sub.current_period_end
        assert start < today
        assert end - today >= timedelta(days=11)  # nothing is due at seeding
        interval = plans[sub.plan_id].interval
        if interval == "MONTH":
            monthly += 1
            assert end <= add_months(today, 1)  # a cycle a month on bills each of them
            assert next_period(end, interval, start).end > add_months(today, 1)  # ... once
    assert monthly >= 10


def test_a_canceled_subscription_ended_its_last_period_when_it_was_canceled() -> None:
    canceled = [s for s in world(DAYS[0]).subscriptions if s.status == "CANCELED"]
    assert canceled
    for sub in canceled:
        assert sub.canceled_at is not None
        assert sub.current_period_end == sub.canceled_at.date()


def test_today_is_the_subscriptions_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATE_VARIABLE, raising=False)
    monkeypatch.setenv("SUBSCRIPTIONS_CLOCK", "fixed:2027-05-06T23:00:00Z")
    assert demo_today() == date(2027, 5, 6)
    assert world() == world(date(2027, 5, 6))


def test_the_runs_demo_date_wins_over_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes whose clocks straddle midnight seed the same day when told one."""
    monkeypatch.setenv(DATE_VARIABLE, "2027-05-07")
    for clock in ("fixed:2027-05-06T23:59:59Z", "fixed:2027-05-07T00:00:01Z"):
        monkeypatch.setenv("SUBSCRIPTIONS_CLOCK", clock)
        assert demo_today() == date(2027, 5, 7)
    monkeypatch.setenv(DATE_VARIABLE, "next tuesday")
    with pytest.raises(ValueError, match="SWITCHBOARD_DEMO_DATE='next tuesday' is not a date"):
        demo_today()


@pytest.mark.parametrize("today", DAYS)
def test_past_due_ones_are_mid_dunning_with_the_next_retry_after_today(today: date) -> None:
    past_due = [s for s in world(today).subscriptions if s.status == "PAST_DUE"]
    assert len(past_due) == 3
    assert len({len(s.declined_at) for s in past_due}) > 1  # not all at the same attempt
    for sub in past_due:
        first, *retries = sub.declined_at
        assert first == sub.charged_at  # the period's own charge, on its first day
        assert first.date() == sub.current_period_start
        # every retry the schedule set since was made (and declined), none on today
        expected = [retry_at(first, n) for n in range(1, len(sub.declined_at))]
        assert retries == expected
        assert all(at.date() < today for at in sub.declined_at)
        assert sub.next_retry_at == retry_at(first, len(sub.declined_at))
        assert sub.next_retry_at is not None
        assert sub.next_retry_at.date() > today


@pytest.mark.parametrize("today", DAYS[:2])
def test_every_billed_period_has_its_own_invoice_id(today: date) -> None:
    subs = world(today).subscriptions
    billed = [s for s in subs if s.status in ("ACTIVE", "PAST_DUE")]
    ids = [s.invoice_id for s in billed]
    assert all(i is not None and i.startswith("inv_") for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(s.invoice_id is None for s in subs if s not in billed)
    assert all(not s.declined_at for s in subs if s.status != "PAST_DUE")
