"""The router's request path: parse → validate → plan (cached) → execute → shape."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import value_from_ast_untyped

from router.apq import PersistedQueries, PersistedQueryError
from router.cache import LruCache
from router.executor.errors import GraphQLErrorDict
from router.executor.fetcher import Fetcher
from router.executor.shape import ResponseShaper
from router.executor.walker import HeadersFor, execute_plan
from router.introspection import introspection_fields, run_introspection
from router.override_policy import NO_LABELS, OverridePolicy
from router.planner import QueryPlan, plan_to_json, print_plan
from router.planner.planner import plan_operation
from router.planner.routes import PlanningError
from router.request import GraphQLRequest
from router.supergraph import Supergraph, override_labels
from router.typename_aliases import rename_error_paths, rename_typename_aliases

logger = logging.getLogger("switchboard.router")
OperationKey = tuple[str, str | None, frozenset[str]]  # document, operation name, labels


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """Everything about an operation that does not depend on variable values."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    plan: QueryPlan
    introspection: list[SelectionNode]
    shaper: ResponseShaper
    client_keys: dict[str, str]  # internal response key → the client's (typename_aliases)


@dataclass(slots=True)
class Outcome:
    """A GraphQL response body, and whether it reports a request error (HTTP 4xx)."""

    body: dict[str, Any]
    request_error: bool = False
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class OperationRejected(Exception):
    def __init__(self, message: str, code: str, status: int | None = None) -> None:
        super().__init__(message)
        self.error: GraphQLErrorDict = {"message": message, "extensions": {"code": code}}
        self.status = status


# Called with each new valid operation before planning; raises OperationRejected to refuse it.
OperationGuard = Callable[[DocumentNode], None]


class Gateway:
    """Serves one supergraph: caches prepared operations and executes requests."""

    def __init__(
        self,
        supergraph: Supergraph,
        fetcher: Fetcher,
        *,
        cache_size: int = 2048,
        guard: OperationGuard | None = None,
        persisted_queries: PersistedQueries | None = None,
        overrides: OverridePolicy | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.fetcher = fetcher
        self.guard = guard
        # shared across supergraph reloads by whoever builds the gateways
        self.persisted_queries = (
            PersistedQueries() if persisted_queries is None else persisted_queries
        )
        self.overrides = overrides or OverridePolicy(override_labels(supergraph))
        self.operations: LruCache[OperationKey, PreparedOperation] = LruCache(cache_size)

    async def execute(
        self,
        request: GraphQLRequest,
        *,
        expose_plan: bool = False,
        headers_for: HeadersFor | None = None,
        client_headers: Mapping[str, str] | None = None,
    ) -> Outcome:
        """Answer ``request``; ``headers_for(subgraph)`` adds headers to subgraph requests.

        ``client_headers`` (lower-case names) may decide progressive-override labels.
        """
        try:
            request = self._with_document(request)
            labels = self.overrides.labels_for(client_headers)
            prepared = self.prepare(request.query or "", request.operation_name, labels)
            if request.via_get and prepared.operation.operation != OperationType.QUERY:
                raise OperationRejected(
                    "Only queries may be sent with GET; use POST.", "BAD_REQUEST", 405
                )
            variables = self._variables(prepared, request.variables)
        except OperationRejected as rejected:
            outcome = Outcome({"errors": [rejected.error]}, request_error=True)
            outcome.http_status = rejected.status
            return outcome
        body = await self._run(prepared, variables, headers_for)
        if expose_plan:
            body["extensions"] = {
                "queryPlan": {
                    "text": print_plan(prepared.plan),
                    "json": plan_to_json(prepared.plan),
                }
            }
        return Outcome(body)

    def is_query(self, request: GraphQLRequest) -> bool:
        """Whether ``request`` is a valid query (not a mutation); never raises."""
        try:
            request = self._with_document(request)
            prepared = self.prepare(
                request.query or "", request.operation_name, self.overrides.always
            )
        except OperationRejected:
            return False
        return prepared.operation.operation == OperationType.QUERY

    def _with_document(self, request: GraphQLRequest) -> GraphQLRequest:
        try:
            return self.persisted_queries.resolve(request)
        except PersistedQueryError as exc:
            raise OperationRejected(exc.message, exc.code, exc.status) from None

    def prepare(
        self, query: str, operation_name: str | None, labels: frozenset[str] = NO_LABELS
    ) -> PreparedOperation:
        key = (query, operation_name, labels)
        prepared = self.operations.get(key)
        if prepared is None:
            prepared = self._prepare(query, operation_name, labels)
            self.operations.put(key, prepared)
        return prepared

    def _prepare(
        self, query: str, operation_name: str | None, labels: frozenset[str]
    ) -> PreparedOperation:
        try:
            document = parse(query)
        except GraphQLSyntaxError as exc:
            raise OperationRejected(exc.message, "GRAPHQL_PARSE_FAILED") from None
        errors = validate(self.supergraph.api_schema, document)
        if errors:
            raise OperationRejected(errors[0].message, "GRAPHQL_VALIDATION_FAILED")
        if self.guard is not None:  # a server policy, e.g. production mode's introspection switch
            self.guard(document)
        document, client_keys = rename_typename_aliases(document)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named {operation_name!r}."
                if operation_name
                else "The document has several operations: name one with operationName."
            )
            raise OperationRejected(message, "GRAPHQL_UNKNOWN_OPERATION_NAME")
        if operation.operation == OperationType.SUBSCRIPTION:
            raise OperationRejected("Subscriptions are not supported.", "BAD_REQUEST")
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        try:
            plan = plan_operation(self.supergraph, document, operation_name, labels)
        except PlanningError as exc:
            logger.warning("cannot plan operation: %s", exc)
            raise OperationRejected(
                f"The router cannot plan this operation: {exc}", "QUERY_PLANNING_FAILED"
            ) from None
        shaper = ResponseShaper(self.supergraph.api_schema, operation, fragments, client_keys)
        introspection = introspection_fields(operation, fragments)
        return PreparedOperation(
            document, operation, fragments, plan, introspection, shaper, client_keys
        )

    def _variables(self, prepared: PreparedOperation, raw: dict[str, Any]) -> dict[str, Any]:
        definitions = prepared.operation.variable_definitions or ()
        coerced = get_variable_values(self.supergraph.api_schema, definitions, raw)
        if isinstance(coerced, list):
            error: GraphQLError = coerced[0]
            raise OperationRejected(error.message, "BAD_USER_INPUT")
        values = {
            d.variable.name.value: raw[d.variable.name.value]
            for d in definitions
            if d.variable.name.value in raw
        }
        for definition in definitions:
            name = definition.variable.name.value
            if name not in values and definition.default_value is not None:
                values[name] = value_from_ast_untyped(definition.default_value, values)
        return values

    async def _run(
        self,
        prepared: PreparedOperation,
        variables: dict[str, Any],
        headers_for: HeadersFor | None,
    ) -> dict[str, Any]:
        state = await execute_plan(prepared.plan, self.fetcher, variables, headers_for)
        errors = state.errors
        if prepared.introspection:
            result = run_introspection(
                self.supergraph.api_schema,
                prepared.document,
                prepared.operation,
                prepared.introspection,
                variables,
            )
            state.data.update(result.data or {})
            errors.extend(dict(e.formatted) for e in result.errors or ())
        if prepared.client_keys and errors:
            rename_error_paths(errors, prepared.client_keys)
        data = prepared.shaper.shape(state.data, variables, errors)
        body: dict[str, Any] = {}
        if errors:
            body["errors"] = errors
        body["data"] = data
        return body
