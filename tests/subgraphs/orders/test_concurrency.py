"""Real concurrent requests against the running process: stock is never oversold."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from subgraphs.common.demo import world
from tests.support.processes import ServiceProcess

from .operations import PLACE, place, place_variables, stock

HUB, CASE = world().products[11], world().products[10]
RACERS = 10


async def race(orders: ServiceProcess, variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST every request at once, each on its own connection; the bodies in order."""
    limits = httpx.Limits(max_connections=len(variables))
    async with httpx.AsyncClient(
        base_url=orders.url, timeout=60.0, limits=limits, headers=orders.headers
    ) as client:
        responses = await asyncio.gather(
            *(client.post("/graphql", json={"query": PLACE, "variables": v}) for v in variables)
        )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return [r.json() for r in responses]


async def test_last_item_is_sold_exactly_once(orders: ServiceProcess) -> None:
    left = stock(orders, HUB.id)
    if left > 1:
        place(orders, [(HUB.id, left - 1)])
    assert stock(orders, HUB.id) == 1

    bodies = await race(orders, [place_variables([(HUB.id, 1)]) for _ in range(RACERS)])

    winners = [b for b in bodies if not b.get("errors")]
    losers = [b for b in bodies if b.get("errors")]
    assert len(winners) == 1, bodies
    assert winners[0]["data"]["placeOrder"]["lines"][0]["product"]["stock"] == 0
    assert [e["extensions"] for b in losers for e in b["errors"]] == [
        {"code": "OUT_OF_STOCK", "productId": HUB.id, "requested": 1}
    ] * (RACERS - 1)
    assert stock(orders, HUB.id) == 0


async def test_concurrent_retries_with_one_key_make_one_order(orders: ServiceProcess) -> None:
    before = stock(orders, CASE.id)
    variables = {**place_variables([(CASE.id, 1)]), "key": uuid.uuid4().hex}

    bodies = await race(orders, [variables] * RACERS)

    assert all(not b.get("errors") for b in bodies), bodies
    assert len({b["data"]["placeOrder"]["id"] for b in bodies}) == 1
    assert stock(orders, CASE.id) == before - 1
