"""Two processes of every subgraph with background work, on PostgreSQL, under load.

invoices, orders and subscriptions run twice each on one database per service (customers,
without background work, once), every process running its outbox sender, invoices' order
event and webhook dispatchers, and subscriptions' billing scheduler. The load: orders
placed concurrently, each twice at once with one idempotency key on the two orders
processes (each charged at the bank); then the subscriptions clock moves two months ahead
in both processes while both schedulers and concurrent ``runBillingCycle`` calls bill the
due periods. Afterwards every period has one invoice and at most
one captured charge, and every e-mail (the SMTP sink's messages), webhook (a receiver here)
and order event (the orders processes' access log) arrived exactly once.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from subgraphs.common.db import create_engine
from subgraphs.common.demo import world
from subgraphs.common.mail import KEY_HEADER
from subgraphs.invoices.seed import demo_invoices
from tests.support.processes import ServiceProcess

from .payment_stack import PaymentStack, payment_stack

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# The subscriptions clock (manual, in both processes; the demo world is seeded as of its
# day), then two monthly periods later: ours and the demo's due periods are billed.
START, LATER = "2026-09-01T09:00:00Z", "2026-11-02T10:00:00Z"
ORDERS, SUBSCRIBERS = 12, 8
GOOD = "tok_visa_good"
PRODUCTS = world().products
MONTHLY = next(p.id for p in world().plans if p.code == "enterprise-monthly")  # no trial

CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) { id email } }"""
ADD_CARD = """mutation($customer: ID!, $input: PaymentMethodInput!) {
  addPaymentMethod(customerId: $customer, input: $input, makeDefault: true) { id } }"""
PLACE = """mutation($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status } }"""
SUBSCRIBE = """mutation($input: SubscribeInput!, $key: String!) {
  subscribe(input: $input, idempotencyKey: $key) { id status } }"""
SET_CLOCK = "mutation($to: DateTime!) { setClock(to: $to) }"
RUN = """mutation($asOf: DateTime!) { runBillingCycle(asOf: $asOf) { errors pending
  runs { subscriptionId periodStart outcome } } }"""
HOOK = """mutation($url: String!) {
  createWebhookEndpoint(url: $url, events: ["*"]) { endpoint { id } } }"""


class Receiver:
    """A merchant's webhook endpoint on loopback: takes every delivery, keeps its event id."""

    def __init__(self) -> None:
        self.event_ids: list[str] = []
        event_ids = self.event_ids

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                event_ids.append(self.headers["Switchboard-Event-Id"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def rows(url: str, sql: str) -> list[Any]:
    """The rows ``sql`` selects from the database at ``url``."""

    async def select() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(text(sql))).all())
        finally:
            await engine.dispose()

    return asyncio.run(select())


def count(url: str, sql: str) -> int:
    return int(rows(url, sql)[0][0])


