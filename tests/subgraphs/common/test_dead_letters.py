"""An outbox row that keeps failing is a dead letter: listed for admins, counted on /metrics."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from subgraphs.common.db import RequestDb, create_engine, session_factory
from subgraphs.common.outbox import enqueue_email
from tests.conftest import SubgraphPool
from tests.support.databases import fresh_database
from tests.support.identity import identity_headers
from tests.support.processes import start_subgraph

QUERY = "{ ordersDeadLetters { outbox key attempts rejected lastError createdAt } }"


def _enqueue(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        db = RequestDb(session_factory(engine))
        try:
            async with db.transaction() as session:
                await enqueue_email(
                    session, to="ada@example.com", subject="Hello", text="Hi", key="test:dead:1"
                )
        finally:
            await db.close()
            await engine.dispose()

    asyncio.run(run())


def test_a_message_the_smtp_server_never_takes_is_a_dead_letter(
    subgraphs: SubgraphPool, tmp_path: Path
) -> None:
    with fresh_database(subgraphs.backend, "orders", tmp_path) as url:
        orders = start_subgraph(
            "orders", url, tmp_path,
            env={"ORDERS_OUTBOX_MAX_ATTEMPTS": "1", "ORDERS_OUTBOX_POLL_SECONDS": "0.2"},
        )  # fmt: skip
        try:
            _enqueue(url)  # SMTP points at a closed port: the first attempt fails, and the last
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                metrics = orders.client.get(f"{orders.url}/metrics").text
                if 'switchboard_outbox_dead_letters{service="orders",outbox="emails"} 1' in metrics:
                    break
                time.sleep(0.2)
            assert 'outbox_dead_letters{service="orders",outbox="emails"} 1' in metrics, metrics
            assert 'outbox_pending{service="orders",outbox="emails"} 0' in metrics, metrics
            support = identity_headers("orders", scopes=["support:read"])
            refused = orders.client.post(
                f"{orders.url}/graphql", json={"query": QUERY}, headers=support
            ).json()
            assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
            body = orders.execute(QUERY)  # the process client's identity: admin
            [letter] = body["data"]["ordersDeadLetters"]
            assert (letter["outbox"], letter["key"], letter["attempts"]) == (
                "emails",
                "test:dead:1",
                1,
            )
            assert letter["rejected"] is False
            assert letter["lastError"]
            assert datetime.fromisoformat(letter["createdAt"]) <= datetime.now(UTC)
        finally:
            orders.stop()
