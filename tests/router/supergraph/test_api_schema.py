"""The API schema: no join/link machinery, no @inaccessible elements, docs kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, print_schema

from router.supergraph import load_supergraph

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def api_text() -> str:
    return print_schema(load_supergraph((DATA / "supergraph.graphql").read_text()).api_schema)


def test_machinery_is_removed(api_text: str) -> None:
    for name in ("join__", "link__", "@link", "@inaccessible", "@tag", "directive @"):
        assert name not in api_text


def test_inaccessible_elements_are_removed() -> None:
    schema = load_supergraph((DATA / "supergraph.graphql").read_text()).api_schema
    query = schema.get_type("Query")
    assert isinstance(query, GraphQLObjectType)
    assert "secret" not in query.fields
    user = schema.get_type("User")
    assert isinstance(user, GraphQLObjectType)
    assert "internalScore" not in user.fields
    assert schema.get_type("Hidden") is None
    status = schema.get_type("Status")
    assert isinstance(status, GraphQLEnumType)
    assert list(status.values) == ["ACTIVE"]
    user_filter = schema.get_type("UserFilter")
    assert isinstance(user_filter, GraphQLInputObjectType)
    assert list(user_filter.fields) == ["name"]
    mutation = schema.get_type("Mutation")
    assert isinstance(mutation, GraphQLObjectType)
    assert list(mutation.fields["findUsers"].args) == ["filter"]


def test_descriptions_and_deprecations_are_kept(api_text: str) -> None:
    assert '"""A person."""' in api_text
    assert '@deprecated(reason: "use me")' in api_text


def test_full_schema_keeps_everything() -> None:
    schema = load_supergraph((DATA / "supergraph.graphql").read_text()).schema
    user = schema.get_type("User")
    assert isinstance(user, GraphQLObjectType)
    assert "internalScore" in user.fields
