"""Merging repeated selections changes neither the response (key order included) nor validity."""

from __future__ import annotations

import json
from typing import Any

import hypothesis_graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    parse,
    print_ast,
    validate,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from router.operation.collapse import collapse_document

SCHEMA = build_schema(
    """
    type Query { a: Int b(x: Int): Int obj: Obj list: [Obj] node: Node }
    interface Node { id: ID }
    type Obj implements Node { id: ID name: String child: Obj n(x: Int): Int }
    type Other implements Node { id: ID other: String }
    """
)


def obj(depth: int = 0) -> dict[str, Any]:
    child = obj(depth + 1) if depth < 3 else None
    return {
        "__typename": "Obj",
        "id": f"o{depth}",
        "name": f"n{depth}",
        "child": child,
        "n": lambda _info, x=None: x,
    }


ROOT = {
    "a": 1,
    "b": lambda _info, x=None: x,
    "obj": obj(),
    "list": [obj(), obj(1)],
    "node": obj(),
}


def run(document: DocumentNode) -> str:
    result = execute(SCHEMA, document, root_value=ROOT)
    assert not isinstance(result, type(None))
    return json.dumps({"data": result.data, "errors": bool(result.errors)})  # type: ignore[union-attr]


@st.composite
def repeated(draw: st.DrawFn) -> str:
    """A valid query whose selection sets get copies of their own selections and a fragment
    spread twice: the repeats a client (or an attacker) writes."""
    document = draw(hypothesis_graphql.queries(SCHEMA, print_ast=lambda d: d))
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    copies = draw(st.lists(st.integers(0, 50), max_size=4))
    fragment = FragmentDefinitionNode(
        name=NameNode(value="Again"),
        type_condition=NamedTypeNode(name=NameNode(value="Query")),
        selection_set=operation.selection_set,
    )
    spreads = (FragmentSpreadNode(name=NameNode(value="Again")),) * 2
    selections = _with_copies(operation.selection_set, copies, levels=2).selections
    inline = InlineFragmentNode(selection_set=SelectionSetNode(selections=selections))
    body = SelectionSetNode(selections=(*selections, *spreads, inline, inline))
    top = OperationDefinitionNode(operation=operation.operation, selection_set=body)
    return print_ast(DocumentNode(definitions=(top, fragment)))


def _with_copies(
    selection_set: SelectionSetNode, copies: list[int], levels: int
) -> SelectionSetNode:
    selections = list(selection_set.selections)
    children = []
    for selection in selections:
        if levels > 1 and isinstance(selection, FieldNode) and selection.selection_set is not None:
            selection = FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=selection.arguments,
                directives=selection.directives,
                selection_set=_with_copies(selection.selection_set, copies, levels - 1),
            )
        children.append(selection)
    for index in copies:
        children.insert(index % (len(children) + 1), children[index % len(children)])
    return SelectionSetNode(selections=tuple(children))


@settings(max_examples=150, deadline=None)
@given(repeated())
def test_collapsing_keeps_the_response_and_the_verdict(query: str) -> None:
    document = parse(query)
    collapsed = collapse_document(document)
    assert bool(validate(SCHEMA, document)) == bool(validate(SCHEMA, collapsed))
    if not validate(SCHEMA, document):
        assert run(collapsed) == run(document)
    assert len(print_ast(collapsed)) <= len(print_ast(document))


def test_fields_merge_at_the_first_position_and_inline_fragments_only_with_a_neighbour() -> None:
    document = parse(
        "{ obj { id } a ... on Query { b } obj { name } ... on Query { a } ... on Query { b } }"
    )
    apart = parse("{ ... on Query { a } b ... on Query { obj { id } } }")
    assert collapse_document(apart) is apart  # b between them: merging would reorder
    printed = print_ast(collapse_document(document))
    assert printed == print_ast(
        # obj { name } joins the first obj, so the inline fragments become neighbours
        parse("{ obj { id name } a ... on Query { b a } }")
    )
    assert run(collapse_document(document)) == run(document)


def test_a_document_without_repeats_is_returned_as_is() -> None:
    document = parse("{ obj { id name child { id } } a b(x: 1) }")
    assert collapse_document(document) is document
