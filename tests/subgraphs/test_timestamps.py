"""Every subgraph serves its timestamps with an explicit ``+00:00`` offset, on every backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from subgraphs.common.demo import world
from tests.conftest import SubgraphPool

CASES = {
    "customers": (
        "{ customers(first: 5) { nodes { id createdAt paymentMethods { createdAt } } } }",
        {"createdAt"},
    ),
    "orders": (
        """{
          products(first: 5) { nodes { createdAt } }
          orders(first: 5, filter: {status: CANCELLED}) { nodes { placedAt cancelledAt } }
        }""",
        {"createdAt", "placedAt", "cancelledAt"},
    ),
    "invoices": (
        "{ invoices(first: 5, filter: {status: PAID}) { nodes { issuedAt paidAt } } }",
        {"issuedAt", "paidAt"},
    ),
    "subscriptions": (
        """{
          subscriptions(first: 5, filter: {status: CANCELED}) { nodes { createdAt canceledAt } }
        }""",
        {"createdAt", "canceledAt"},
    ),
}


def timestamps(value: Any, found: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every non-null ``…At`` field anywhere in ``value``, by field name."""
    if isinstance(value, list):
        for item in value:
            timestamps(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("At") and item is not None:
                found.setdefault(key, []).append(item)
            else:
                timestamps(item, found)
    return found


@pytest.mark.parametrize("name", CASES)
def test_timestamps_carry_the_utc_offset(subgraphs: SubgraphPool, name: str) -> None:
    query, fields = CASES[name]
    found = timestamps(subgraphs[name].data(query), {})
    assert set(found) == fields
    for field, values in found.items():
        for value in values:
            assert value.endswith("+00:00"), f"{name} {field}: {value}"
            assert datetime.fromisoformat(value).utcoffset() is not None


def test_customer_created_at_is_the_stored_moment(subgraphs: SubgraphPool) -> None:
    demo = world().customers[0]
    query = "query($id: ID!) { customer(id: $id) { createdAt } }"
    served = subgraphs["customers"].data(query, {"id": demo.id})["customer"]["createdAt"]
    assert served == demo.created_at.isoformat()
