"""Recurring billing end to end: a month of daily billing cycles over real services.

Customers, invoices, subscriptions (twice, on one database), the sandbox bank and the SMTP
sink run as processes. The subscriptions clock is fixed at 2026-11-25 09:00 UTC, so every
subscription made here starts then, and one without a trial is billed for its first period
at once; ``runBillingCycle`` is then called for each day from 11-26 to 01-02 at 10:00,
alternating between the two subscriptions processes, and every invoice, bank charge,
subscription status and e-mail is checked. Every process seeds the demo data as of that
day, so the demo's past-due subscriptions are retried on their dunning schedule too.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from subgraphs.common.demo import world
from subgraphs.common.mail import KEY_HEADER, format_money
from subgraphs.invoices.seed import demo_invoices
from subgraphs.invoices.tax import rate_for, tax_amount
from tests.support.databases import backends
from tests.support.processes import ServiceProcess

from .payment_stack import PaymentStack, payment_stack

pytestmark = pytest.mark.slow

CLOCK = "fixed:2026-11-25T09:00:00Z"
FIRST_DAY = datetime.fromisoformat("2026-11-26T10:00:00+00:00")
LAST_DAY = datetime.fromisoformat("2027-01-02T10:00:00+00:00")
GOOD, INSUFFICIENT, EXPIRED = (
    "tok_visa_good",
    "tok_decline_insufficient_funds",
    "tok_decline_expired",
)

CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) { id }
}"""
ADD_CARD = """
mutation($customer: ID!, $input: PaymentMethodInput!) {
  addPaymentMethod(customerId: $customer, input: $input, makeDefault: true) { id isDefault }
}"""
SUBSCRIBE = """
mutation($input: SubscribeInput!, $key: String!) {
  subscribe(input: $input, idempotencyKey: $key) {
    id status currentPeriodStart currentPeriodEnd trialEnd
  }
}"""
CANCEL_AT_END = "mutation($id: ID!) { cancelSubscription(id: $id, atPeriodEnd: true) { id } }"
RUN = """
mutation($asOf: DateTime!) {
  runBillingCycle(asOf: $asOf) {
    asOf paid declined canceled ended pending errors
    runs { subscriptionId outcome periodStart periodEnd invoiceId attempts nextAttemptAt message }
  }
}"""
SUBSCRIPTION = """
query($id: ID!) {
  subscription(id: $id) { status currentPeriodStart currentPeriodEnd canceledAt cancelAtPeriodEnd }
}"""
SUBSCRIPTION_INVOICES = """
query($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on BillingSubscription {
      invoices(first: 50) {
        nodes { id number status periodStart periodEnd total { amount currency } customer { id } }
      }
    }
  }
}"""


def plan_id(code: str) -> str:
    return next(p.id for p in world().plans if p.code == code)


