"""voidInvoice: DRAFT and OPEN become VOID; PAID and VOID conflict; unknown ids are NOT_FOUND.

These tests change invoices, so each runs on a fresh database of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import world
from subgraphs.common.serve import seed_database
from subgraphs.invoices.repository import LineData, build_invoice, invoice_number
from subgraphs.invoices.seed import demo_invoices
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph

VOID = """
mutation($id: ID!) { voidInvoice(id: $id) { id status total { amount } paidAt } }
"""

BALANCE = """
query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Customer { outstandingBalance { amount currency } invoices(status: OPEN) { nodes { id } } }
} }"""

DRAFT_ID = "inv_draft_for_tests"


async def _add_draft(session: AsyncSession) -> bool:
    session.add(
        build_invoice(
            invoice_id=DRAFT_ID,
            number=invoice_number(2099, 1),
            customer_id=world().customers[0].id,
            currency="EUR",
            lines=[LineData("Setup fee", 1, 5000, "EUR")],
            basis_points=1900,
            created_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
    )
    return True


async def _codes(subgraph: InProcessSubgraph, invoice_id: str) -> list[str]:
    body = await subgraph.execute(VOID, {"id": invoice_id})
    return [error["extensions"]["code"] for error in body["errors"]]


async def test_open_and_draft_invoices_can_be_voided(backend: str, tmp_path: Path) -> None:
    row = next(r for r in demo_invoices(world()) if r.status == "OPEN")
    reps = [{"__typename": "Customer", "id": row.customer_id}]
    with fresh_database(backend, "invoices", tmp_path) as url:
        async with in_process_subgraph("invoices", url) as subgraph:
            await seed_database(url, _add_draft)
            before = (await subgraph.execute(BALANCE, {"r": reps}))["data"]["_entities"][0]
            for invoice_id in (row.id, DRAFT_ID):
                body = await subgraph.execute(VOID, {"id": invoice_id})
                assert body["data"]["voidInvoice"]["status"] == "VOID", body
                assert body["data"]["voidInvoice"]["paidAt"] is None
            after = (await subgraph.execute(BALANCE, {"r": reps}))["data"]["_entities"][0]
            assert {"id": row.id} in before["invoices"]["nodes"]
            assert {"id": row.id} not in after["invoices"]["nodes"]
            owed_before = sum(m["amount"] for m in before["outstandingBalance"])
            owed_after = sum(m["amount"] for m in after["outstandingBalance"])
            assert owed_before - owed_after == row.total


async def test_paid_void_and_unknown_invoices_are_refused(backend: str, tmp_path: Path) -> None:
    rows = demo_invoices(world())
    paid = next(r for r in rows if r.status == "PAID")
    void = next(r for r in rows if r.status == "VOID")
    with fresh_database(backend, "invoices", tmp_path) as url:
        async with in_process_subgraph("invoices", url) as subgraph:
            assert await _codes(subgraph, paid.id) == ["CONFLICT"]
            assert await _codes(subgraph, void.id) == ["CONFLICT"]
            assert await _codes(subgraph, "inv_missing") == ["NOT_FOUND"]
            body = await subgraph.execute(
                "query($id: ID!) { invoice(id: $id) { status } }", {"id": paid.id}
            )
            assert body["data"]["invoice"]["status"] == "PAID"


async def test_voiding_twice_conflicts_the_second_time(backend: str, tmp_path: Path) -> None:
    row = next(r for r in demo_invoices(world()) if r.status == "OPEN")
    with fresh_database(backend, "invoices", tmp_path) as url:
        async with in_process_subgraph("invoices", url) as subgraph:
            body = await subgraph.execute(VOID, {"id": row.id})
            assert body["data"]["voidInvoice"]["status"] == "VOID"
            errors = (await subgraph.execute(VOID, {"id": row.id}))["errors"]
            assert errors[0]["extensions"] == {"code": "CONFLICT", "id": row.id, "status": "VOID"}
