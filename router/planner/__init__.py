"""Query planning: operation + supergraph model → an immutable QueryPlan."""

from __future__ import annotations

from router.planner.cache import PlanCache
from router.planner.plan import (
    ConditionNode,
    FetchNode,
    Field,
    FlattenNode,
    InlineFragment,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from router.planner.planner import plan_operation
from router.planner.printer import plan_to_json, print_plan
from router.planner.routes import PlanningError

__all__ = [
    "ConditionNode",
    "FetchNode",
    "Field",
    "FlattenNode",
    "InlineFragment",
    "ParallelNode",
    "PlanCache",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "SequenceNode",
    "plan_operation",
    "plan_to_json",
    "print_plan",
]
