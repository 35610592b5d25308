"""The invoices subgraph over HTTP: queries, entities it extends, pagination and bad input."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from subgraphs.common.demo import world
from subgraphs.invoices.models import InvoiceRow
from subgraphs.invoices.seed import demo_invoices
from tests.conftest import SubgraphPool
from tests.support.processes import ServiceProcess

INVOICE_FIELDS = """
  id number status taxRateBasisPoints issuedAt dueDate paidAt periodStart periodEnd
  subtotal { amount currency } tax { amount currency } total { amount currency formatted }
  lines { description quantity unitAmount { amount currency } amount { amount currency } }
  customer { id } order { id } subscription { id }
"""

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { %s } }"


@pytest.fixture(scope="module")
def invoices(subgraphs: SubgraphPool) -> ServiceProcess:
    return subgraphs["invoices"]


@pytest.fixture(scope="module")
def demo() -> list[InvoiceRow]:
    return demo_invoices(world())


def entities(service: ServiceProcess, selection: str, reps: list[dict[str, Any]]) -> list[Any]:
    found: list[Any] = service.data(ENTITIES % selection, {"r": reps})["_entities"]
    return found


def test_order_invoice_is_served_with_lines_and_amounts(
    invoices: ServiceProcess, demo: list[InvoiceRow]
) -> None:
    row = next(r for r in demo if r.order_id and len(r.lines) > 1)
    got = invoices.data(
        f"query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}", {"id": row.id}
    )["invoice"]
    assert got["number"] == row.number
    assert got["customer"] == {"id": row.customer_id}
    assert got["order"] == {"id": row.order_id}
    assert got["subscription"] is None
    assert got["periodStart"] is None
    assert [line["amount"]["amount"] for line in got["lines"]] == [
        line.amount for line in row.lines
    ]
    assert got["subtotal"]["amount"] == sum(line["amount"]["amount"] for line in got["lines"])
    assert got["total"]["amount"] == got["subtotal"]["amount"] + got["tax"]["amount"]
    assert got["tax"]["amount"] == row.tax
    currencies = {got["subtotal"]["currency"], got["tax"]["currency"], got["total"]["currency"]}
    currencies |= {line["amount"]["currency"] for line in got["lines"]}
    currencies |= {line["unitAmount"]["currency"] for line in got["lines"]}
    assert currencies == {row.currency}
    assert got["issuedAt"].endswith("+00:00")


def test_subscription_invoice_names_its_period(
    invoices: ServiceProcess, demo: list[InvoiceRow]
) -> None:
    row = next(r for r in demo if r.subscription_id)
    got = invoices.data(
        f"query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}", {"id": row.id}
    )["invoice"]
    assert got["subscription"] == {"id": row.subscription_id}
    assert got["order"] is None
    assert (got["periodStart"], got["periodEnd"]) == (
        str(row.period_start),
        str(row.period_end),
    )


def test_unknown_invoice_is_null(invoices: ServiceProcess) -> None:
    assert invoices.data('{ invoice(id: "inv_nope") { id } }') == {"invoice": None}


def test_pagination_walks_every_invoice_once(
    invoices: ServiceProcess, demo: list[InvoiceRow]
) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = invoices.data(
            "query($after: String) { invoices(first: 9, after: $after) { "
            "edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["invoices"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted({r.id for r in demo})


def test_filters_by_status_and_customer(invoices: ServiceProcess, demo: list[InvoiceRow]) -> None:
    customer_id = demo[0].customer_id
    nodes = invoices.data(
        "query($c: ID!) { invoices(first: 100, filter: {status: PAID, customerId: $c}) "
        "{ nodes { id status customer { id } } } }",
        {"c": customer_id},
    )["invoices"]["nodes"]
    expected = [r.id for r in demo if r.customer_id == customer_id and r.status == "PAID"]
    assert [n["id"] for n in nodes] == sorted(expected)
    assert {(n["status"], n["customer"]["id"]) for n in nodes} == {("PAID", customer_id)}


@pytest.mark.parametrize(
    "arguments", ["first: 101", "first: -1", 'after: "not-a-cursor"', 'after: "djE6"']
)
def test_bad_page_arguments(invoices: ServiceProcess, arguments: str) -> None:
    query = f"{{ invoices({arguments}) {{ nodes {{ id }} }} }}"
    assert invoices.error_codes(query) == ["BAD_USER_INPUT"]


def test_bad_page_arguments_on_extended_entities(invoices: ServiceProcess) -> None:
    reps = [{"__typename": "Customer", "id": world().customers[0].id}]
    body = invoices.execute(
        ENTITIES % "... on Customer { invoices(first: 1000) { nodes { id } } }", {"r": reps}
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_invoices_resolve_by_key(invoices: ServiceProcess, demo: list[InvoiceRow]) -> None:
    reps: list[dict[str, Any]] = [{"__typename": "Invoice", "id": r.id} for r in demo[:3]]
    reps.append({"__typename": "Invoice", "id": "inv_unknown"})
    found = entities(invoices, "... on Invoice { id number }", reps)
    assert [e and e["number"] for e in found] == [r.number for r in demo[:3]] + [None]


@pytest.mark.parametrize(
    ("country", "expected"),
    [("DE", (1900, "DE VAT")), ("se", (2500, "SE VAT")), ("US", (0, "No tax"))],
)
def test_tax_rate_uses_the_required_country(
    invoices: ServiceProcess, country: str, expected: tuple[int, str]
) -> None:
    reps = [
        {"__typename": "Customer", "id": world().customers[0].id, "address": {"country": country}}
    ]
    found = entities(invoices, "... on Customer { taxRate { country basisPoints name } }", reps)
    assert found == [
        {"taxRate": {"country": country.upper(), "basisPoints": expected[0], "name": expected[1]}}
    ]


def test_tax_rate_without_the_required_address_is_bad_input(invoices: ServiceProcess) -> None:
    reps = [{"__typename": "Customer", "id": world().customers[0].id}]
    body = invoices.execute(ENTITIES % "... on Customer { taxRate { name } }", {"r": reps})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_sdl_declares_the_requires(invoices: ServiceProcess) -> None:
    sdl = invoices.data("{ _service { sdl } }")["_service"]["sdl"]
    assert 'taxRate: TaxRate! @requires(fields: "address { country }")' in sdl
    assert "address: Address! @external" in sdl
    assert "country: String! @external" in sdl


def test_customer_invoices_page_and_filter_by_status(
    invoices: ServiceProcess, demo: list[InvoiceRow]
) -> None:
    per_customer: dict[str, list[InvoiceRow]] = defaultdict(list)
    for row in demo:
        per_customer[row.customer_id].append(row)
    customer_id, rows = max(per_customer.items(), key=lambda item: len(item[1]))
    reps = [{"__typename": "Customer", "id": customer_id}, {"__typename": "Customer", "id": "x"}]
    found = entities(
        invoices,
        "... on Customer { first: invoices(first: 1) { nodes { id } pageInfo { hasNextPage } } "
        "paid: invoices(first: 50, status: PAID) { nodes { id status } } }",
        reps,
    )
    ids = sorted(r.id for r in rows)
    assert found[0]["first"] == {"nodes": [{"id": ids[0]}], "pageInfo": {"hasNextPage": True}}
    paid = sorted(r.id for r in rows if r.status == "PAID")
    assert [n["id"] for n in found[0]["paid"]["nodes"]] == paid
    assert found[1]["first"]["nodes"] == []


def test_outstanding_balance_sums_open_invoices_per_currency(
    invoices: ServiceProcess, demo: list[InvoiceRow]
) -> None:
    owed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in demo:
        if row.status == "OPEN":
            owed[row.customer_id][row.currency] += row.total
    customer_ids = [c.id for c in world().customers]
    reps = [{"__typename": "Customer", "id": cid} for cid in customer_ids]
    found = entities(invoices, "... on Customer { outstandingBalance { amount currency } }", reps)
    for customer_id, entity in zip(customer_ids, found, strict=True):
        expected = [
            {"amount": amount, "currency": currency}
            for currency, amount in sorted(owed[customer_id].items())
        ]
        assert entity["outstandingBalance"] == expected
    assert any(entity["outstandingBalance"] for entity in found)


def test_order_invoice_and_subscription_invoices(
    invoices: ServiceProcess, demo: list[InvoiceRow]
) -> None:
    order_row = next(r for r in demo if r.order_id)
    sub_row = next(r for r in demo if r.subscription_id)
    trialing = next(s for s in world().subscriptions if s.status == "TRIALING")
    reps: list[dict[str, Any]] = [
        {"__typename": "Order", "id": order_row.order_id},
        {"__typename": "Order", "id": "ord_without_invoice"},
        {"__typename": "BillingSubscription", "id": sub_row.subscription_id},
        {"__typename": "BillingSubscription", "id": trialing.id},
    ]
    found = entities(
        invoices,
        "... on Order { invoice { id order { id } } } "
        "... on BillingSubscription { invoices { nodes { id subscription { id } } } }",
        reps,
    )
    assert found[0] == {"invoice": {"id": order_row.id, "order": {"id": order_row.order_id}}}
    assert found[1] == {"invoice": None}
    assert found[2] == {
        "invoices": {"nodes": [{"id": sub_row.id, "subscription": {"id": sub_row.subscription_id}}]}
    }
    assert found[3] == {"invoices": {"nodes": []}}
