"""runBillingCycle in one subscriptions app: the billing:write guard, bad input, outages, the clock.

The full flow with invoices, bank and e-mail is in tests/e2e/test_billing.py; here the peers
are down (their URLs point at a closed port), so every run must end as a retryable ERROR.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from subgraphs.common.clock import Clock, parse_clock
from subgraphs.common.db import create_engine, session_factory
from subgraphs.common.serve import prepare_database
from subgraphs.common.settings import SubgraphSettings
from subgraphs.registry import service
from subgraphs.subscriptions.models import BillingRunRow
from subgraphs.subscriptions.periods import next_period
from tests.support.databases import fresh_database
from tests.support.identity import identity_headers
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph
from tests.support.processes import free_port

RUN = """
mutation($asOf: DateTime!) {
  runBillingCycle(asOf: $asOf) {
    asOf paid declined errors runs { subscriptionId outcome periodStart message }
  }
}"""
BILLING = ["billing:write"]
# The demo data is seeded relative to today and its monthly periods end within a month, so a
# cycle this far ahead finds every demo period over.
A_MONTH_ON = timedelta(days=32)


def a_month_on() -> str:
    return (datetime.now(UTC) + A_MONTH_ON).isoformat()


@pytest.fixture
async def app(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[InProcessSubgraph, str]]:
    closed = f"http://127.0.0.1:{free_port()}/graphql"
    monkeypatch.setenv("SUBSCRIPTIONS_INVOICES_URL", closed)
    monkeypatch.setenv("SUBSCRIPTIONS_CUSTOMERS_URL", closed)
    monkeypatch.setenv("SUBSCRIPTIONS_OUTBOX_ENABLED", "false")
    with fresh_database(backend, "subscriptions", tmp_path) as url:
        async with in_process_subgraph("subscriptions", url) as subgraph:
            yield subgraph, url


async def run(subgraph: InProcessSubgraph, as_of: str, scopes: list[str] | None = BILLING) -> Any:
    headers = identity_headers("subscriptions", subject="staff-1", scopes=scopes or [])
    response = await subgraph.client.post(
        "/graphql", json={"query": RUN, "variables": {"asOf": as_of}}, headers=headers
    )
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("scopes", [None, ["customer"], ["support:read", "support:write"]])
async def test_without_billing_write_the_cycle_is_forbidden(
    app: tuple[InProcessSubgraph, str], scopes: list[str] | None
) -> None:
    body = await run(app[0], "2026-12-02T00:00:00Z", scopes)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert "billing:write" in body["errors"][0]["message"]


async def test_a_bad_as_of_is_bad_user_input(app: tuple[InProcessSubgraph, str]) -> None:
    body = await run(app[0], "next tuesday")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_with_the_peers_down_every_due_run_is_an_error_retried_later(
    app: tuple[InProcessSubgraph, str],
) -> None:
    subgraph, url = app
    as_of = a_month_on()
    first = (await run(subgraph, as_of))["data"]["runBillingCycle"]
    assert first["paid"] == first["declined"] == 0
    assert first["errors"] == len(first["runs"]) > 0  # the demo's monthly periods are over
    assert all("did not complete" in r["message"] for r in first["runs"])
    again = (await run(subgraph, as_of))["data"]["runBillingCycle"]
    billed = {r["subscriptionId"] for r in first["runs"] if r["outcome"] == "ERROR"}
    assert {r["subscriptionId"] for r in again["runs"]} == billed  # released, tried again
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            runs = await session.scalar(
                select(func.count()).where(BillingRunRow.status.in_(("PENDING", "RETRYING")))
            )
            leased = await session.scalar(
                select(func.count()).where(BillingRunRow.lease_owner.is_not(None))
            )
    finally:
        await engine.dispose()
    # One open run per due period however often the cycle ran (the seeded past-due periods'
    # are retries; subscriptions that end with their period have none: ending them waits for
    # the customers service; the seeded paid periods' runs are PAID); none left leased.
    assert (runs, leased) == (sum(1 for r in first["runs"] if r["periodStart"]), 0)


def test_clock_specs() -> None:
    assert parse_clock("system").fixed is None
    fixed = parse_clock("fixed:2027-01-01T00:00:00Z")
    assert fixed.now() == datetime(2027, 1, 1, tzinfo=UTC)
    ahead = parse_clock("offset:86400").now() - datetime.now(UTC)
    assert timedelta(hours=23) < ahead <= timedelta(days=1)
    assert Clock().now().tzinfo is not None
    for bad in ("", "fixed:", "fixed:yesterday", "offset:soon", "sundial", "system:1"):
        with pytest.raises(ValueError, match="invalid clock"):
            parse_clock(bad)


@pytest.mark.parametrize(
    ("end", "interval", "anchor", "expected"),
    [
        (date(2026, 12, 1), "MONTH", None, (date(2026, 12, 1), date(2027, 1, 1))),
        # Counted from the anchor: a subscription started on the 31st keeps its day.
        (date(2027, 2, 28), "MONTH", date(2027, 1, 31), (date(2027, 2, 28), date(2027, 3, 31))),
        (date(2027, 4, 30), "MONTH", date(2027, 1, 31), (date(2027, 4, 30), date(2027, 5, 31))),
        (date(2027, 3, 1), "YEAR", date(2026, 3, 1), (date(2027, 3, 1), date(2028, 3, 1))),
        # A trial's end is the anchor of the paid periods after it.
        (date(2026, 12, 9), "MONTH", date(2026, 12, 9), (date(2026, 12, 9), date(2027, 1, 9))),
    ],
)
def test_next_period(
    end: date, interval: str, anchor: date | None, expected: tuple[date, date]
) -> None:
    period = next_period(end, interval, anchor)
    assert (period.start, period.end) == expected


class _HealthyButFailing(BaseHTTPRequestHandler):
    """A peer that is ready (GET /health) but fails every call (POST): the scheduler starts,
    and its runs stay open for the next cycle."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


