"""Customer ids are checked for the shape ``new_id("cus")`` gives them."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from subgraphs.common.errors import BadUserInput
from subgraphs.common.ids import check_customer_id, new_id

AT = datetime(2026, 1, 5, tzinfo=UTC)
VALID = new_id("cus", at=AT, rng=random.Random(1))


def test_ids_new_id_makes_are_accepted() -> None:
    rng = random.Random(7)
    for year in (1971, 2026, 2999):
        customer_id = new_id("cus", at=datetime(year, 1, 1, tzinfo=UTC), rng=rng)
        assert check_customer_id(customer_id) == customer_id


@pytest.mark.parametrize(
    "customer_id",
    [
        "",
        "cus_",
        "cust_01ABC",
        "01ABC",
        "cus_<script>",
        "cus_" + "A" * 37,
        "cus_01ABC",  # too short
        "ord" + VALID[3:],  # another kind of id
        VALID.lower(),  # not Crockford base32 as new_id writes it
        VALID[:-1] + "U",  # U is not a Crockford digit
        VALID + "\n",
    ],
)
def test_malformed_customer_ids_are_bad_input(customer_id: str) -> None:
    with pytest.raises(BadUserInput) as raised:
        check_customer_id(customer_id)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": "customerId"}
