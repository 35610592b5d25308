"""How much work planning one operation may take: a caller's budget and its meter."""

from __future__ import annotations

import time
from dataclasses import dataclass

from router.errors import QUERY_PLANNING_BUDGET_EXCEEDED
from router.planner.routes import PlanningError

BUDGET_EXCEEDED = QUERY_PLANNING_BUDGET_EXCEEDED.code
_CLOCK_EVERY = 1024  # work units between two looks at the clock


@dataclass(frozen=True, slots=True)
class PlanningBudget:
    """Limits for planning one operation (and for generating its response shaper).

    `max_seconds`: CPU time of the planning thread (`time.thread_time`), so time spent
    waiting for the GIL or the CPU does not count. `max_work`: work units, one per
    selection visited, candidate subgraph scored or fetch-group step taken; it grows
    linearly with the operation for ordinary operations. `max_nodes`: selections in the
    normalised operation (fragments inlined, repeated fields merged).
    """

    max_seconds: float = 2.0
    max_work: int = 5_000_000
    max_nodes: int = 100_000

    def __post_init__(self) -> None:
        if self.max_seconds <= 0 or self.max_work < 1 or self.max_nodes < 1:
            raise ValueError("a planning budget's limits must be positive")


DEFAULT_BUDGET = PlanningBudget()


class PlanningBudgetExceeded(PlanningError):
    """The operation needs more planning than its budget allows; `code` is stable."""

    code = BUDGET_EXCEEDED

    def __init__(self, limit: str, allowed: float, reached: float) -> None:
        self.limit = limit  # "seconds", "work" or "nodes"
        self.allowed = allowed
        self.reached = reached
        super().__init__(f"planning this operation exceeds its budget of {allowed:g} {limit}")


class BudgetMeter:
    """Counts the work of one planning run against its budget; raises when it is spent.

    The clock runs from creation; `pause()` and `resume()` leave out the time between
    (a response shaper compiles a little at a time, during responses)."""

    __slots__ = ("_clock_at", "_seconds", "_started", "budget", "nodes", "work")

    def __init__(self, budget: PlanningBudget = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.work = 0
        self.nodes = 0
        self._seconds = 0.0
        self._started: float | None = time.thread_time()
        self._clock_at = _CLOCK_EVERY

    @property
    def seconds(self) -> float:
        """CPU seconds counted so far."""
        running = time.thread_time() - self._started if self._started is not None else 0.0
        return self._seconds + running

    def pause(self) -> None:
        if self._started is not None:
            self._seconds += time.thread_time() - self._started
            self._started = None

    def resume(self) -> None:
        if self._started is None:
            self._started = time.thread_time()

    def spend(self, units: int = 1) -> None:
        """Add work units; every so often also check the CPU time."""
        self.work += units
        if self.work > self.budget.max_work:
            raise PlanningBudgetExceeded("work", self.budget.max_work, self.work)
        if self.work >= self._clock_at:
            self._clock_at = self.work + _CLOCK_EVERY
            self.check_clock()

    def add_nodes(self, count: int = 1) -> None:
        self.nodes += count
        if self.nodes > self.budget.max_nodes:
            raise PlanningBudgetExceeded("nodes", self.budget.max_nodes, self.nodes)
        self.spend(count)

    def check_clock(self) -> None:
        elapsed = self.seconds
        if elapsed > self.budget.max_seconds:
            raise PlanningBudgetExceeded("seconds", self.budget.max_seconds, elapsed)
