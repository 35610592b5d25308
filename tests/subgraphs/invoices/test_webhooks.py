"""Webhooks: signed deliveries of money events, retried until taken, each event once; SSRF-safe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from subgraphs.common.errors import BadUserInput
from subgraphs.common.ids import new_id
from subgraphs.invoices.webhooks import check_url, sign, verify
from tests.conftest import SubgraphPool
from tests.subgraphs.invoices.payments_stack import Payments, start_bank, start_invoices
from tests.support.databases import fresh_database
from tests.support.identity import identity_headers

CREATE = """mutation($url: String!, $events: [String!]!) {
  createWebhookEndpoint(url: $url, events: $events) { secret endpoint { id url events } } }"""
ENDPOINTS = """{ webhookEndpoints { id deliveries { eventId eventType status
  attempts { number httpStatus error } } } }"""


class Receiver:
    """A merchant's endpoint on loopback: checks every signature, fails its first request."""

    def __init__(self) -> None:
        self.secret = ""
        self.got: list[tuple[bool, str, dict[str, Any]]] = []
        self.fail_first = True
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                valid = verify(receiver.secret, self.headers["Switchboard-Signature"], body)
                receiver.got.append((valid, self.headers["Switchboard-Event-Id"], json.loads(body)))
                failing, receiver.fail_first = receiver.fail_first, False
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def events(self, kind: str) -> list[tuple[bool, str, dict[str, Any]]]:
        return [g for g in self.got if g[2]["type"] == kind]


@pytest.fixture(scope="module")
def hooked(
    subgraphs: SubgraphPool, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Payments, Receiver]]:
    tmp = tmp_path_factory.mktemp(f"hooks-{subgraphs.backend}")
    receiver = Receiver()
    with ExitStack() as exits:
        exits.callback(receiver.server.server_close)
        exits.callback(receiver.server.shutdown)
        bank = start_bank(tmp, f"sqlite+aiosqlite:///{tmp / 'bank.db'}")
        exits.callback(bank.stop)
        customers = subgraphs["customers"]
        db = exits.enter_context(fresh_database(subgraphs.backend, "invoices", tmp))
        env = {
            "INVOICES_WEBHOOKS_ALLOW_PRIVATE": "true",  # the receiver is on loopback
            "INVOICES_WEBHOOKS_FIRST_RETRY": "0.3",
            "INVOICES_WEBHOOKS_POLL": "0.1",
        }
        invoices = start_invoices(
            tmp, db, bank_url=bank.url, customers_url=f"{customers.url}/graphql", env=env
        )
        exits.callback(invoices.stop)
        yield Payments(bank, customers, invoices), receiver


