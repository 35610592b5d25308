"""Operation limits: each measure, each code, warn-only mode, and the attacks they stop."""

from __future__ import annotations

import logging

import pytest
from graphql import parse

from router.gateway import Gateway, GatewaySettings
from router.operation.collapse import collapse_document
from router.operation.limits import LimitsConfig, measure
from router.supergraph import load_supergraph
from tests.router.kit import SUPERGRAPH, StaticFetcher, ask

SUPER = load_supergraph(SUPERGRAPH.read_text())


def gateway(**limits: object) -> Gateway:
    settings = GatewaySettings(limits=LimitsConfig(**limits))  # type: ignore[arg-type]
    return Gateway(SUPER, StaticFetcher(), settings=settings)


def fan_out(levels: int, spreads: int = 2, field: str = "__typename") -> str:
    """``{ ...F0 }`` where every fragment spreads the next one ``spreads`` times."""
    parts = ["{ ...F0 }"]
    for i in range(levels - 1):
        parts.append(f"fragment F{i} on Query {{ {field} " + f"...F{i + 1} " * spreads + "}")
    parts.append(f"fragment F{levels - 1} on Query {{ {field} }}")
    return " ".join(parts)


def test_measures_follow_apollo_routers_definitions() -> None:
    document = parse(
        "query GetUser { user: customer(id: 1) { id name username: name orders { nodes { id } } } "
        "plans { code } ...P } fragment P on Query { p2: plans { name } }"
    )
    found = measure(document, cap=1000)
    assert found.depth == 4  # customer → orders → nodes → id
    assert found.aliases == 3  # user, username, p2
    assert found.root_fields == 3  # user, plans, p2
    assert found.fields == 11
    # customer, plans (both keys), id, name, orders, nodes, id, code, name
    assert found.height == 9


def test_the_default_limits_admit_the_full_introspection_query() -> None:
    """GraphiQL and codegen tools send it; a default that refuses it breaks them (height 229)."""
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True,
    )  # fmt: skip
    found, limits = measure(parse(query), cap=10**6), LimitsConfig()
    assert found.height > 200
    assert found.height <= limits.max_height
    assert found.depth <= limits.max_depth
    assert found.fields <= limits.max_fields
    assert found.aliases <= limits.max_aliases


def test_a_fragment_spread_on_every_level_is_measured_once_per_fragment() -> None:
    document = parse(fan_out(30))
    found = measure(document, cap=10**12)
    assert found.fields == 2**30 - 1  # what a naive expansion would have to walk
    assert found.height == 1  # __typename, merged
    collapsed = measure(collapse_document(document), cap=10**12)
    assert collapsed.fields == 30  # the duplicate spreads merged away


@pytest.mark.parametrize(
    ("query", "limits", "code"),
    [
        ("{ customers { nodes { orders { nodes { id } } } } }", {"max_depth": 3},
         "MAX_DEPTH_LIMIT"),
        ("{ plans { code name id } }", {"max_height": 3}, "MAX_HEIGHT_LIMIT"),
        ("{ a: plans { code } b: plans { code } }", {"max_aliases": 1}, "MAX_ALIASES_LIMIT"),
        ("{ plans { code } products { nodes { id } } }", {"max_root_fields": 1},
         "MAX_ROOT_FIELDS_LIMIT"),
        ("{ plans { code name } }", {"max_fields": 2}, "MAX_FIELDS_LIMIT"),
        ("{ plans { code name } products { nodes { id } } }", {"max_tokens": 10},
         "MAX_TOKENS_LIMIT"),
    ],
)  # fmt: skip
async def test_each_limit_refuses_with_its_code(
    query: str, limits: dict[str, int], code: str
) -> None:
    answer = await ask(gateway(**limits), query)
    assert answer.codes == [code]
    assert answer.status == 200  # a request error under application/json
    assert "data" not in answer.body
    modern = await ask(
        gateway(**limits), query, headers={"accept": "application/graphql-response+json"}
    )
    assert modern.status == 400


