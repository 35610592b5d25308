"""Internal aliases: @requires arguments, fields that cannot merge, entity interfaces."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import parse

from router.planner import (
    FetchNode,
    Field,
    FlattenNode,
    InlineFragment,
    KeyRenamer,
    ParallelNode,
    PlanNode,
    SequenceNode,
    ValueSetter,
    plan_operation,
)
from router.planner.aliases import internal_aliases
from router.supergraph import Supergraph, load_supergraph

CASES = Path(__file__).parent / "cases"


@cache
def _supergraph(feature: str) -> Supergraph:
    return load_supergraph((CASES / feature / "supergraph.graphql").read_text())


def _fetches(node: PlanNode | None) -> list[FetchNode]:
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    if isinstance(node, SequenceNode | ParallelNode):
        return [f for child in node.nodes for f in _fetches(child)]
    return []


def _plan(feature: str, operation: str) -> list[FetchNode]:
    return _fetches(plan_operation(_supergraph(feature), parse(operation)).node)


def test_required_arguments_get_one_alias_per_argument_set() -> None:
    aliases = internal_aliases(parse("{ products { name } }"), _supergraph("requires_arguments"))
    assert dict(aliases.arguments) == {
        ("price", 'currency: "EUR"'): "__sb_price_0",
        ("price", 'currency: "USD"'): "__sb_price_1",
    }


def test_required_arguments_without_conflict_are_not_aliased() -> None:
    aliases = internal_aliases(parse("{ products { euroLabel } }"), _supergraph("provides"))
    assert not aliases


def test_two_requirements_of_one_field_split_the_entity_fetch() -> None:
    fetches = _plan("requires_arguments", "{ products { euroLabel dollarLabel } }")
    first, *shipping = fetches
    assert '__sb_price_0: price(currency: "EUR")' in first.operation
    assert '__sb_price_1: price(currency: "USD")' in first.operation
    assert [f.service_name for f in shipping] == ["shipping", "shipping"]
    sent = [f.requires[0] for f in shipping if f.requires]
    assert [s.selections[-1] for s in sent if isinstance(s, InlineFragment)] == [
        Field("price", "__sb_price_0"),
        Field("price", "__sb_price_1"),
    ]


def test_fields_that_cannot_merge_are_renamed_back() -> None:
    (fetch,) = _plan("field_types", "{ items { ... on Book { code } ... on Pen { code } } }")
    assert "code__alias_0: code" in fetch.operation
    assert fetch.output_rewrites == (KeyRenamer(("items", "... on Pen", "code__alias_0"), "code"),)


def test_client_aliases_that_cannot_merge_are_renamed_back() -> None:
    operation = "{ items { ... on Book { c: code } ... on Pen { c: code } } }"
    (fetch,) = _plan("field_types", operation)
    assert fetch.output_rewrites == (KeyRenamer(("items", "... on Pen", "c__alias_0"), "c"),)


def test_interface_object_receives_concrete_objects_under_the_interface_name() -> None:
    fetches = _plan("entity_interface", "{ library { blurb } }")
    reviews = fetches[-1]
    assert reviews.service_name == "reviews"
    assert ValueSetter(("... on Book", "__typename"), "Media") in reviews.input_rewrites
    conditions = [s.type_condition for s in reviews.requires or () if isinstance(s, InlineFragment)]
    assert conditions == ["Media", "Book", "Song"]


def test_interface_object_position_fetches_the_concrete_type() -> None:
    fetches = _plan("entity_interface", "{ topRated { rating } }")
    assert [f.service_name for f in fetches] == ["reviews", "media"]
    assert "__typename" in fetches[1].operation
