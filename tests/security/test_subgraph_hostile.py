"""Randomised hostile input against each subgraph, directly: no 5xx, a code on every error.

Hypothesis draws, per example, one subgraph and one of: a valid operation of its schema
(queries and mutations, from hypothesis-graphql) whose arguments are hostile strings,
extreme integers and dates; an invalid document; an ``_entities`` call with arbitrary
representations; or an arbitrary body. The default run sends ``DEFAULT_EXAMPLES`` requests
per database backend, the ``slow`` run ``LARGE_EXAMPLES``; both are bounded in count, and
each request in time by the HTTP client's timeout.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import graphql
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subgraphs.registry import SERVICES, service
from tests.conftest import SubgraphPool
from tests.security.hostile import check_answer

DEFAULT_EXAMPLES = 400
LARGE_EXAMPLES = 600

NASTY = [
    "", " ", "%", "_", "%_%", "\\", "'", "\"", "\x00", "\u202e", "💳" * 50, "a" * 300,
    "a" * 70_000, "tok_visa", "v1:", "djE6", "djE6Y3VzXw==", "cus_01KE7AR4C0EWE438S1GN4J",
    "cus_" + "0" * 22, "pln_nope", "'; DROP TABLE customers; --", "NaN", "-0", "1e309",
    "9" * 40, "DE", "EUR", "XXX", "eur", "2026-02-30", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00", "2026-11-21T00:00:00Z", "../../etc/passwd",
]  # fmt: skip
INTS = [0, -1, 1, 2**31 - 1, -(2**31), 100, 101, 1000, 1001]
DATES = ["0001-01-01", "9999-12-31", "2026-01-31", "2026-12-01", "x", ""]
DATETIMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "x"]

texts = st.sampled_from(NASTY) | st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _string_nodes(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda s: graphql.StringValueNode(value=s))


SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "String": _string_nodes(texts),
    "ID": _string_nodes(texts),
    "Int": (st.sampled_from(INTS) | st.integers(-(2**31), 2**31 - 1)).map(
        lambda n: graphql.IntValueNode(value=str(n))
    ),
    "Date": _string_nodes(st.sampled_from(DATES) | texts),
    "DateTime": _string_nodes(st.sampled_from(DATETIMES) | texts),
    "_Any": _string_nodes(texts),
    # amounts: JSON integers up to 2^53 - 1, a string of digits, or junk the scalar must refuse
    "MinorUnits": (
        (st.sampled_from(INTS) | st.integers(-(2**60), 2**60)).map(
            lambda n: graphql.IntValueNode(value=str(n))
        )
        | _string_nodes(st.sampled_from(["1990", "-5", "19.90", "1e3", "9" * 30]) | texts)
    ),
}


@cache
def schema_of(name: str) -> graphql.GraphQLSchema:
    built: graphql.GraphQLSchema = service(name).schema._schema
    return built


@cache
def entity_names(name: str) -> list[str]:
    return sorted(service(name).schema.entity_shapes())


@cache
def document_strategy(name: str) -> st.SearchStrategy[str]:
    """Valid queries and mutations and invalid documents; built once per subgraph, so a
    failure replays the same draws."""
    schema = schema_of(name)
    kinds = [hypothesis_graphql.queries(schema, custom_scalars=SCALARS)]
    if schema.mutation_type is not None:
        kinds.append(hypothesis_graphql.mutations(schema, custom_scalars=SCALARS))
    kinds.append(
        hypothesis_graphql.from_schema(
            schema, custom_scalars=SCALARS, mode=hypothesis_graphql.Mode.NEGATIVE
        )
    )
    return st.one_of(*kinds)


@st.composite
def operations(draw: st.DrawFn, name: str) -> dict[str, Any]:
    return {"query": draw(document_strategy(name))}


@st.composite
def representations(draw: st.DrawFn, name: str) -> dict[str, Any]:
    typename = st.sampled_from([*entity_names(name), "Query", "Money", "Nope"]) | texts
    representation = st.fixed_dictionaries(
        {"__typename": typename}, optional={"id": json_values, "address": json_values}
    )
    items = draw(st.lists(representation | json_values, max_size=5))
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    return {"query": query, "variables": {"r": items}}


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, bytes]:
    """A subgraph, and the body to POST to it."""
    name = draw(st.sampled_from(SERVICES))
    kind = draw(st.sampled_from(["operation", "operation", "entities", "json", "bytes"]))
    if kind == "operation":
        return name, json.dumps(draw(operations(name))).encode()
    if kind == "entities":
        return name, json.dumps(draw(representations(name))).encode()
    if kind == "json":
        body = st.fixed_dictionaries(
            {}, optional={"query": json_values, "variables": json_values,
                          "operationName": json_values, "extensions": json_values}
        ) | json_values  # fmt: skip
        return name, json.dumps(draw(body)).encode()
    return name, draw(st.binary(max_size=200))


def _run(subgraphs: SubgraphPool, examples: int) -> None:
    running = {name: subgraphs[name] for name in SERVICES}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests())
    def hostile(request: tuple[str, bytes]) -> None:
        name, body = request
        served = running[name]
        response = served.client.post(
            f"{served.url}/graphql", content=body, headers={"content-type": "application/json"}
        )
        check_answer(response)

    hostile()
    for name, served in running.items():
        assert served.process.poll() is None, f"{name} died"
        assert "Exception in ASGI application" not in served.log(), name


def test_hostile_requests_get_coded_client_errors(subgraphs: SubgraphPool) -> None:
    _run(subgraphs, DEFAULT_EXAMPLES)


@pytest.mark.slow
def test_many_more_hostile_requests(subgraphs: SubgraphPool) -> None:
    _run(subgraphs, LARGE_EXAMPLES)