def admin(p: Payments, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = p.invoices.client.post(
        f"{p.invoices.url}/graphql",
        json={"query": query, "variables": variables or {}},
    )
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def eventually(check: Any) -> None:
    deadline = time.monotonic() + 30
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert check()


def test_money_events_are_signed_retried_and_sent_once(hooked: tuple[Payments, Receiver]) -> None:
    p, receiver = hooked
    billing = identity_headers("invoices", subject="staff-1", scopes=["billing:write"])
    variables = {"url": receiver.url, "events": ["*"]}
    assert p.invoices.error_codes(CREATE, variables, billing) == ["FORBIDDEN"]
    created = admin(p, CREATE, {"url": receiver.url, "events": ["*"]})["createWebhookEndpoint"]
    receiver.secret = created["secret"]
    assert created["endpoint"]["events"] == ["*"]

    customer, _ = p.customer("tok_visa")
    invoice = p.issue(customer)
    key = p.key("hooked")
    payment = p.pay(invoice["id"], key)["payment"]
    p.pay(invoice["id"], key)  # a replay settles nothing new: no second event
    eventually(lambda: len(receiver.events("invoice.paid")) == 2)  # 500, then the retry
    first, retry = receiver.events("invoice.paid")
    assert all(verified for verified, _, _ in (first, retry))  # both signatures verify
    assert first[1] == retry[1] == first[2]["id"]  # the same event, deduplicated by its id
    assert first[2]["data"]["invoiceId"] == invoice["id"]
    assert first[2]["data"]["amountPaid"] == invoice["total"]["amount"]

    p.refund(payment["id"], p.key("refund"), 100)
    declined_customer, _ = p.customer("tok_decline_insufficient_funds")
    p.pay(p.issue(declined_customer)["id"], p.key("declined"))
    eventually(lambda: receiver.events("refund.succeeded") and receiver.events("payment.failed"))
    assert receiver.events("refund.succeeded")[0][2]["data"]["amount"] == 100
    assert receiver.events("payment.failed")[0][2]["data"]["declineCode"] == "insufficient_funds"
    time.sleep(1)  # any duplicate would have arrived by now
    assert len(receiver.events("invoice.paid")) == 2

    [endpoint] = admin(p, ENDPOINTS)["webhookEndpoints"]
    paid = next(d for d in endpoint["deliveries"] if d["eventType"] == "invoice.paid")
    assert paid["status"] == "DELIVERED"
    assert [(a["number"], a["httpStatus"]) for a in paid["attempts"]] == [(1, 500), (2, 200)]


def test_a_subscriptions_first_failed_charge_makes_one_past_due_event(
    hooked: tuple[Payments, Receiver],
) -> None:
    p, _ = hooked
    receiver = Receiver()
    receiver.fail_first = False
    try:
        created = admin(p, CREATE, {"url": receiver.url, "events": ["subscription.past_due"]})
        receiver.secret = created["createWebhookEndpoint"]["secret"]
        customer, _ = p.customer("tok_decline_insufficient_funds")
        period = {"subscriptionId": new_id("sub"), "periodStart": "2027-01-01",
                  "periodEnd": "2027-02-01"}  # fmt: skip
        renewal = p.issue(customer, ("Pro, 2027-01-01 to 2027-02-01", 1, 4900), **period)
        p.pay(renewal["id"], p.key("renewal"))  # the period's charge: the subscription is past due
        p.pay(renewal["id"], p.key("dunning"))  # a dunning retry: payment.failed only
        p.pay(p.issue(customer)["id"], p.key("one-off"))  # no subscription: no past_due
        eventually(lambda: receiver.events("subscription.past_due"))
        time.sleep(1)  # any second event would have arrived by now
        [(verified, event_id, event)] = receiver.got
        assert verified
        assert event_id == event["id"]
        assert event["type"] == "subscription.past_due"
        assert event["data"]["subscriptionId"] == period["subscriptionId"]
        assert event["data"]["invoiceId"] == renewal["id"]
        assert (event["data"]["periodStart"], event["data"]["periodEnd"]) == (
            "2027-01-01", "2027-02-01",
        )  # fmt: skip
        assert event["data"]["amountDue"] == renewal["total"]["amount"]
        assert event["data"]["declineCode"] == "insufficient_funds"
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x", "file:///etc/passwd", "http://", "example.com/no-scheme",
        "http://127.0.0.1/x", "http://localhost:8080/x", "http://[::1]/x", "http://10.0.0.1/x",
        "http://192.168.1.20/x", "http://172.16.0.5/x", "http://169.254.169.254/latest",
        "http://0.0.0.0/x", "http://224.0.0.1/x", "http://user:pw@93.184.216.34/x",
        "http://" + "a" * 3000 + ".com/",
    ],
)  # fmt: skip
def test_webhook_urls_that_could_reach_inside_are_refused(url: str) -> None:
    with pytest.raises(BadUserInput):
        check_url(url, allow_private=False)


def test_public_and_dev_urls_are_accepted_and_signatures_check() -> None:
    assert check_url("https://93.184.216.34/hooks", allow_private=False)
    assert check_url("http://127.0.0.1:9/hooks", allow_private=True)  # dev mode only
    header = sign("whsec_x", int(time.time()), b"{}")
    assert verify("whsec_x", header, b"{}")
    assert not verify("whsec_y", header, b"{}")
    assert not verify("whsec_x", header, b"{ }")
    assert not verify("whsec_x", sign("whsec_x", int(time.time()) - 3600, b"{}"), b"{}")
