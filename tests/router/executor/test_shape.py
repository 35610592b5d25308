"""Response shaping: selection order, aliases, conditions, abstract types, null propagation."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse

from router.executor.shape import shape_response

SCHEMA = build_schema("""
  type Query { me: User, users: [User!]!, strict: User!, node: Node, color: Color, items: [Item] }
  interface Node { id: ID! }
  type User implements Node { id: ID!, name: String!, nick: String, friends: [User!] }
  type Post implements Node { id: ID!, title: String }
  union Item = User | Post
  enum Color { RED GREEN }
""")


def shape(
    query: str,
    data: dict[str, Any],
    variables: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errs = list(errors or [])
    return shape_response(SCHEMA, operation, fragments, variables or {}, data, errs), errs


def test_follows_selection_order_and_drops_join_fields() -> None:
    data = {"me": {"__typename": "User", "id": "1", "name": "Ada", "nick": "a", "extra": 1}}
    result, errors = shape("{ me { nick name } }", data)
    assert result == {"me": {"nick": "a", "name": "Ada"}}
    assert list(result["me"]) == ["nick", "name"]
    assert errors == []


def test_aliases_and_typename() -> None:
    data = {"who": {"id": "1", "n": "Ada"}}
    result, _ = shape("{ who: me { __typename n: name } }", data)
    assert result == {"who": {"__typename": "User", "n": "Ada"}}


def test_missing_nullable_field_is_null() -> None:
    result, errors = shape("{ me { nick } }", {"me": {}})
    assert result == {"me": {"nick": None}}
    assert errors == []


def test_non_null_violation_propagates_to_nearest_nullable_parent() -> None:
    result, errors = shape("{ me { name } }", {"me": {"name": None}})
    assert result == {"me": None}
    assert errors == [
        {
            "message": "Cannot return null for non-nullable field User.name.",
            "path": ["me", "name"],
            "extensions": {"code": "RESPONSE_VALIDATION_FAILED"},
        }
    ]


def test_null_in_non_null_list_item_nulls_nullable_list() -> None:
    result, _ = shape(
        "{ me { friends { name } } }", {"me": {"friends": [{"name": "a"}, {"name": None}]}}
    )
    assert result == {"me": {"friends": None}}


def test_propagation_to_root_nulls_data() -> None:
    result, _ = shape("{ strict { name } }", {"strict": None})
    assert result is None


def test_existing_error_explains_the_null() -> None:
    upstream = [{"message": "boom", "path": ["me"]}]
    result, errors = shape("{ me { name } }", {"me": {}}, errors=upstream)
    assert result == {"me": None}
    assert errors == upstream  # no second error for the same cause


def test_fragments_on_abstract_types_use_typename() -> None:
    query = """{ node { id ... on User { name } ... on Post { title } }
                 items { __typename ...P ... on User { name } } }
               fragment P on Post { title }"""
    data = {
        "node": {"__typename": "Post", "id": "p", "title": "T"},
        "items": [{"__typename": "User", "name": "u"}, {"__typename": "Post", "title": "t"}],
    }
    result, errors = shape(query, data)
    assert result == {
        "node": {"id": "p", "title": "T"},
        "items": [{"__typename": "User", "name": "u"}, {"__typename": "Post", "title": "t"}],
    }
    assert errors == []


def test_unknown_runtime_type_is_null_with_error() -> None:
    result, errors = shape("{ node { id } }", {"node": {"__typename": "Ghost", "id": "1"}})
    assert result == {"node": None}
    assert "Ghost" in errors[0]["message"]


def test_enum_value_unknown_to_api_schema_is_null_with_error() -> None:
    result, errors = shape("{ color }", {"color": "BLUE"})
    assert result == {"color": None}
    assert errors[0]["path"] == ["color"]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"s": True, "i": True}, {"me": {"id": "1"}}),
        ({"s": False, "i": True}, {"me": {"id": "1", "name": "Ada"}}),
        ({"s": False, "i": False}, {"me": {"name": "Ada"}}),
    ],
)
def test_skip_and_include(variables: dict[str, Any], expected: dict[str, Any]) -> None:
    query = "query($s: Boolean!, $i: Boolean!) { me { id @include(if: $i) name @skip(if: $s) } }"
    result, _ = shape(query, {"me": {"id": "1", "name": "Ada"}}, variables)
    assert result == expected


def test_repeated_field_selections_merge() -> None:
    result, _ = shape(
        "{ me { friends { name } } me { friends { nick } } }",
        {"me": {"friends": [{"name": "a", "nick": "b"}]}},
    )
    assert result == {"me": {"friends": [{"name": "a", "nick": "b"}]}}
