"""Crashes at the worst moment of a payment: nothing lost, nothing charged twice.

The invoices service is SIGKILLed right after the bank captured (or refunded) and before
it wrote the answer (test hook ``INVOICES_TEST_CRASH_POINT``); the bank is SIGKILLed right
after it committed a charge and before it answered (``BANK_TEST_EXIT_AFTER_COMMIT``). After
a restart, reconciliation (or a retry with the same key) must end with exactly one capture,
the invoice PAID and one receipt.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SubgraphPool
from tests.subgraphs.invoices.payments_stack import (
    PAY,
    REFUND,
    Payments,
    outbox,
    start_bank,
    start_invoices,
)
from tests.support.databases import fresh_database
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.slow


def eventually(check: Callable[[], bool], what: str, deadline: float = 60) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` if it never does."""
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.2)


def killed(process: ServiceProcess) -> bool:
    return process.process.wait(timeout=30) == -signal.SIGKILL


class Restartable:
    """Start (and restart) one service on a fixed port and database."""

    def __init__(self, exits: ExitStack, start: Callable[..., ServiceProcess]) -> None:
        self._exits = exits
        self._start = start
        self.port = free_port()

    def __call__(self, **kwargs: Any) -> ServiceProcess:
        process = self._start(port=self.port, **kwargs)
        self._exits.callback(process.stop)
        return process


@dataclass
class CrashEnv:
    """A bank and an invoices service, each on a fixed port and database, to kill at will."""

    bank: Restartable
    invoices: Restartable
    customers: ServiceProcess
    invoices_db: str


@pytest.fixture
def crash_env(subgraphs: SubgraphPool, tmp_path: Path) -> Iterator[CrashEnv]:
    with ExitStack() as exits:
        bank_db = f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}"
        bank = Restartable(exits, lambda **kw: start_bank(tmp_path, bank_db, **kw))
        invoices_db = exits.enter_context(fresh_database(subgraphs.backend, "invoices", tmp_path))
        customers = subgraphs["customers"]
        invoices = Restartable(
            exits,
            lambda **kw: start_invoices(
                tmp_path,
                invoices_db,
                bank_url=f"http://127.0.0.1:{bank.port}",
                customers_url=f"{customers.url}/graphql",
                **kw,
            ),
        )
        yield CrashEnv(bank, invoices, customers, invoices_db)


def _post(process: ServiceProcess, query: str, variables: dict[str, Any]) -> None:
    """A request that kills the service: the connection drops without an answer."""
    with pytest.raises(httpx.HTTPError):
        process.client.post(f"{process.url}/graphql", json={"query": query, "variables": variables})


async def test_invoices_killed_after_the_bank_captured_or_refunded(crash_env: CrashEnv) -> None:
    env = crash_env
    doomed = env.invoices(env={"INVOICES_TEST_CRASH_POINT": "after_bank_charge"})
    p = Payments(env.bank(), env.customers, doomed)
    customer, _ = p.customer("tok_visa_ok")
    invoice = p.issue(customer)
    pay_key = p.key("pay")
    _post(p.invoices, PAY, {"invoice": invoice["id"], "key": pay_key})
    assert killed(p.invoices)
    assert [c["status"] for c in p.bank_charges(invoice["id"])] == ["succeeded"]

    # The restarted service reconciles the PENDING payment at startup; it dies on a refund.
    p.invoices = env.invoices(env={"INVOICES_TEST_CRASH_POINT": "after_bank_refund"})
    eventually(lambda: p.invoice(invoice["id"])["status"] == "PAID", "invoice reconciled to PAID")
    [payment] = p.invoice(invoice["id"])["payments"]
    assert payment["status"] == "SUCCEEDED"
    assert [(a["operation"], a["outcome"]) for a in payment["attempts"]] == [
        ("CHARGE", "OK"),
        ("LOOKUP", "OK"),
    ]
    replay = p.pay(invoice["id"], pay_key)
    assert replay["__typename"] == "PaymentSucceeded"
    assert replay["payment"]["id"] == payment["id"]
    assert len(p.bank_charges(invoice["id"])) == 1

    refund_key = p.key("refund")
    _post(p.invoices, REFUND, {"payment": payment["id"], "key": refund_key})
    assert killed(p.invoices)
    assert len(p.bank_refunds(payment["bankReference"])) == 1

    p.invoices = env.invoices()
    eventually(lambda: p.invoice(invoice["id"])["status"] == "REFUNDED", "refund reconciled")
    again = p.refund(payment["id"], refund_key)
    assert again["__typename"] == "RefundSucceeded"
    assert again["payment"]["amountRefunded"]["amount"] == invoice["total"]["amount"]
    assert [r["amount"] for r in p.bank_refunds(payment["bankReference"])] == [
        invoice["total"]["amount"]
    ]
    keys = [key for key, _to, _subject in await outbox(env.invoices_db)]
    assert keys.count(f"invoices:receipt:{payment['id']}") == 1
    assert keys.count(f"invoices:refund:{again['refund']['id']}") == 1


def test_bank_killed_after_capturing_and_a_bank_that_is_down(crash_env: CrashEnv) -> None:
    env = crash_env
    bank = env.bank
    p = Payments(bank(env={"BANK_TEST_EXIT_AFTER_COMMIT": "1"}), env.customers, env.invoices())
    customer, _ = p.customer("tok_visa_ok")
    first, second = p.issue(customer), p.issue(customer)
    key = p.key("pay")
    pending = p.pay(first["id"], key)
    assert pending["__typename"] == "PaymentPending", pending
    assert {a["outcome"] for a in pending["payment"]["attempts"]} == {"NETWORK_ERROR"}
    assert killed(p.bank)

    p.bank = bank()
    assert [c["status"] for c in p.bank_charges(first["id"])] == ["succeeded"]  # money moved
    assert p.reconcile() == {"payments": 1, "refunds": 0, "still_pending": 0}
    replay = p.pay(first["id"], key)
    assert replay["__typename"] == "PaymentSucceeded"
    assert replay["invoice"]["status"] == "PAID"
    assert len(p.bank_charges(first["id"])) == 1

    p.bank.stop()  # the bank is down: the payment waits, a retry with its key completes it
    key = p.key("pay-later")
    assert p.pay(second["id"], key)["__typename"] == "PaymentPending"
    assert p.reconcile()["still_pending"] == 1
    p.bank = bank()
    done = p.pay(second["id"], key)
    assert done["__typename"] == "PaymentSucceeded"
    assert len(p.bank_charges(second["id"])) == 1
