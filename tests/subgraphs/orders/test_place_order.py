"""placeOrder over HTTP: stock reservation, validation, atomicity and idempotency."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.common.demo import world
from tests.support.processes import ServiceProcess

from .operations import (
    PLACE,
    new_customer_id,
    order_input,
    orders_of,
    place,
    place_variables,
    stock,
)

READER, PRO, PRINTER = world().products[0], world().products[1], world().products[2]
PAPER = world().products[4]


def test_place_order_reserves_stock_and_prices_lines(orders: ServiceProcess) -> None:
    before = {p.id: stock(orders, p.id) for p in (READER, PRO)}
    customer_id = new_customer_id()
    placed = place(orders, [(READER.id, 2), (PRO.id, 1)], customer_id=customer_id)
    assert placed["status"] == "PLACED"
    assert placed["cancelledAt"] is None
    assert placed["customer"] == {"id": customer_id}
    assert placed["total"] == {"amount": 2 * READER.price + PRO.price, "currency": "EUR"}
    assert [
        (
            line["productName"],
            line["quantity"],
            line["unitPrice"]["amount"],
            line["lineTotal"]["amount"],
        )
        for line in placed["lines"]
    ] == [(READER.name, 2, READER.price, 2 * READER.price), (PRO.name, 1, PRO.price, PRO.price)]
    assert placed["id"].startswith("ord_")
    assert {line["product"]["id"]: line["product"]["stock"] for line in placed["lines"]} == {
        READER.id: before[READER.id] - 2,
        PRO.id: before[PRO.id] - 1,
    }
    assert stock(orders, READER.id) == before[READER.id] - 2


def test_duplicate_product_lines_are_merged(orders: ServiceProcess) -> None:
    before = stock(orders, PRINTER.id)
    placed = place(orders, [(PRINTER.id, 1), (PRINTER.id, 2)])
    assert [(line["product"]["id"], line["quantity"]) for line in placed["lines"]] == [
        (PRINTER.id, 3)
    ]
    assert placed["total"]["amount"] == 3 * PRINTER.price
    assert stock(orders, PRINTER.id) == before - 3


@pytest.mark.parametrize(
    ("lines", "customer_id", "code"),
    [
        ([], None, "BAD_USER_INPUT"),
        ([(READER.id, 0)], None, "BAD_USER_INPUT"),
        ([(READER.id, -1)], None, "BAD_USER_INPUT"),
        ([(READER.id, 1001)], None, "BAD_USER_INPUT"),
        ([(READER.id, 600), (READER.id, 600)], None, "BAD_USER_INPUT"),
        ([(READER.id, 2), (READER.id, -1)], None, "BAD_USER_INPUT"),
        ([(READER.id, 1)], "not-a-customer", "BAD_USER_INPUT"),
        ([(READER.id, 1)], "ord_01KE6P4YM0E37Z3HR0ECQ1", "BAD_USER_INPUT"),
        ([(READER.id, 1), ("prd_missing", 1)], None, "NOT_FOUND"),
    ],
)
def test_invalid_orders_are_refused_and_change_nothing(
    orders: ServiceProcess, lines: list[tuple[str, int]], customer_id: str | None, code: str
) -> None:
    before = stock(orders, READER.id)
    variables = place_variables(lines, customer_id=customer_id)
    assert orders.error_codes(PLACE, variables) == [code]
    assert stock(orders, READER.id) == before


def test_unknown_product_names_it(orders: ServiceProcess) -> None:
    body = orders.execute(PLACE, place_variables([("prd_missing", 1)]))
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "productId": "prd_missing"}


def test_out_of_stock_names_the_product_and_rolls_back_every_line(
    orders: ServiceProcess,
) -> None:
    customer_id = new_customer_id()
    reader_before, paper_before = stock(orders, READER.id), stock(orders, PAPER.id)
    variables = place_variables(
        [(READER.id, 1), (PAPER.id, paper_before + 1)], customer_id=customer_id
    )
    body = orders.execute(PLACE, variables)
    assert body["data"] is None
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "OUT_OF_STOCK", "productId": PAPER.id, "requested": paper_before + 1}
    ]
    assert stock(orders, READER.id) == reader_before  # the first line's reservation is undone
    assert stock(orders, PAPER.id) == paper_before
    assert orders_of(orders, customer_id) == []
    # The key was released with the rest, so the same request can be retried later.
    assert orders.error_codes(PLACE, variables) == ["OUT_OF_STOCK"]


def test_exact_remaining_stock_can_be_ordered(orders: ServiceProcess) -> None:
    remaining = stock(orders, PAPER.id)
    placed = place(orders, [(PAPER.id, remaining)])
    assert placed["lines"][0]["product"]["stock"] == 0
    assert orders.error_codes(PLACE, place_variables([(PAPER.id, 1)])) == ["OUT_OF_STOCK"]


def test_same_key_and_input_returns_the_same_order_and_reserves_once(
    orders: ServiceProcess,
) -> None:
    before = stock(orders, PRO.id)
    variables = place_variables([(PRO.id, 2)])
    first = orders.data(PLACE, variables)["placeOrder"]
    again = orders.data(PLACE, variables)["placeOrder"]
    assert again["id"] == first["id"]
    assert stock(orders, PRO.id) == before - 2


def test_same_key_with_other_input_is_refused_and_changes_nothing(
    orders: ServiceProcess,
) -> None:
    key = uuid.uuid4().hex
    customer_id = new_customer_id()
    orders.data(PLACE, {"input": order_input([(PRO.id, 1)], customer_id), "key": key})
    before = stock(orders, PRO.id)
    other: dict[str, Any] = {"input": order_input([(PRO.id, 3)], customer_id), "key": key}
    assert orders.error_codes(PLACE, other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert stock(orders, PRO.id) == before
    assert len(orders_of(orders, customer_id)) == 1


def test_blank_idempotency_key_is_bad_input(orders: ServiceProcess) -> None:
    variables = {"input": order_input([(PRO.id, 1)]), "key": "  "}
    assert orders.error_codes(PLACE, variables) == ["BAD_USER_INPUT"]
