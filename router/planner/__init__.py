"""Query planning: operation + supergraph model → an immutable QueryPlan."""

from __future__ import annotations

from router.planner.budget import (
    BUDGET_EXCEEDED,
    DEFAULT_BUDGET,
    PlanningBudget,
    PlanningBudgetExceeded,
)
from router.planner.normalize import normalize_operation
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    Field,
    FlattenNode,
    InlineFragment,
    KeyRenamer,
    ParallelNode,
    PlanNode,
    QueryPlan,
    Rewrite,
    Selection,
    SequenceNode,
    ValueSetter,
)
from router.planner.planner import plan_operation
from router.planner.printer import plan_to_json, print_plan
from router.planner.routes import PlanningError

__all__ = [
    "BUDGET_EXCEEDED",
    "DEFAULT_BUDGET",
    "ConditionNode",
    "FetchNode",
    "Field",
    "FlattenNode",
    "InlineFragment",
    "KeyRenamer",
    "ParallelNode",
    "PlanNode",
    "PlanningBudget",
    "PlanningBudgetExceeded",
    "PlanningError",
    "QueryPlan",
    "Rewrite",
    "Selection",
    "SequenceNode",
    "ValueSetter",
    "normalize_operation",
    "plan_operation",
    "plan_to_json",
    "print_plan",
]
