"""Property: random sequences of subscribe / change plan / cancel / clock advance / payment
failure bill exactly what the model owes, every period once, against real processes.

The stack: the sandbox bank, customers, invoices and subscriptions with a test clock
(``SUBSCRIPTIONS_CLOCK=manual:…``). Each example subscribes a new customer, applies its
steps (a billing cycle runs every simulated day at noon), then lets ten more days pass; the
subscription's invoices that are not void, as ``(periodStart, periodEnd, subtotal)``, must
be exactly the ones the model in ``billing_model`` expects: nothing billed twice, nothing
left unbilled, every credit and proration to the minor unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from subgraphs.common.db import create_engine
from subgraphs.common.migrate import upgrade
from tests.conftest import SubgraphPool
from tests.subgraphs.invoices.payments_stack import Payments, start_bank, start_invoices
from tests.support.databases import fresh_database
from tests.support.processes import ServiceProcess, free_port, start_service

from .billing_model import Model, Plan

pytestmark = pytest.mark.slow

START = datetime(2031, 1, 15, 12, 0, tzinfo=UTC)
PLANS = [
    Plan("pln_MODEL0000000000000000000001", "Basic", 1, 1000),
    Plan("pln_MODEL0000000000000000000002", "Plus", 1, 2500),
    Plan("pln_MODEL0000000000000000000003", "Annual", 12, 9900),
    Plan("pln_MODEL0000000000000000000004", "Trial", 1, 1500, trial_days=14),
]
SUBSCRIBE = """mutation($c: ID!, $p: ID!, $k: String!) {
  subscribe(input: {customerId: $c, planId: $p}, idempotencyKey: $k) { id status } }"""
CHANGE = "mutation($id: ID!, $p: ID!) { changePlan(id: $id, planId: $p) { id } }"
CANCEL = "mutation($id: ID!, $e: Boolean!) { cancelSubscription(id: $id, atPeriodEnd: $e) { id } }"
SET_CLOCK = "mutation($t: DateTime!) { setClock(to: $t) }"
CYCLE = "mutation($t: DateTime!) { runBillingCycle(asOf: $t) { errors } }"
DEFAULT_CARD = "mutation($id: ID!) { setDefaultPaymentMethod(id: $id) { id } }"
INVOICES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on BillingSubscription {
  invoices(first: 100) { nodes { status periodStart periodEnd subtotal { amount } } } } } }"""


@dataclass
class Billing:
    payments: Payments
    subscriptions: ServiceProcess
    now: list[datetime] = field(default_factory=lambda: [START])

    def admin(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = self.subscriptions.client.post(
            f"{self.subscriptions.url}/graphql",
            json={"query": query, "variables": variables},
        )
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body
        return body

    def next_day(self) -> datetime:
        self.now[0] += timedelta(days=1)
        moment = self.now[0].isoformat()
        self.admin(SET_CLOCK, {"t": moment})
        assert self.admin(CYCLE, {"t": moment})["data"]["runBillingCycle"]["errors"] == 0
        return self.now[0]


@pytest.fixture(scope="module")
def billing(subgraphs: SubgraphPool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Billing]:
    tmp = tmp_path_factory.mktemp(f"model-{subgraphs.backend}")
    with ExitStack() as exits:
        bank = start_bank(tmp, f"sqlite+aiosqlite:///{tmp / 'bank.db'}")
        exits.callback(bank.stop)
        customers = subgraphs["customers"]
        invoices_db = exits.enter_context(fresh_database(subgraphs.backend, "invoices", tmp))
        invoices = start_invoices(
            tmp, invoices_db, bank_url=bank.url, customers_url=f"{customers.url}/graphql"
        )
        exits.callback(invoices.stop)
        db = exits.enter_context(fresh_database(subgraphs.backend, "subscriptions", tmp))
        upgrade("subscriptions", db)
        _insert_plans(db)
        port = free_port()
        subscriptions = start_service(
            ["subgraph", "subscriptions", "--port", str(port), "--database-url", db],
            name="subscriptions", port=port, log_dir=tmp,
            env={
                "SUBSCRIPTIONS_CLOCK": f"manual:{START.isoformat()}",
                "SUBSCRIPTIONS_INVOICES_URL": f"{invoices.url}/graphql",
                "SUBSCRIPTIONS_CUSTOMERS_URL": f"{customers.url}/graphql",
                "SUBSCRIPTIONS_OUTBOX_ENABLED": "false",
            },
        )  # fmt: skip
        exits.callback(subscriptions.stop)
        yield Billing(Payments(bank, customers, invoices), subscriptions)


def _insert_plans(url: str) -> None:
    import asyncio

    async def insert() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                for p in PLANS:
                    await conn.execute(
                        text(
                            "INSERT INTO plans (id, code, name, interval, price, currency, "
                            "trial_days, active, created_at) VALUES (:id, :code, :name, "
                            ":interval, :price, 'EUR', :trial, :active, :at)"
                        ),
                        {"id": p.id, "code": p.name.lower(), "name": p.name,
                         "interval": "MONTH" if p.months == 1 else "YEAR", "price": p.price,
                         "trial": p.trial_days, "active": True, "at": START},
                    )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(insert())


Step = tuple[str, Any]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(1, 35)),
        st.tuples(st.just("change"), st.sampled_from(PLANS)),
        st.tuples(st.just("cancel"), st.booleans()),
        st.tuples(st.just("card"), st.booleans()),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.sampled_from(PLANS), declines_first=st.booleans(), steps=steps)
def test_what_is_invoiced_is_what_the_model_owes(
    billing: Billing, first: Plan, declines_first: bool, steps: list[Step]
) -> None:  # fmt: skip
    p = billing.payments
    customer, (good, bad) = p.customer("tok_visa", "tok_decline_insufficient_funds")
    declines = declines_first
    _card(billing, bad if declines else good)
    now = billing.now[0]
    created = billing.subscriptions.data(
        SUBSCRIBE, {"c": customer, "p": first.id, "k": uuid.uuid4().hex}
    )["subscribe"]
    model = Model.subscribe(first, now, declines=declines)
    assert created["status"] == model.status
    for kind, value in [*steps, ("advance", 10)]:
        if kind == "advance":
            for _ in range(value):
                model.cycle(billing.next_day(), declines=declines)
        elif kind == "card":
            declines = value
            _card(billing, bad if declines else good)
        elif kind == "change":
            body = billing.subscriptions.execute(CHANGE, {"id": created["id"], "p": value.id})
            assert (not body.get("errors")) == model.change(
                value, billing.now[0], declines=declines
            ), body
        else:
            body = billing.subscriptions.execute(CANCEL, {"id": created["id"], "e": value})
            assert (not body.get("errors")) == model.cancel(at_period_end=value), body
    assert _invoiced(billing, created["id"]) == model.invoices()


def _card(billing: Billing, payment_method: str) -> None:
    billing.payments.customers.data(DEFAULT_CARD, {"id": payment_method})


def _invoiced(billing: Billing, subscription_id: str) -> list[tuple[date, date, int]]:
    rep = [{"__typename": "BillingSubscription", "id": subscription_id}]
    found = billing.payments.invoices.data(INVOICES, {"r": rep})["_entities"][0]
    return sorted(
        (date.fromisoformat(i["periodStart"]), date.fromisoformat(i["periodEnd"]),
         i["subtotal"]["amount"])
        for i in found["invoices"]["nodes"]
        if i["status"] != "VOID"
    )  # fmt: skip
