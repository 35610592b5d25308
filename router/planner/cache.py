"""A bounded LRU of query plans, keyed by document hash and operation name."""

from __future__ import annotations

from collections import OrderedDict

from graphql import DocumentNode

from router.planner.budget import DEFAULT_BUDGET, PlanningBudget
from router.planner.plan import QueryPlan
from router.planner.planner import plan_operation
from router.supergraph import Supergraph

PlanKey = tuple[str, str | None, frozenset[str]]


class PlanCache:
    """Plans for one supergraph; the least recently used plan goes first when full."""

    def __init__(self, supergraph: Supergraph, maxsize: int = 1024) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.supergraph = supergraph
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._plans: OrderedDict[PlanKey, QueryPlan] = OrderedDict()

    def __len__(self) -> int:
        return len(self._plans)

    def plan(
        self,
        document_hash: str,
        document: DocumentNode,
        operation_name: str | None = None,
        override_labels: frozenset[str] = frozenset(),
        *,
        budget: PlanningBudget = DEFAULT_BUDGET,
    ) -> QueryPlan:
        """The cached plan, or a new one; plans differ per set of enabled override labels.
        A plan over `budget` raises PlanningBudgetExceeded and is not cached."""
        key: PlanKey = (document_hash, operation_name, override_labels)
        cached = self._plans.get(key)
        if cached is not None:
            self.hits += 1
            self._plans.move_to_end(key)
            return cached
        self.misses += 1
        plan = plan_operation(
            self.supergraph, document, operation_name, override_labels, budget=budget
        )
        self._plans[key] = plan
        if len(self._plans) > self.maxsize:
            self._plans.popitem(last=False)
        return plan
