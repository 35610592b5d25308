"""The real supergraph over our four subgraphs: our router answers as Apollo's gateway does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from subgraphs.common.demo import world
from subgraphs.common.pagination import encode_cursor
from tests.differential.compare import disagreements
from tests.differential.corpus import REAL_DIR, Operation, load_operations
from tests.differential.expectations import check_documented, selected
from tests.differential.gateways import Pair, ask


def demo_value(placeholder: str) -> str:
    """``$customers.0.id`` → that demo-world value; ``$cursor:orders.4.id`` → its cursor."""
    path = placeholder[1:]
    cursor = path.startswith("cursor:")
    value: Any = world()
    for part in path.removeprefix("cursor:").split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return encode_cursor(value) if cursor else str(value)


def resolve(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return demo_value(value)
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


OPERATIONS = selected(
    [
        Operation(op.case, op.name, op.document, resolve(op.variables), op.variant)
        for op in load_operations(REAL_DIR, "real")
    ]
)


@pytest.mark.oracle
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_same_answer_as_apollo(operation: Operation, real_pair: Pair, http: httpx.Client) -> None:
    ours = ask(http, real_pair.ours, operation.body())
    apollo = ask(http, real_pair.apollo, operation.body())
    if check_documented(operation, ours, apollo):
        return
    problems = disagreements(ours, apollo)
    assert not problems, "\n".join(problems)
