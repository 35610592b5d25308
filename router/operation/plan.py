"""Stage 7, plan: a valid operation → its query plan and compiled response shaper, cached.

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

from router.errors import QUERY_PLANNING_FAILED, RouterError
from router.executor.shape import ResponseShaper
from router.operation.introspection import introspection_fields
from router.operation.typename_aliases import rename_typename_aliases
from router.operation.validate import ValidOperation
from router.planner import PlanningError, QueryPlan, plan_operation
from router.supergraph import Supergraph

logger = logging.getLogger("switchboard.router")
MAX_PLAN_VARIANTS = 16  # label sets per operation; more evicts the oldest


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

    @property
    def kind(self) -> str:
        return self.valid.kind


@dataclass(slots=True)
class CachedOperation:
    """One cache entry: a valid operation and its plans by override-label set."""

    valid: ValidOperation
    plans: dict[frozenset[str], PreparedOperation] = field(default_factory=dict)

    def prepared(self, supergraph: Supergraph, labels: frozenset[str]) -> PreparedOperation:
        found = self.plans.get(labels)
        if found is None:
            found = prepare(supergraph, self.valid, labels)
            if len(self.plans) >= MAX_PLAN_VARIANTS:
                del self.plans[next(iter(self.plans))]
            self.plans[labels] = found
        return found


def prepare(
    supergraph: Supergraph, valid: ValidOperation, labels: frozenset[str]
) -> PreparedOperation:
    document, client_keys = rename_typename_aliases(valid.document)
    operation = valid.operation
    if document is not valid.document:
        found = get_operation_ast(document, valid.operation_name)
        assert found is not None  # the same document, with aliases renamed
        operation = found
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    try:
        plan = plan_operation(supergraph, document, valid.operation_name, labels)
    except PlanningError as exc:
        logger.warning("cannot plan operation: %s", exc)
        raise RouterError(
            QUERY_PLANNING_FAILED, f"The router cannot plan this operation: {exc}"
        ) from None
    shaper = ResponseShaper(supergraph.api_schema, operation, fragments, client_keys)
    introspection = introspection_fields(operation, fragments)
    return PreparedOperation(
        valid, document, operation, fragments, plan, introspection, shaper, client_keys
    )
