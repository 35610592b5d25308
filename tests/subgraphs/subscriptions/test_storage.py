"""Against the database directly: the demo seed, and plans that are no longer offered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.db import create_engine, session_factory
from subgraphs.common.demo import world
from subgraphs.common.ids import new_id
from subgraphs.common.migrate import upgrade
from subgraphs.common.serve import seed_database
from subgraphs.subscriptions.models import PlanRow, SubscriptionRow
from subgraphs.subscriptions.seed import seed
from tests.support.databases import fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph

from .support import SUBSCRIBE, new_customer_id, subscribe_variables


@dataclass
class Served:
    subgraph: InProcessSubgraph
    url: str


@pytest_asyncio.fixture(scope="module")
async def served(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    with fresh_database(backend, "subscriptions", tmp_path_factory.mktemp("storage")) as url:
        async with in_process_subgraph("subscriptions", url) as subgraph:
            yield Served(subgraph, url)


async def _in_session(url: str, rows: list[object]) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            session.add_all(rows)
    finally:
        await engine.dispose()


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _retired_plan() -> PlanRow:
    return PlanRow(
        id=new_id("pln"),
        code=f"retired-{uuid.uuid4().hex[:8]}",
        name="Retired",
        interval="MONTH",
        price=900,
        currency="EUR",
        trial_days=0,
        active=False,
        created_at=datetime.now(UTC),
    )


async def test_seed_stores_exactly_the_demo_world_once(served: Served) -> None:
    engine = create_engine(served.url)
    try:
        async with session_factory(engine)() as session:
            plan_ids = set((await session.scalars(select(PlanRow.id))).all())
            subscription_ids = set((await session.scalars(select(SubscriptionRow.id))).all())
    finally:
        await engine.dispose()
    assert {p.id for p in world().plans} <= plan_ids
    assert {s.id for s in world().subscriptions} <= subscription_ids
    assert await seed_database(served.url, seed) is False  # tables have rows: nothing added


async def test_seed_fills_an_empty_database_with_the_world_ids(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with fresh_database(backend, "subscriptions", tmp_path_factory.mktemp("seed")) as url:
        await asyncio.to_thread(upgrade, "subscriptions", url)
        assert await seed_database(url, seed) is True
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                plans = set((await session.scalars(select(PlanRow.id))).all())
                subscriptions = set((await session.scalars(select(SubscriptionRow.id))).all())
                assert await _count(session, SubscriptionRow) == len(world().subscriptions)
        finally:
            await engine.dispose()
        assert plans == {p.id for p in world().plans}
        assert subscriptions == {s.id for s in world().subscriptions}
        assert await seed_database(url, seed) is False


async def test_inactive_plan_is_listed_only_on_request(served: Served) -> None:
    retired = _retired_plan()
    await _in_session(served.url, [retired])
    active = await served.subgraph.execute("{ plans { id } }")
    everything = await served.subgraph.execute("{ plans(activeOnly: false) { id active } }")
    assert retired.id not in {p["id"] for p in active["data"]["plans"]}
    assert {"id": retired.id, "active": False} in everything["data"]["plans"]


async def test_inactive_plan_cannot_be_chosen(served: Served) -> None:
    retired = _retired_plan()
    await _in_session(served.url, [retired])
    variables = subscribe_variables(new_customer_id(), "enterprise-monthly")
    current = await served.subgraph.execute(SUBSCRIBE, variables)
    subscription_id = current["data"]["subscribe"]["id"]

    variables = subscribe_variables(new_customer_id(), "enterprise-monthly")
    variables["input"]["planId"] = retired.id
    refused = await served.subgraph.execute(SUBSCRIBE, variables)
    changed = await served.subgraph.execute(
        "mutation($id: ID!, $plan: ID!) { changePlan(id: $id, planId: $plan) { id } }",
        {"id": subscription_id, "plan": retired.id},
    )
    for body in (refused, changed):
        assert [e["extensions"] for e in body["errors"]] == [
            {"code": "BAD_USER_INPUT", "field": "planId"}
        ]
