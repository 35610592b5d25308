"""Stage 8, plan: a valid operation → its query plan and compiled response shaper, cached.

Plans depend on the operation and the enabled progressive-override labels only, never on
variable values (``@skip``/``@include`` become Condition nodes), so one cache entry per
document and operation name holds its plans, one per label set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    SelectionNode,
    get_operation_ast,
)

from router.auth.filter import Allowed, filter_operation
from router.errors import (
    MAX_DEPTH_LIMIT,
    QUERY_PLANNING_BUDGET_EXCEEDED,
    QUERY_PLANNING_FAILED,
    GraphQLErrorDict,
    RouterError,
)
from router.executor.shape import ResponseShaper
from router.operation.introspection import introspection_fields
from router.operation.typename_aliases import rename_typename_aliases
from router.operation.validate import ValidOperation
from router.planner import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanningError,
    PlanNode,
    QueryPlan,
    SequenceNode,
    plan_operation,
)
from router.planner.budget import DEFAULT_BUDGET, PlanningBudget
from router.supergraph import Supergraph
from router.supergraph.access import Requirement

logger = logging.getLogger("switchboard.router")
MAX_PLAN_VARIANTS = 16  # label sets x authorization outcomes per operation; oldest first
PlanKey = tuple[frozenset[str], tuple[bool, ...]]  # override labels, access grants


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """Everything about an operation that does not depend on variable values."""

    valid: ValidOperation
    document: DocumentNode  # with client `__typename` aliases moved aside (typename_aliases)
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    plan: QueryPlan
    introspection: list[SelectionNode]
    shaper: ResponseShaper
    client_keys: dict[str, str]  # internal response key → the client's
    fetches: int  # FetchNodes in the plan (limits.max_fetches)
    unauthorized: tuple[GraphQLErrorDict, ...] = ()  # UNAUTHORIZED_FIELD_OR_TYPE errors
    data_nulled: bool = False  # an unauthorized non-null root field: nothing is fetched

    @property
    def kind(self) -> str:
        return self.valid.kind


@dataclass(slots=True)
class CachedOperation:
    """One cache entry: a valid operation and its plans by override-label set."""

    key: tuple[str, str | None]  # query text and operation name
    valid: ValidOperation
    requirements: tuple[Requirement, ...] = ()  # access requirements it touches, if any
    plans: dict[PlanKey, PreparedOperation] = field(default_factory=dict)

    def remember(self, key: PlanKey, prepared: PreparedOperation) -> None:
        if len(self.plans) >= MAX_PLAN_VARIANTS:
            del self.plans[next(iter(self.plans))]
        self.plans[key] = prepared

    @property
    def size(self) -> int:
        """Estimated bytes kept alive: ~110 per query character for the document, and per
        plan a fixed part plus its fetches' text (measured with tracemalloc on our queries)."""
        query_size = len(self.key[0])
        return 120 * query_size + len(self.plans) * (20_000 + 40 * query_size)


def count_fetches(node: PlanNode | None) -> int:
    if node is None:
        return 0
    if isinstance(node, FetchNode):
        return 1
    if isinstance(node, FlattenNode):
        return count_fetches(node.node)
    if isinstance(node, ConditionNode):
        return count_fetches(node.if_clause) + count_fetches(node.else_clause)
    assert isinstance(node, (SequenceNode, ParallelNode))
    return sum(count_fetches(child) for child in node.nodes)


def prepare(
    supergraph: Supergraph,
    valid: ValidOperation,
    labels: frozenset[str],
    budget: PlanningBudget = DEFAULT_BUDGET,
    allowed: Allowed | None = None,
) -> PreparedOperation:
    """Plan ``valid``; ``allowed`` (per access requirement) filters it first when given."""
    document, client_keys = rename_typename_aliases(valid.document)
    operation = valid.operation
    if document is not valid.document:
        found = get_operation_ast(document, valid.operation_name)
        assert found is not None  # the same document, with aliases renamed
        operation = found
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    access = None
    planned, planned_name = document, valid.operation_name
    if allowed is not None:
        schema, rules = supergraph.api_schema, supergraph.access
        access = filter_operation(schema, rules, operation, fragments, allowed)
        planned, planned_name = access.document, None
    try:
        plan = plan_operation(supergraph, planned, planned_name, labels, budget=budget)
    except PlanningError as exc:
        code = QUERY_PLANNING_FAILED
        if getattr(exc, "code", None) == QUERY_PLANNING_BUDGET_EXCEEDED.code:
            code = QUERY_PLANNING_BUDGET_EXCEEDED
        logger.warning("cannot plan operation: %s", exc)
        raise RouterError(code, f"The router cannot plan this operation: {exc}") from None
    except RecursionError:
        raise RouterError(MAX_DEPTH_LIMIT, "The operation nests too deeply to plan.") from None
    shaper = ResponseShaper(
        supergraph.api_schema,
        operation,
        fragments,
        client_keys,
        budget,
        access.nulled if access else frozenset(),
        access.dropped if access else frozenset(),
    )
    introspection = introspection_fields(operation, fragments)
    return PreparedOperation(
        valid,
        document,
        operation,
        fragments,
        plan,
        introspection,
        shaper,
        client_keys,
        count_fetches(plan.node) + (plan.primary is not None),
        access.errors if access else (),
        access.data_nulled if access else False,
    )
