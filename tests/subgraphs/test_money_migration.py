"""Money columns become BIGINT by migration, keeping the amounts already stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from subgraphs.common.db import create_engine
from subgraphs.common.migrate import upgrade
from tests.support.databases import backends, fresh_database

BIG = 2**40  # far past GraphQL Int's 2**31 - 1


async def _run(url: str, *statements: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            results = [await conn.execute(text(s)) for s in statements]
            return [r.scalar() if r.returns_rows else None for r in results]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", backends())
def test_existing_invoice_amounts_survive_and_bigger_ones_fit(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, "invoices", tmp_path) as url:
        upgrade("invoices", url, "0003")
        asyncio.run(
            _run(
                url,
                "INSERT INTO invoices (id, number, customer_id, currency, subtotal, tax, "
                "tax_rate_basis_points, total, status, created_at) VALUES ('inv_old', "
                "'INV-2026-000001', 'cus_x', 'EUR', 2147483000, 600, 0, 2147483600, 'OPEN', "
                "'2026-01-01T00:00:00+00:00')",
            )
        )
        upgrade("invoices", url)
        found = asyncio.run(
            _run(
                url,
                "SELECT total FROM invoices WHERE id = 'inv_old'",
                f"UPDATE invoices SET total = {BIG} WHERE id = 'inv_old'",
                "SELECT total FROM invoices WHERE id = 'inv_old'",
            )
        )
        assert found == [2147483600, None, BIG]


@pytest.mark.parametrize("service", ["orders", "subscriptions"])
@pytest.mark.parametrize("backend", backends())
def test_every_service_migrates_to_bigint(backend: str, service: str, tmp_path: Path) -> None:
    table, column = {"orders": ("products", "price"), "subscriptions": ("plans", "price")}[service]
    with fresh_database(backend, service, tmp_path) as url:
        upgrade(service, url)
        insert = {
            "orders": f"INSERT INTO products (id, sku, name, price, currency, stock, active, "
            f"created_at) VALUES ('prd_x', 'SKU-X', 'X', {BIG}, 'EUR', 1, true, "
            "'2026-01-01T00:00:00+00:00')",
            "subscriptions": f"INSERT INTO plans (id, code, name, interval, price, currency, "
            f"trial_days, active, created_at) VALUES ('pln_x', 'x', 'X', 'MONTH', {BIG}, 'EUR', "
            "0, true, '2026-01-01T00:00:00+00:00')",
        }[service]
        found = asyncio.run(_run(url, insert, f"SELECT {column} FROM {table}"))
        assert found[-1] == BIG