def new_customer(stack: PaymentStack, name: str, token: str) -> tuple[str, str]:
    """A customer with one default card; returns (id, e-mail)."""
    customers = stack.services["customers"]
    email = f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com"
    address = {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    created = customers.data(
        CREATE_CUSTOMER,
        {"input": {"email": email, "name": name, "address": address}, "key": uuid.uuid4().hex},
    )
    customer_id: str = created["createCustomer"]["id"]
    add_card(customers, customer_id, token)
    return customer_id, email


def add_card(customers: ServiceProcess, customer_id: str, token: str) -> None:
    card = {"token": token, "brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2030}
    customers.data(ADD_CARD, {"customer": customer_id, "input": card})


def subscribe(stack: PaymentStack, customer_id: str, plan_code: str) -> dict[str, Any]:
    variables = {
        "input": {"customerId": customer_id, "planId": plan_id(plan_code)},
        "key": uuid.uuid4().hex,
    }
    created: dict[str, Any] = stack.services["subscriptions"].data(SUBSCRIBE, variables)
    return created["subscribe"]


def run_cycle(stack: PaymentStack, service: ServiceProcess, as_of: datetime) -> dict[str, Any]:
    body = stack.admin(RUN, {"asOf": as_of.isoformat()}, service)
    assert not body.get("errors"), body
    report: dict[str, Any] = body["data"]["runBillingCycle"]
    return report


def state(stack: PaymentStack, subscription_id: str) -> dict[str, Any]:
    """The subscription (subscriptions service) with its invoices (invoices service)."""
    found: dict[str, Any] = stack.services["subscriptions"].data(
        SUBSCRIPTION, {"id": subscription_id}
    )["subscription"]
    representation = {"__typename": "BillingSubscription", "id": subscription_id}
    entity = stack.services["invoices"].data(SUBSCRIPTION_INVOICES, {"r": [representation]})
    found["invoices"] = entity["_entities"][0]["invoices"]
    return found


def our_mail(messages: list[EmailMessage], to: str) -> list[str]:
    """The keys of the billing e-mails sent to ``to``, in order (other services' aside)."""
    return [
        str(m[KEY_HEADER]).split(":")[0]
        for m in messages
        if m["To"] == to and str(m[KEY_HEADER]).startswith("subscription-")
    ]


@pytest.fixture(scope="module", params=backends())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PaymentStack]:
    tmp: Path = tmp_path_factory.mktemp(f"billing-{request.param}")
    with payment_stack(
        tmp, request.param, clock=CLOCK, subscriptions_processes=2, router=False
    ) as stack:
        yield stack


@dataclass
class Month:
    """Who subscribed to what, and what each day's cycle did with their subscriptions."""

    subs: dict[str, dict[str, Any]]
    customers: dict[str, tuple[str, str]]
    outcomes: dict[str, list[tuple[str, str]]]
    # The demo's past-due subscriptions: what each cycle did with them, as reported.
    seeded: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def month(stack: PaymentStack) -> Month:
    """Subscribe six customers, then run one billing cycle a day from 11-26 to 01-02."""
    people = {
        "ada": ("Ada", GOOD, "enterprise-monthly"),  # paid at the end of her period
        "bruno": ("Bruno", GOOD, "starter-monthly"),  # trial ends into a charge
        "chiara": ("Chiara", INSUFFICIENT, "enterprise-monthly"),  # dunning, then canceled
        "dmitri": ("Dmitri", EXPIRED, "pro-monthly"),  # trial, declines, then a new card
        "elif": ("Elif", GOOD, "enterprise-monthly"),  # cancels at period end
        "farid": ("Farid", GOOD, "pro-yearly"),  # yearly: nothing due this month
    }
    customers = {key: new_customer(stack, name, token) for key, (name, token, _) in people.items()}
    subs = {key: subscribe(stack, customers[key][0], plan) for key, (_, _, plan) in people.items()}
    stack.services["subscriptions"].data(CANCEL_AT_END, {"id": subs["elif"]["id"]})
    ours = {s["id"]: key for key, s in subs.items()}
    processes = [stack.services["subscriptions"], *stack.extra_subscriptions]
    outcomes: dict[str, list[tuple[str, str]]] = {key: [] for key in subs}
    past_due = [s.id for s in world(stack.demo_day).subscriptions if s.status == "PAST_DUE"]
    seeded: dict[str, list[dict[str, Any]]] = {sub_id: [] for sub_id in past_due}
    day, n = FIRST_DAY, 0
    while day <= LAST_DAY:
        if day.date() == date(2026, 12, 11):  # between two dunning retries
            add_card(stack.services["customers"], customers["dmitri"][0], GOOD)
        report = run_cycle(stack, processes[n % len(processes)], day)
        assert report["errors"] == report["pending"] == 0, report
        for run in report["runs"]:
            if run["subscriptionId"] in ours:
                outcomes[ours[run["subscriptionId"]]].append((str(day.date()), run["outcome"]))
            if run["subscriptionId"] in seeded:
                seeded[run["subscriptionId"]].append({**run, "day": str(day.date())})
        day, n = day + timedelta(days=1), n + 1
    return Month(subs, customers, outcomes, seeded)


def test_subscriptions_start_with_a_trial_or_a_paid_period(month: Month) -> None:
    ada, bruno = month.subs["ada"], month.subs["bruno"]
    assert (ada["status"], ada["currentPeriodStart"], ada["currentPeriodEnd"]) == (
        "ACTIVE", "2026-11-25", "2026-12-25",
    )  # fmt: skip
    assert (bruno["status"], bruno["trialEnd"]) == ("TRIALING", "2026-12-09")


def test_a_month_of_billing_with_trials_declines_dunning_and_cancellations(
    stack: PaymentStack, month: Month
) -> None:
    subs, outcomes = month.subs, month.outcomes
    assert outcomes == {
        "ada": [("2026-12-25", "PAID")],
        "bruno": [("2026-12-09", "PAID")],
        # Declined at subscription (11-25), retried 1, 3 and 7 days later, then canceled.
        "chiara": [
            ("2026-11-26", "DECLINED"),
            ("2026-11-28", "DECLINED"),
            ("2026-12-02", "CANCELED"),
        ],
        "dmitri": [("2026-12-09", "DECLINED"), ("2026-12-10", "DECLINED"), ("2026-12-12", "PAID")],
        "elif": [("2026-12-25", "ENDED")],
        "farid": [],
    }
    subscriptions = stack.services["subscriptions"]
    metrics = subscriptions.client.get(f"{subscriptions.url}/metrics").text
    for line in ('switchboard_billing_results_total{outcome="PAID"}',
                 'switchboard_billing_results_total{outcome="DECLINED"}',
                 'switchboard_billing_cycles_total{outcome="ok"}'):  # fmt: skip
        found = [row for row in metrics.splitlines() if row.startswith(line + " ")]
        assert found, metrics
        assert float(found[0].split()[-1]) >= 1

    # Statuses and periods.
    final = {name: state(stack, s["id"]) for name, s in subs.items()}
    ada = month.customers["ada"][0]
    periods = {
        name: (f["status"], f["currentPeriodStart"], f["currentPeriodEnd"])
        for name, f in final.items()
    }
    assert periods == {
        "ada": ("ACTIVE", "2026-12-25", "2027-01-25"),
        "bruno": ("ACTIVE", "2026-12-09", "2027-01-09"),
        "chiara": ("CANCELED", "2026-11-25", "2026-12-25"),
        "dmitri": ("ACTIVE", "2026-12-09", "2027-01-09"),
        "elif": ("CANCELED", "2026-11-25", "2026-12-25"),
        "farid": ("ACTIVE", "2026-11-25", "2027-11-25"),
    }
    assert final["chiara"]["canceledAt"].startswith("2026-12-02T10:00:00")
    assert final["elif"]["canceledAt"].startswith("2026-12-25T10:00:00")

    # Invoices: one per billed period (the first at subscription unless there was a trial),
    # paid unless dunning gave up.
    invoices = {name: f["invoices"]["nodes"] for name, f in final.items()}
    assert {name: [i["status"] for i in found] for name, found in invoices.items()} == {
        "ada": ["PAID", "PAID"], "bruno": ["PAID"], "chiara": ["OPEN"], "dmitri": ["PAID"],
        "elif": ["PAID"], "farid": ["PAID"],
    }  # fmt: skip
    enterprise = next(p for p in world().plans if p.code == "enterprise-monthly")
    first, ada_invoice = invoices["ada"]
    assert (first["periodStart"], first["periodEnd"]) == ("2026-11-25", "2026-12-25")
    assert (ada_invoice["periodStart"], ada_invoice["periodEnd"]) == ("2026-12-25", "2027-01-25")
    ada_total = enterprise.price + tax_amount(enterprise.price, rate_for("DE").basis_points)
    assert ada_invoice["total"] == {"amount": ada_total, "currency": "EUR"}
    assert ada_invoice["customer"] == {"id": ada}

    # Charges at the bank: one capture per paid period, one decline per failed attempt.
    charges = {
        name: [c["status"] for invoice in found for c in stack.charges(invoice["id"])]
        for name, found in invoices.items()
    }
    assert charges == {
        "ada": ["succeeded", "succeeded"],
        "bruno": ["succeeded"],
        "chiara": ["declined"] * 4,
        "dmitri": ["declined", "declined", "succeeded"],
        "elif": ["succeeded"],
        "farid": ["succeeded"],
    }
    assert stack.charges(ada_invoice["id"])[0]["amount"] == ada_invoice["total"]["amount"]

    # E-mails: one per paid period, failed charge, cancellation (receipts: invoices service).
    mails = {key: email for key, (_, email) in month.customers.items()}
    ada_mail = mails["ada"]
    expected = {
        ada_mail: ["subscription-paid"] * 2,
        mails["bruno"]: ["subscription-paid"],
        mails["chiara"]: ["subscription-declined"] * 3 + ["subscription-canceled"],
        mails["dmitri"]: ["subscription-declined"] * 2 + ["subscription-paid"],
        mails["elif"]: ["subscription-paid", "subscription-ended"],
        mails["farid"]: ["subscription-paid"],
    }
    messages = stack.wait_for_mail(
        lambda ms: all(len(our_mail(ms, to)) >= len(keys) for to, keys in expected.items())
    )
    assert {to: sorted(our_mail(messages, to)) for to in expected} == {
        to: sorted(keys) for to, keys in expected.items()
    }
    subjects = {m["Subject"] for m in messages if m["To"] == ada_mail and "paid" in m[KEY_HEADER]}
    assert subjects == {"Enterprise: paid until 2026-12-25", "Enterprise: paid until 2027-01-25"}
    notice = next(m for m in messages if m["Subject"] == "Enterprise: paid until 2027-01-25")
    assert f"charged {format_money(ada_total, 'EUR')}" in notice.get_content()  # VAT included
    receipts = stack.wait_for_mail(
        lambda ms: sum(m["To"] == ada_mail and "receipt" in m[KEY_HEADER] for m in ms) == 2
    )
    ada_receipts = [m for m in receipts if m["To"] == ada_mail and "receipt" in m[KEY_HEADER]]
    assert sorted(m["Subject"] for m in ada_receipts) == sorted(
        f"Receipt for invoice {i['number']}" for i in invoices["ada"]
    )


def test_seeded_past_due_subscriptions_are_retried_on_their_dunning_schedule(
    stack: PaymentStack, month: Month
) -> None:
    """Seeded as a live one would be: the first cycle past the next retry charges the seeded
    invoice again (no new one), its attempts counted; the bank has the declines before it.

    The invoices process runs at the system clock and subscriptions at 11-25: they seeded the
    same periods (the retry found its invoice under the period's key) because both were told
    one demo day (``SWITCHBOARD_DEMO_DATE``)."""
    demo = world(stack.demo_day)
    past_due = [s for s in demo.subscriptions if s.status == "PAST_DUE"]
    assert len(past_due) == 3
    for sub in past_due:
        assert sub.next_retry_at is not None
        retry_day = max(sub.next_retry_at, FIRST_DAY).date()
        if sub.next_retry_at.time() > FIRST_DAY.time():  # the cycles run at 10:00
            retry_day += timedelta(days=1)
        retried, *later = month.seeded[sub.id]
        assert (retried["day"], retried["outcome"], retried["invoiceId"]) == (
            str(retry_day), "PAID", sub.invoice_id,
        )  # fmt: skip
        assert retried["attempts"] == len(sub.declined_at)
        assert retried["periodStart"] == str(sub.current_period_start)
        # paid, it renews like any other: the next period when this one ends
        assert [(r["periodStart"], r["outcome"]) for r in later] == (
            [(str(sub.current_period_end), "PAID")]
            if sub.current_period_end <= LAST_DAY.date()
            else []
        )
        charges = [c["status"] for c in stack.charges(sub.invoice_id)]
        assert charges == ["declined"] * len(sub.declined_at) + ["succeeded"]
        invoices = state(stack, sub.id)["invoices"]["nodes"]
        assert [i["id"] for i in invoices if i["periodStart"] == str(sub.current_period_start)] == [
            sub.invoice_id
        ]
        assert state(stack, sub.id)["status"] == "ACTIVE"


def test_concurrent_cycles_in_two_processes_bill_each_period_once(
    stack: PaymentStack, month: Month
) -> None:
    """Two months later, four cycles at once (two per process) catch up period by period."""
    as_of = datetime.fromisoformat("2027-03-01T10:00:00+00:00")
    targets = [stack.services["subscriptions"], *stack.extra_subscriptions] * 2
    with ThreadPoolExecutor(len(targets)) as pool:
        reports = list(pool.map(lambda p: run_cycle(stack, p, as_of), targets))
    runs = [run for report in reports for run in report["runs"]]
    assert all(r["errors"] == r["pending"] == 0 for r in reports), reports
    billed = Counter((r["subscriptionId"], r["periodStart"]) for r in runs)
    assert billed
    assert max(billed.values()) == 1  # no period handled by two cycles
    paid = {
        key: sorted(r["periodStart"] for r in runs
                    if r["subscriptionId"] == month.subs[key]["id"] and r["outcome"] == "PAID")
        for key in ("ada", "bruno", "dmitri", "chiara", "elif", "farid")
    }  # fmt: skip
    assert paid == {
        "ada": ["2027-01-25", "2027-02-25"],
        "bruno": ["2027-01-09", "2027-02-09"],
        "dmitri": ["2027-01-09", "2027-02-09"],
        "chiara": [],
        "elif": [],
        "farid": [],
    }
    assert state(stack, month.subs["ada"]["id"])["currentPeriodEnd"] == "2027-03-25"
    again = run_cycle(stack, targets[0], as_of)  # nothing is left to do
    assert again["runs"] == []

    invoices = all_invoices(stack)
    periods = Counter((n["subscription"]["id"], n["periodStart"]) for n in invoices)
    assert max(periods.values()) == 1  # one invoice per period, the demo world's included
    demo = {s.id for s in world(stack.demo_day).subscriptions}
    assert [sub for (sub, _) in periods if sub in demo], "the demo subscriptions were billed"
    for invoice in invoices:
        captured = [c for c in stack.charges(invoice["id"]) if c["status"] == "succeeded"]
        assert len(captured) == (1 if invoice["status"] == "PAID" else 0), invoice


def all_invoices(stack: PaymentStack) -> list[dict[str, Any]]:
    """Every subscription invoice the invoices service issued in this run."""
    query = """query($after: String) { invoices(first: 100, after: $after) {
        nodes { id status periodStart subscription { id } }
        pageInfo { hasNextPage endCursor } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = stack.services["invoices"].data(query, {"after": after})["invoices"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # Seeded invoices were never charged through the bank (their payments are the demo's).
    seeded = {row.id for row in demo_invoices(world(stack.demo_day))}
    return [n for n in nodes if n["subscription"] and n["id"] not in seeded]
