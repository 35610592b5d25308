"""A business clock: the system time, a fixed moment, or a shifted one.

The subscriptions service bills by one, ``SUBSCRIPTIONS_CLOCK``: ``system`` (default),
``fixed:2027-01-01T00:00:00Z``, ``offset:86400`` (seconds ahead of the system time; negative
is behind) or ``manual:2027-01-01T00:00:00Z`` (a test clock: it starts there and moves only
when an admin calls ``setClock``, forward). Billing, trials and cancellations read this
clock, so tests and demos can move through months in seconds; the demo data is dated by it
too (``subgraphs/common/demo.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .timestamps import as_utc


@dataclass(frozen=True, slots=True)
class Clock:
    fixed: datetime | None = None
    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC) + self.offset


class ManualClock:
    """A test clock (``manual:<ISO>``): it stands still until ``set`` moves it forward."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment < self._now:
            raise ValueError(f"a test clock only moves forward (it is at {self._now.isoformat()})")
        self._now = moment


def parse_clock(spec: str) -> Clock | ManualClock:
    """The clock ``spec`` names; ValueError with the accepted forms otherwise."""
    kind, _, value = spec.strip().partition(":")
    try:
        if kind == "system" and not value:
            return Clock()
        if kind == "fixed":
            return Clock(fixed=as_utc(datetime.fromisoformat(value.replace("Z", "+00:00"))))
        if kind == "manual":
            return ManualClock(as_utc(datetime.fromisoformat(value.replace("Z", "+00:00"))))
        if kind == "offset":
            return Clock(offset=timedelta(seconds=float(value)))
    except ValueError:
        pass
    raise ValueError(
        f"invalid clock {spec!r}: use system, fixed:<ISO 8601 time>, offset:<seconds> or "
        "manual:<ISO 8601 time>"
    )
