"""Splitting an operation at its @defer fragments: the initial operation and each part."""

from __future__ import annotations

import pytest
from graphql import parse

from router.errors import RouterError
from router.realtime.defer import objects_at, split_deferred

DOCUMENT = """
query Q($id: ID!, $later: Boolean) {
  order(id: $id) {
    id
    ...Paid @defer(label: "paid")
    ... @defer(if: $later) { status }
  }
}
fragment Paid on Order { paidAt customer { ... @defer(label: "inner") { email } } }
"""


def test_deferred_fragments_become_operations_of_their_own() -> None:
    split = split_deferred(parse(DOCUMENT), None, {"id": "o1", "later": True})
    assert split is not None
    assert "paidAt" not in split.initial
    assert "status" not in split.initial
    assert "$later" not in split.initial  # only the variables it still uses
    labels = [(p.label, p.path, p.parent) for p in split.parts]
    assert labels == [("paid", ("order",), None), ("inner", ("order", "customer"), 0),
                      (None, ("order",), None)]  # fmt: skip
    paid = split.parts[0].query
    assert "paidAt" in paid
    assert "email" not in paid
    assert "@defer" not in paid
    assert "email" in split.parts[1].query


def test_if_false_and_mutations_keep_fragments_inline() -> None:
    split = split_deferred(parse(DOCUMENT), None, {"id": "o1", "later": False})
    assert split is not None
    assert "status" in split.initial
    assert len(split.parts) == 2
    mutation = "mutation { cancelOrder(id: 1) { id ... @defer { status } } }"
    split = split_deferred(parse(mutation), None, {})
    assert split is not None
    assert split.parts == ()
    assert "status" in split.initial
    assert "@defer" not in split.initial


def test_a_label_must_be_a_literal() -> None:
    document = "query($l: String) { order(id: 1) { ... @defer(label: $l) { id } } }"
    with pytest.raises(RouterError):
        split_deferred(parse(document), None, {})


def test_objects_at_steps_into_lists_and_skips_nulls() -> None:
    data = {"a": {"b": [{"c": {"x": 1}}, None, {"c": None}, {"c": {"x": 2}}]}}
    assert objects_at(data, ("a", "b", "c")) == [(["a", "b", 0, "c"], {"x": 1}),
                                                 (["a", "b", 3, "c"], {"x": 2})]  # fmt: skip