async def test_the_scheduler_runs_cycles_on_its_own_at_the_clock_time(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = ThreadingHTTPServer(("127.0.0.1", 0), _HealthyButFailing)
    threading.Thread(target=peer.serve_forever, daemon=True).start()
    try:
        await _scheduler_opens_runs(backend, tmp_path, monkeypatch, peer.server_address[1])
    finally:
        peer.shutdown()
        peer.server_close()


async def _scheduler_opens_runs(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int
) -> None:
    failing = f"http://127.0.0.1:{port}/graphql"
    monkeypatch.setenv("SUBSCRIPTIONS_INVOICES_URL", failing)
    monkeypatch.setenv("SUBSCRIPTIONS_CUSTOMERS_URL", failing)
    monkeypatch.setenv("SUBSCRIPTIONS_OUTBOX_ENABLED", "false")
    monkeypatch.setenv("SUBSCRIPTIONS_BILLING_INTERVAL_SECONDS", "0.1")
    with fresh_database(backend, "subscriptions", tmp_path) as url:
        # Seeded as of today (the demo follows the clock it is seeded at), then billed by a
        # clock a month ahead, when the demo's monthly periods are over.
        settings = SubgraphSettings.for_service("subscriptions", database_url=url)
        await asyncio.to_thread(prepare_database, settings, service("subscriptions").seed)
        monkeypatch.setenv("SUBSCRIPTIONS_CLOCK", f"offset:{A_MONTH_ON.total_seconds():.0f}")
        async with in_process_subgraph("subscriptions", url):
            engine = create_engine(url)
            try:
                runs = 0
                for _ in range(300):  # up to ~30 s on a loaded machine
                    async with session_factory(engine)() as session:
                        runs = await session.scalar(select(func.count(BillingRunRow.id))) or 0
                    if runs:
                        break
                    await asyncio.sleep(0.1)
            finally:
                await engine.dispose()
    assert runs > 0  # the demo periods that were over were opened without any request
