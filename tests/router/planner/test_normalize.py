"""Operation normalisation before planning, and the planner's own operation printer."""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    build_schema,
    parse,
    print_ast,
)

from router.planner.budget import BudgetMeter
from router.planner.normalize import normalize_operation
from router.planner.operation_text import _field_head

SCHEMA = build_schema(
    """
    interface Node { id: ID! }
    type Book implements Node { id: ID! title(upper: Boolean): String author: Author }
    type Pen implements Node { id: ID! ink: String }
    type Author { name: String books: [Book] }
    union Thing = Book | Pen
    type Query { node: Node thing: Thing book: Book
                 search(text: String, first: Int, tags: [String], exact: Boolean): [Book] }
    """
)


def normalized(query: str) -> str:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    result = normalize_operation(SCHEMA, operation, fragments, BudgetMeter())
    return print_ast(result.selection_set, max_indent_depth=0)


def test_spreads_are_inlined_and_repeats_merged() -> None:
    query = """
    { book { ...B ...B id } book { author { name } } }
    fragment B on Book { id title author { books { id } } }
    """
    assert normalized(query) == "{ book { id title author { books { id } name } } }"


def test_fragments_that_always_apply_dissolve_and_others_merge() -> None:
    query = (
        "{ book { ... on Node { id } } "
        "node { ... on Book { id } ... on Pen { ink } ... on Book { title } } }"
    )
    assert normalized(query) == (
        "{ book { id } node { ... on Book { id title } ... on Pen { ink } } }"
    )


def test_conditions_keep_selections_apart_and_literals_apply() -> None:
    query = """
    query ($x: Boolean!) {
      book @include(if: $x) { id @include(if: $x) title @skip(if: true) }
      book { author { name } } ... @include(if: false) { thing { __typename } }
      ... @include(if: true) { node { id } }
    }
    """
    assert normalized(query) == (
        "{ book @include(if: $x) { id } book { author { name } } node { id } }"
    )


def test_conditioned_spreads_are_read_once_per_condition() -> None:
    query = """
    query ($x: Boolean!) { ...Q @include(if: $x) ...Q @include(if: $x) ...Q }
    fragment Q on Query { book { id } }
    """
    assert normalized(query) == "{ ... @include(if: $x) { book { id } } book { id } }"


def test_field_heads_print_as_graphql_core_does() -> None:
    query = """
    query ($t: String) {
      search(text: "a \\"quoted\\" text", first: 10, exact: false, tags: ["x", "y"])
      b: search(text: $t, first: -1, exact: null)
      long: search(text: "a string long enough to push the arguments over eighty", first: 1)
    }
    """
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    for field in operation.selection_set.selections:
        assert isinstance(field, FieldNode)
        assert _field_head(field) == print_ast(field)
