"""The dunning schedule: when a subscription's declined charge is tried again, and for how long.

A period's charge that is declined is tried again 1, 3 and 7 days after the first decline;
the subscription is canceled when the last retry is declined too. The subscriptions service
bills by it, and the demo world (``demo.py``) dates its past-due subscriptions' declines by
it, so a seeded one is where a live one would be.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DUNNING_DAYS = (1, 3, 7)


def retry_at(started: datetime, declines: int) -> datetime | None:
    """When to charge again after ``declines`` declined charges of a period whose first was
    declined at ``started``; None once the schedule is exhausted (give up)."""
    if declines < 1:
        raise ValueError(f"declines counts declined charges, at least 1; got {declines}")
    if declines > len(DUNNING_DAYS):
        return None
    return started + timedelta(days=DUNNING_DAYS[declines - 1])
