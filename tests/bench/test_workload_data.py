"""The bench workloads' data and expected answers: deterministic, and what the subgraphs serve."""

from __future__ import annotations

import orjson
from graphql import graphql_sync

from bench.workloads import big_data, cold_data
from bench.workloads.specs import varied_query


def test_big_response_is_about_8_mb_and_the_same_every_time() -> None:
    first = orjson.dumps(big_data.expected_response())
    assert 7_500_000 < len(first) < 8_500_000
    assert orjson.dumps(big_data.expected_response()) == first


def test_big_response_subgraph_serves_the_expected_data() -> None:
    """On a small catalogue (the full one takes graphql-core ~20 s): same builder, same shape."""
    schema = big_data.subgraph_schemas(sections=3, items=4)[big_data.SUBGRAPH]
    result = graphql_sync(schema, big_data.QUERY)
    assert result.errors is None
    assert result.data == {"catalog": big_data.catalog(3, 4)}


def test_cold_planning_documents_are_deterministic_and_new_per_number() -> None:
    api = cold_data.api_schema()
    assert cold_data.query_for(7, api) == cold_data.query_for(7, api)
    documents = {cold_data.query_for(n, api) for n in range(20)}
    assert len(documents) == 20
    assert all(3_000 < len(d) < 5_000 for d in documents)


def test_cold_planning_subgraphs_agree_with_the_expected_answer() -> None:
    """Every subgraph serving a field answers it as the one-graph execution does."""
    api = cold_data.api_schema()
    expected = graphql_sync(api, "{ top { id name code score label } }")
    assert expected.errors is None
    top = expected.data["top"] if expected.data else {}
    type_name = api.query_type.fields["top"].type.name if api.query_type else ""  # type: ignore[union-attr]
    for name, schema in cold_data.subgraph_schemas().items():
        owner = schema.get_type(type_name)
        fields = [f for f in ("name", "code", "score", "label") if owner and f in owner.fields]  # type: ignore[attr-defined]
        if not fields:
            continue
        query = (
            "query($r: [_Any!]!) { _entities(representations: $r) "
            f"{{ ... on {type_name} {{ {' '.join(fields)} }} }} }}"
        )
        got = graphql_sync(
            schema, query, variable_values={"r": [{"__typename": type_name, "id": "root.top"}]}
        )
        assert got.errors is None, name
        assert got.data == {"_entities": [{f: top[f] for f in fields}]}, name


def test_varied_query_takes_first_as_a_variable() -> None:
    query = varied_query({"query": "query TestQuery {\n topProducts {\n upc }\n}"})
    assert "query TestQuery($first: Int) {" in query
    assert "topProducts(first: $first) {" in query