async def test_limits_are_checked_before_validation() -> None:
    answer = await ask(gateway(max_aliases=0), "{ a: nope }")
    assert answer.codes == ["MAX_ALIASES_LIMIT"]


async def test_fetches_and_variables_are_limited() -> None:
    query = "{ products(first: 1) { nodes { id } } plans { code } }"  # two subgraphs, anonymous
    assert (await ask(gateway(max_fetches=1), query)).codes == ["MAX_FETCHES_LIMIT"]
    variables = {"f": {"emailContains": "x", "ids": ["a"] * 50}}
    answer = await ask(
        gateway(max_variable_values=20),
        "query($f: CustomerFilter) { customers(filter: $f) { nodes { id } } }",
        variables=variables,
    )
    assert answer.codes == ["MAX_VARIABLES_LIMIT"]


async def test_warn_only_serves_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="switchboard.router.limits"):
        answer = await ask(gateway(max_height=1, warn_only=True), "{ plans { code } }")
    assert answer.body == {"data": {"plans": [{"code": "starter"}]}}
    assert "MAX_HEIGHT_LIMIT" in caplog.text


async def test_the_doubling_fragments_attack_is_linear_after_collapsing() -> None:
    answer = await ask(gateway(), fan_out(30))
    assert answer.body == {"data": {"__typename": "Query"}}


async def test_doubling_that_cannot_be_collapsed_is_refused_by_the_field_limit() -> None:
    # inline fragments between other fields do not merge (it would reorder the response)
    parts = ["{ ...F0 }"]
    for i in range(29):
        spread = f"... on Query {{ ...F{i + 1} }}"
        parts.append(f"fragment F{i} on Query {{ {spread} __typename {spread} }}")
    parts.append("fragment F29 on Query { __typename }")
    answer = await ask(gateway(), " ".join(parts))
    assert answer.codes == ["MAX_FIELDS_LIMIT"]


@pytest.mark.parametrize(
    "query",
    [
        "{ " + " ".join(f"a{i}: products(first: 1) {{ nodes {{ id }} }}"
                        for i in range(10_000)) + " }",
        "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }",
        "{ plans { " + "code " * 6000 + "} }",
    ],
    ids=["10k aliased products", "10k aliased __typename", "6k same-name fields"],
)  # fmt: skip
async def test_huge_documents_stop_at_the_token_limit(query: str) -> None:
    assert (await ask(gateway(), query)).codes == ["MAX_TOKENS_LIMIT"]


async def test_same_name_fields_under_the_token_limit_merge_into_one() -> None:
    answer = await ask(gateway(), "{ plans { " + "code " * 4000 + "} }")
    assert answer.body == {"data": {"plans": [{"code": "starter"}]}}


async def test_deep_nesting_is_refused_not_a_crash() -> None:
    query = "{" + "customer(id: 1) { " * 400 + "id" + " }" * 400 + "}"
    assert (await ask(gateway(max_tokens=100_000), query)).codes == ["MAX_DEPTH_LIMIT"]
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(1500))
    chained = "{ ...F0 } " + chain + " fragment F1500 on Query { __typename }"
    answer = await ask(gateway(max_tokens=100_000), chained)
    assert answer.codes == ["MAX_DEPTH_LIMIT"]


async def test_limits_switched_off_measure_and_refuse_nothing() -> None:
    """``limits.enabled: false`` (benchmarks of the limits' cost, trusted networks)."""
    off = {"enabled": False, "max_depth": 1, "max_height": 1}
    query = "query Plans { plans { code } }"  # depth 2, height 2
    answer = await ask(gateway(**off, max_fetches=1), query)
    assert answer.body == {"data": {"plans": [{"code": "starter"}]}}
    assert (await ask(gateway(**{**off, "enabled": True}), query)).codes == ["MAX_DEPTH_LIMIT"]
