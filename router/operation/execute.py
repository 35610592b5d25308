"""Stage 9, execute: coerce the variables, run the plan's fetches, answer introspection.

Subgraph failures are values (errors with paths next to the data), never exceptions.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLSchema
from graphql.execution.values import get_variable_values
from graphql.utilities import value_from_ast_untyped

from router.errors import BAD_USER_INPUT, GraphQLErrorDict, RouterError
from router.executor.fetcher import Fetcher
from router.executor.walker import HeadersFor, execute_plan
from router.operation.introspection import run_introspection
from router.operation.plan import PreparedOperation


@dataclass(slots=True)
class Executed:
    """Merged subgraph data (internal response keys) and the errors collected."""

    data: dict[str, Any]
    errors: list[GraphQLErrorDict]
    fetches: int


def coerce_variables(
    schema: GraphQLSchema, prepared: PreparedOperation, raw: dict[str, Any]
) -> dict[str, Any]:
    """The variables as sent, with defaults filled in; BAD_USER_INPUT when they do not fit."""
    definitions = prepared.operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, raw)
    if isinstance(coerced, list):
        error: GraphQLError = coerced[0]
        raise RouterError(BAD_USER_INPUT, error.message)
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


async def execute(
    schema: GraphQLSchema,
    prepared: PreparedOperation,
    variables: dict[str, Any],
    fetcher: Fetcher,
    headers_for: HeadersFor | None,
    *,
    batch_entities: bool = False,
) -> Executed:
    state = await execute_plan(
        prepared.plan, fetcher, variables, headers_for, batch_entities=batch_entities
    )
    if prepared.introspection:
        result = run_introspection(
            schema, prepared.document, prepared.operation, prepared.introspection, variables
        )
        state.data.update(result.data or {})
        state.errors.extend(dict(e.formatted) for e in result.errors or ())
    return Executed(state.data, state.errors, state.fetch_count)


def share_key(
    prepared: PreparedOperation,
    variables: dict[str, Any],
    media_type: str,
    expose: bool,
    forwarded: Hashable,
) -> Hashable:
    """When two in-flight queries have the same key, one execution answers both.

    ``prepared`` is compared by identity: it stays alive while its execution is in flight.
    """
    values = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    return (id(prepared), values, media_type, expose, forwarded)
