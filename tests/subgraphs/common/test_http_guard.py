"""What the request guard reads from a GraphQL request: the operation name for the access log."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.common.http_guard import operation_name


@pytest.mark.parametrize(
    ("request_", "name"),
    [
        ({"query": "{ a }", "operationName": "Chosen"}, "Chosen"),
        ({"query": "query Named { a }"}, "Named"),
        ({"query": "\n  mutation  Pay($id: ID!) { pay(id: $id) }"}, "Pay"),
        ({"query": "subscription Watch { a }"}, "Watch"),
        ({"query": "{ a }"}, None),
        ({"query": "query { a }"}, None),
        ({"query": "fragment F on T { a } query Later { ...F }"}, None),  # first is a fragment
        ({"query": "{ a }", "operationName": "N" * 100}, "N" * 64),  # bounded
        ({"query": f"query {'Q' * 100} {{ a }}"}, "Q" * 64),
    ],
)
def test_the_operation_name_comes_from_the_request_or_its_document(
    request_: dict[str, Any], name: str | None
) -> None:
    assert operation_name(request_) == name
