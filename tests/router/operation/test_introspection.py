"""Introspection answered by the router, wherever the client puts it on the root."""

from __future__ import annotations

import pytest

from router.gateway import Gateway
from router.supergraph import load_supergraph
from tests.router.kit import SUPERGRAPH, StaticFetcher, ask


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return Gateway(load_supergraph(SUPERGRAPH.read_text()), StaticFetcher())


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (
            "{ ...F plans { code } } fragment F on Query { __schema { queryType { name } } }",
            {},
            {"__schema": {"queryType": {"name": "Query"}}, "plans": [{"code": "starter"}]},
        ),
        (
            '{ ... on Query { t: __type(name: "Money") { name } } }',
            {},
            {"t": {"name": "Money"}},
        ),
        (
            "query($on: Boolean!) { ... @include(if: $on) { __typename __schema { "
            "mutationType { name } } } }",
            {"on": True},
            {"__typename": "Query", "__schema": {"mutationType": {"name": "Mutation"}}},
        ),
        (
            "query($on: Boolean!) { ... @include(if: $on) { __schema { mutationType { name } } } }",
            {"on": False},
            {},
        ),
    ],
)
async def test_introspection_through_fragments(
    gateway: Gateway, query: str, variables: dict[str, object], expected: dict[str, object]
) -> None:
    outcome = await ask(gateway, query, variables=variables)
    assert outcome.body == {"data": expected}