@dataclass
class Load:
    stack: PaymentStack
    receiver: Receiver
    orders: list[tuple[dict[str, Any], dict[str, Any]]]  # the two answers to one key
    subscriptions: list[str]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaymentStack]:
    tmp: Path = tmp_path_factory.mktemp("scale-out")
    fast = {
        "INVOICES_WEBHOOKS_ALLOW_PRIVATE": "true",  # the receiver is on loopback
        "INVOICES_WEBHOOKS_POLL": "0.2",
        "SUBSCRIPTIONS_BILLING_INTERVAL_SECONDS": "0.2",  # the scheduler, in each process
    }
    # Small pools, as in production (connections = processes x pool): the suite shares one
    # PostgreSQL server (max_connections 100) with other modules running at the same time.
    pools = {"DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "2"}
    env = {
        name: {**{f"{name.upper()}_{k}": v for k, v in pools.items()},
               **(fast if name != "orders" else {})}
        for name in ("invoices", "orders", "subscriptions")
    }  # fmt: skip
    replicas = {"invoices": 2, "orders": 2, "subscriptions": 2}
    with payment_stack(
        tmp, "postgres", clock=f"manual:{START}", router=False, replicas=replicas, env=env
    ) as stack:
        yield stack


def customer(stack: PaymentStack, n: int) -> str:
    customers = stack.services["customers"]
    address = {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    email = f"load{n}.{uuid.uuid4().hex[:8]}@example.com"
    variables = {"input": {"email": email, "name": f"Load {n}", "address": address},
                 "key": uuid.uuid4().hex}  # fmt: skip
    customer_id: str = customers.data(CREATE_CUSTOMER, variables)["createCustomer"]["id"]
    card = {"token": GOOD, "brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2030}
    customers.data(ADD_CARD, {"customer": customer_id, "input": card})
    return customer_id


def place_twice(stack: PaymentStack, n: int, buyer: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One order placed with one key on both orders processes at once."""
    line = {"productId": PRODUCTS[n % 4].id, "quantity": 1}
    variables = {"input": {"customerId": buyer, "lines": [line]}, "key": uuid.uuid4().hex}
    first, second = stack.processes("orders")
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda p: p.data(PLACE, variables)["placeOrder"], (first, second)))
    return answers[0], answers[1]


def set_clocks(stack: PaymentStack, to: str) -> None:
    for process in stack.processes("subscriptions"):
        process.data(SET_CLOCK, {"to": to})


def run_cycle(process: ServiceProcess) -> dict[str, Any]:
    report: dict[str, Any] = process.data(RUN, {"asOf": LATER})["runBillingCycle"]
    return report


def drained(stack: PaymentStack) -> bool:
    """No billing run waits for its charge and every outbox row is delivered."""
    db = stack.databases
    undelivered = "SELECT count(*) FROM {} WHERE delivered_at IS NULL"
    return (
        count(db["subscriptions"], "SELECT count(*) FROM billing_runs WHERE status = 'PENDING'")
        == 0
        and all(count(db[name], undelivered.format("outbox")) == 0
                for name in ("orders", "invoices", "subscriptions"))
        and count(db["invoices"], undelivered.format("order_events")) == 0
        and count(db["invoices"], undelivered.format("webhook_deliveries")) == 0
    )  # fmt: skip


@pytest.fixture(scope="module")
def load(stack: PaymentStack) -> Iterator[Load]:
    receiver = Receiver()
    try:
        stack.services["invoices"].data(HOOK, {"url": receiver.url})
        with ThreadPoolExecutor(8) as pool:
            buyers = list(pool.map(lambda n: customer(stack, n), range(ORDERS)))
            orders = list(pool.map(lambda n: place_twice(stack, n, buyers[n]), range(ORDERS)))
            subscribed = list(pool.map(
                lambda n: stack.services["subscriptions"].data(SUBSCRIBE, {
                    "input": {"customerId": buyers[n], "planId": MONTHLY},
                    "key": uuid.uuid4().hex,
                })["subscribe"]["id"],
                range(SUBSCRIBERS),
            ))  # fmt: skip
            set_clocks(stack, LATER)  # both schedulers start billing two periods each
            cycles = list(pool.map(run_cycle, stack.processes("subscriptions") * 2))
        assert all(c["errors"] == 0 for c in cycles), cycles
        deadline = time.monotonic() + 60  # a liveness bound for the background senders
        while not drained(stack):
            assert time.monotonic() < deadline, "the outboxes did not drain"
            time.sleep(0.2)
        yield Load(stack, receiver, orders, subscribed)
    finally:
        receiver.close()


def test_each_key_places_one_order_with_one_invoice_and_one_charge(load: Load) -> None:
    for first, second in load.orders:
        assert first["id"] == second["id"]  # one order, whichever process answered
        # the one that placed it paid it; the other may answer while that charge is under way
        assert "PAID" in (first["status"], second["status"]), (first, second)
    ids = {first["id"] for first, _ in load.orders}
    assert len(ids) == ORDERS
    placed = rows(load.stack.databases["orders"],
                  f"SELECT status FROM orders WHERE id IN ({quoted(ids)})")  # fmt: skip
    assert [status for (status,) in placed] == ["PAID"] * ORDERS
    invoices = rows(
        load.stack.databases["invoices"],
        f"SELECT id, order_id, status FROM invoices WHERE order_id IN ({quoted(ids)})",
    )
    assert sorted(order for _, order, _ in invoices) == sorted(ids)  # one invoice per order
    for invoice_id, _, status in invoices:
        assert status == "PAID"
        captured = [c for c in load.stack.charges(invoice_id) if c["status"] == "succeeded"]
        assert len(captured) == 1, invoice_id


def seeded(stack: PaymentStack) -> set[str]:
    """The demo world's invoices (their charges are the seeded bank's, not this run's)."""
    return {row.id for row in demo_invoices(world(stack.demo_day))}


def test_each_period_is_invoiced_once_and_charged_at_most_once(load: Load) -> None:
    demo = seeded(load.stack)
    invoices = [
        row for row in rows(
            load.stack.databases["invoices"],
            "SELECT id, subscription_id, period_start, status FROM invoices "
            "WHERE subscription_id IS NOT NULL",
        ) if row[0] not in demo
    ]  # fmt: skip
    periods = Counter((sub, start) for _, sub, start, _ in invoices)
    assert max(periods.values()) == 1
    ours = Counter(sub for _, sub, _, status in invoices
                   if sub in load.subscriptions and status == "PAID")  # fmt: skip
    assert ours == dict.fromkeys(load.subscriptions, 3)  # the first period and two more
    for invoice_id, sub, _, status in invoices:
        if sub in load.subscriptions or status == "PAID":
            captured = [c for c in load.stack.charges(invoice_id) if c["status"] == "succeeded"]
            assert len(captured) == (1 if status == "PAID" else 0), (invoice_id, status)


def test_every_e_mail_is_sent_once(load: Load) -> None:
    messages = load.stack.mail()
    keys = Counter(str(m[KEY_HEADER]) for m in messages)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    enqueued = sum(count(load.stack.databases[name], "SELECT count(*) FROM outbox")
                   for name in ("orders", "invoices", "subscriptions"))  # fmt: skip
    assert len(messages) == enqueued
    for first, _ in load.orders:
        assert keys[f"order-confirmed:{first['id']}"] == 1


def test_every_webhook_event_is_delivered_once(load: Load) -> None:
    received = Counter(load.receiver.event_ids)
    assert received
    assert max(received.values()) == 1
    deliveries = count(load.stack.databases["invoices"], "SELECT count(*) FROM webhook_deliveries")
    assert len(received) == deliveries
    paid = rows(load.stack.databases["invoices"], "SELECT id FROM invoices WHERE status = 'PAID'")
    assert len({id_ for (id_,) in paid} - seeded(load.stack)) >= ORDERS + 3 * SUBSCRIBERS


def test_every_order_event_is_delivered_once(load: Load) -> None:
    events = count(load.stack.databases["invoices"], "SELECT count(*) FROM order_events")
    assert events >= ORDERS  # one per order's captured charge, at least

    def delivered(process: ServiceProcess) -> int:
        lines = [json.loads(line) for line in process.log().splitlines() if line.startswith("{")]
        return sum(
            1 for line in lines
            if line.get("path") == "/internal/invoice-state" and line.get("status") == 200
        )  # fmt: skip

    processes = load.stack.processes("orders")
    # the access line follows the answer the dispatcher has already recorded
    deadline = time.monotonic() + 30
    while sum(map(delivered, processes)) < events and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sum(map(delivered, processes)) == events


def quoted(ids: set[str]) -> str:
    return ", ".join(f"'{i}'" for i in sorted(ids))
