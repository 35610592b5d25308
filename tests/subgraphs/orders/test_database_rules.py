"""Rules that need rows the API cannot create: seeding, other currencies, retired products."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.db import create_engine, session_factory
from subgraphs.common.demo import world
from subgraphs.common.ids import new_id
from subgraphs.common.serve import seed_database
from subgraphs.orders.models import OrderLineRow, OrderRow, ProductRow
from subgraphs.orders.seed import seed
from tests.support.databases import fresh_database
from tests.support.inprocess import in_process_subgraph

from .operations import PLACE, place_variables

STOCKS = "query($a: ID!, $b: ID!) { a: product(id: $a) { stock } b: product(id: $b) { stock } }"


@asynccontextmanager
async def direct_session(url: str) -> AsyncIterator[AsyncSession]:
    """A session on the service's database, beside the app, committed on exit."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def extra_product(**columns: object) -> ProductRow:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "id": new_id("prd", at=now),
        "sku": f"SKU-X-{new_id('x')[-8:]}",
        "name": "Extra",
        "description": "Added by a test",
        "price": 1000,
        "currency": "EUR",
        "stock": 10,
        "active": True,
        "created_at": now,
    }
    values.update(columns)
    return ProductRow(**values)


async def test_seed_stores_the_demo_world_once(backend: str, tmp_path: Path) -> None:
    demo = world()
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url):  # migrates and seeds
            pass
        assert await seed_database(url, seed) is False
        async with direct_session(url) as session:
            counts = [
                await session.scalar(select(func.count()).select_from(model))
                for model in (ProductRow, OrderRow, OrderLineRow)
            ]
            stocks = dict((await session.execute(select(ProductRow.id, ProductRow.stock))).all())
            totals = dict((await session.execute(select(OrderRow.id, OrderRow.total))).all())
    assert counts == [len(demo.products), len(demo.orders), sum(len(o.lines) for o in demo.orders)]
    assert stocks == {p.id: p.stock for p in demo.products}
    assert totals == {o.id: o.total for o in demo.orders}


async def test_products_of_one_order_share_a_currency(backend: str, tmp_path: Path) -> None:
    usd = extra_product(currency="USD")
    eur = world().products[0]
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            async with direct_session(url) as session:
                session.add(usd)
            body = await subgraph.execute(PLACE, place_variables([(eur.id, 1), (usd.id, 1)]))
            assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
            body = await subgraph.execute(PLACE, place_variables([(usd.id, 2)]))
            assert body["data"]["placeOrder"]["total"] == {"amount": 2000, "currency": "USD"}
            stocks = await subgraph.execute(STOCKS, {"a": eur.id, "b": usd.id})
            assert stocks["data"] == {"a": {"stock": eur.stock}, "b": {"stock": 8}}


async def test_retired_products_cannot_be_ordered(backend: str, tmp_path: Path) -> None:
    retired = extra_product(active=False)
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            async with direct_session(url) as session:
                session.add(retired)
            body = await subgraph.execute(PLACE, place_variables([(retired.id, 1)]))
            assert [e["extensions"] for e in body["errors"]] == [
                {"code": "BAD_USER_INPUT", "field": "lines", "productId": retired.id}
            ]


async def test_totals_beyond_minor_units_are_refused(backend: str, tmp_path: Path) -> None:
    pricey = extra_product(price=2**52)  # two of them pass 2**53 - 1
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            async with direct_session(url) as session:
                session.add(pricey)
            body = await subgraph.execute(PLACE, place_variables([(pricey.id, 2)]))
            assert [e["extensions"] for e in body["errors"]] == [
                {"code": "BAD_USER_INPUT", "field": "total"}
            ]
            stocks = await subgraph.execute(STOCKS, {"a": pricey.id, "b": pricey.id})
            assert stocks["data"]["a"] == {"stock": 10}  # nothing was reserved
