"""Who may run what (#14): the table of identities and operations of docs/security.md as test data.

The table is read from the document, so the two cannot disagree; every query and mutation
root field of the composed API has a row there and a document here. Each cell is one of

- ``✓``: allowed, with data (the record it acts on, or what it asked for);
- ``∅``: allowed, but the record is not the caller's: ``null``, or a list without its rows;
- ``U``: removed by the router, ``null`` with ``UNAUTHORIZED_FIELD_OR_TYPE`` at its path;
- ``F``: refused by the subgraph, ``null`` with ``FORBIDDEN`` at its path.

Records are made fresh, as admin through the router, for every mutation case: customer A
(the owner), its card, an open invoice, a paid payment, an order, a subscription.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from subgraphs.common.demo import world
from tests.support.identity import bearer, customer_bearer
from tests.support.processes import ROOT

DOC = ROOT / "docs" / "security.md"
TABLE_HEADING = "## Who may run what"
IDENTITIES = (
    "anonymous",
    "customer A",
    "customer B",
    "support:read",
    "support:read+write",
    "billing:write",
    "refunds:write",
    "admin",
)
OUTCOMES = frozenset({"✓", "∅", "U", "F"})
STAFF_SCOPES = {
    "support:read": ["support:read"],
    "support:read+write": ["support:read", "support:write"],
    "billing:write": ["billing:write"],
    "refunds:write": ["refunds:write"],
    "admin": ["admin"],
}
ROOT_FIELDS_PER_REQUEST = 20  # the router's default max_root_fields
PRODUCT = world().products[0].id
# A customer has one live subscription per plan: the records of one customer A subscribe to
# PLAN (cancelSubscription), CHANGED_FROM (changePlan, to CHANGED_TO) and NEW_PLAN (subscribe).
PLAN, CHANGED_FROM, CHANGED_TO, NEW_PLAN = (world().plans[i].id for i in (0, 3, 1, 4))


def expected_table() -> dict[str, dict[str, str]]:
    """``{root field: {identity: outcome}}`` from the table under ``TABLE_HEADING``."""
    text = DOC.read_text()
    section = text[text.index(TABLE_HEADING) :].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table: dict[str, dict[str, str]] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        name = re.fullmatch(r"`(\w+)`", cells[0])
        assert name is not None, f"a row of {DOC.name} does not start with a `field`: {row}"
        assert len(cells) == 1 + len(IDENTITIES), f"not one cell per identity: {row}"
        assert set(cells[1:]) <= OUTCOMES, f"an unknown outcome in: {row}"
        table[name.group(1)] = dict(zip(IDENTITIES, cells[1:], strict=True))
    return table


def headers(identity: str, owner: str, other: str) -> dict[str, str]:
    """The bearer of ``identity``; customer A is ``owner``, customer B ``other``."""
    if identity == "anonymous":
        return {}
    if identity == "customer A":
        return customer_bearer(owner)
    if identity == "customer B":
        return customer_bearer(other)
    return bearer(f"staff-{identity}", STAFF_SCOPES[identity])


@dataclass
class Records:
    """What a case acts on; every record belongs to ``customer`` (customer A)."""

    customer: str = ""
    card: str = ""
    invoice: str = ""
    payment: str = ""
    order: str = ""
    subscription: str = ""
    refund: str = ""
    plan: str = PLAN  # of the subscription
    key: str = field(default_factory=lambda: uuid.uuid4().hex)  # idempotency keys


@dataclass(frozen=True)
class Operation:
    """How the matrix asks for one root field: a selection for a case's records, what those
    records must include, and how an allowed answer is told from a null one."""

    selection: Callable[[Records], str]
    needs: frozenset[str] = frozenset()
    target: Callable[[Records], str] = lambda r: r.customer
    succeeded: Callable[[Any], bool] = lambda value: value is not None


def _op(
    selection: Callable[[Records], str],
    needs: str = "",
    target: Callable[[Records], str] | None = None,
    succeeded: Callable[[Any], bool] | None = None,
) -> Operation:
    return Operation(
        selection,
        frozenset(needs.split()),
        target or (lambda r: r.customer),
        succeeded or (lambda value: value is not None),
    )


def _typename(name: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and value.get("__typename") == name


def _nothing(_: Records) -> str:
    return ""


ADDRESS = '{line1: "1 Matrix Way", city: "Berlin", postalCode: "10115", country: "DE"}'
CARD = '{token: "tok_visa", brand: VISA, last4: "4242", expMonth: 12, expYear: 2035}'
LINES = '[{description: "Matrix", unitAmount: 1000}]'
FILTER = "first: 100, filter: {customerId: "
NODES = "{ nodes { id customer { id } } }"

QUERIES: dict[str, Operation] = {
    "customer": _op(lambda r: f'customer(id: "{r.customer}") {{ id email }}'),
    "customers": _op(
        lambda r: f'customers(filter: {{emailContains: "{r.key}"}}) {{ nodes {{ id }} }}'
    ),
    "paymentMethod": _op(lambda r: f'paymentMethod(id: "{r.card}") {{ id customer {{ id }} }}'),
    "invoice": _op(lambda r: f'invoice(id: "{r.invoice}") {{ id customer {{ id }} }}'),
    "invoices": _op(lambda r: f'invoices({FILTER}"{r.customer}"}}) {NODES}'),
    "payment": _op(
        lambda r: f'payment(id: "{r.payment}") {{ id invoice {{ customer {{ id }} }} }}'
    ),
    "invoicesDeadLetters": _op(lambda r: "invoicesDeadLetters { key }", target=_nothing),
    "webhookEndpoints": _op(lambda r: "webhookEndpoints { id }", target=_nothing),
    "product": _op(lambda r: f'product(id: "{PRODUCT}") {{ id }}', target=lambda r: PRODUCT),
    "products": _op(lambda r: "products(first: 5) { nodes { id } }", target=lambda r: PRODUCT),
    "order": _op(lambda r: f'order(id: "{r.order}") {{ id customer {{ id }} }}'),
    "orders": _op(lambda r: f'orders({FILTER}"{r.customer}"}}) {NODES}'),
    "ordersDeadLetters": _op(lambda r: "ordersDeadLetters { key }", target=_nothing),
    "plan": _op(lambda r: f'plan(id: "{PLAN}") {{ id }}', target=lambda r: PLAN),
    "plans": _op(lambda r: "plans { id }", target=lambda r: PLAN),
    "subscription": _op(
        lambda r: f'subscription(id: "{r.subscription}") {{ id customer {{ id }} }}'
    ),
    "subscriptions": _op(lambda r: f'subscriptions({FILTER}"{r.customer}"}}) {NODES}'),
    "subscriptionsDeadLetters": _op(lambda r: "subscriptionsDeadLetters { key }", target=_nothing),
}

MUTATIONS: dict[str, Operation] = {
    "createCustomer": _op(
        lambda r: (
            f'createCustomer(input: {{email: "m-{r.key}@example.com", name: "M", '
            f'address: {ADDRESS}}}, idempotencyKey: "{r.key}") {{ id }}'
        ),
        target=_nothing,
    ),
    "updateCustomer": _op(
        lambda r: f'updateCustomer(id: "{r.customer}", input: {{name: "Renamed"}}) {{ id name }}',
        "customer",
    ),
    "addPaymentMethod": _op(
        lambda r: (
            f'addPaymentMethod(customerId: "{r.customer}", input: {CARD}) '
            "{ id customer { id } }"
        ),
        "customer",
    ),
    "removePaymentMethod": _op(
        lambda r: f'removePaymentMethod(id: "{r.card}") {{ id }}', "customer card"
    ),
    "setDefaultPaymentMethod": _op(
        lambda r: f'setDefaultPaymentMethod(id: "{r.card}") {{ id isDefault }}',
        "customer card",
        target=lambda r: r.card,
    ),
    "createWebhookEndpoint": _op(
        lambda r: (
            f'createWebhookEndpoint(url: "http://127.0.0.1:9/{r.key}", '
            'events: ["invoice.paid"]) { endpoint { id } }'
        ),
        target=_nothing,
    ),
    "voidInvoice": _op(
        lambda r: f'voidInvoice(id: "{r.invoice}") {{ id status }}',
        "customer invoice",
        target=lambda r: r.invoice,
    ),
    "issueInvoice": _op(
        lambda r: (
            f'issueInvoice(input: {{customerId: "{r.customer}", currency: "EUR", '
            f'lines: {LINES}}}, idempotencyKey: "{r.key}") {{ id customer {{ id }} }}'
        ),
        "customer",
    ),
    "payInvoice": _op(
        lambda r: (
            f'payInvoice(invoiceId: "{r.invoice}", paymentMethodId: "{r.card}", '
            f'idempotencyKey: "{r.key}") '
            "{ __typename ... on PaymentSucceeded { payment { id } } }"
        ),
        "customer card invoice",
        target=_nothing,
        succeeded=_typename("PaymentSucceeded"),
    ),
    "refundPayment": _op(
        lambda r: (
            f'refundPayment(paymentId: "{r.payment}", idempotencyKey: "{r.key}") '
            "{ __typename ... on RefundSucceeded { payment { id } } }"
        ),
        "customer card invoice payment",
        target=lambda r: r.payment,
        succeeded=_typename("RefundSucceeded"),
    ),
    "placeOrder": _op(
        lambda r: (
            f'placeOrder(input: {{customerId: "{r.customer}", lines: [{{productId: '
            f'"{PRODUCT}", quantity: 1}}]}}, idempotencyKey: "{r.key}") {{ id customer {{ id }} }}'
        ),
        "customer",
    ),
    "payOrder": _op(
        lambda r: (
            f'payOrder(id: "{r.order}", paymentMethodId: "{r.card}", '
            f'idempotencyKey: "{r.key}") {{ id status }}'
        ),
        "customer card order",
        target=lambda r: r.order,
    ),
    "cancelOrder": _op(
        lambda r: f'cancelOrder(id: "{r.order}") {{ id status }}',
        "customer order",
        target=lambda r: r.order,
    ),
    "subscribe": _op(
        lambda r: (
            f'subscribe(input: {{customerId: "{r.customer}", planId: "{NEW_PLAN}"}}, '
            f'idempotencyKey: "{r.key}") {{ id customer {{ id }} }}'
        ),
        "customer",
    ),
    "cancelSubscription": _op(
        lambda r: f'cancelSubscription(id: "{r.subscription}", atPeriodEnd: true) {{ id }}',
        "customer subscription",
        target=lambda r: r.subscription,
    ),
    "changePlan": _op(
        lambda r: f'changePlan(id: "{r.subscription}", planId: "{CHANGED_TO}") {{ id }}',
        "customer subscription",
        target=lambda r: r.subscription,
    ),
    "setClock": _op(
        lambda r: f'setClock(to: "{(datetime.now(UTC) + timedelta(days=1)).isoformat()}")',
        target=_nothing,
    ),
    "runBillingCycle": _op(
        lambda r: 'runBillingCycle(asOf: "2020-01-01T00:00:00Z") { paid }', target=_nothing
    ),
}


def records_for(operation: str, customer: str) -> Records:
    """Fresh records for a mutation case of ``customer``'s."""
    return Records(customer=customer, plan=CHANGED_FROM if operation == "changePlan" else PLAN)


def chunks(items: Sequence[Any], size: int = ROOT_FIELDS_PER_REQUEST) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


Ask = Callable[[str, dict[str, str]], dict[str, Any]]

# How each kind of record is made, from the records made before it; a new idempotency key
# every time (``key``: a fresh one per call).
MAKERS: dict[str, Callable[[Records, str], str]] = {
    "customer": lambda r, key: (
        f'createCustomer(input: {{email: "c-{r.key}@example.com", name: "Matrix", '
        f'address: {ADDRESS}}}, idempotencyKey: "{key}") {{ id }}'
    ),
    "card": lambda r, key: f'addPaymentMethod(customerId: "{r.customer}", input: {CARD}) {{ id }}',
    "invoice": lambda r, key: (
        f'issueInvoice(input: {{customerId: "{r.customer}", currency: "EUR", lines: {LINES}}}, '
        f'idempotencyKey: "{key}") {{ id }}'
    ),
    "order": lambda r, key: (
        f'placeOrder(input: {{customerId: "{r.customer}", lines: [{{productId: "{PRODUCT}", '
        f'quantity: 1}}]}}, idempotencyKey: "{key}") {{ id }}'
    ),
    "subscription": lambda r, key: (
        f'subscribe(input: {{customerId: "{r.customer}", planId: "{r.plan}"}}, '
        f'idempotencyKey: "{key}") {{ id }}'
    ),
    "payment": lambda r, key: (
        f'payInvoice(invoiceId: "{r.invoice}", paymentMethodId: "{r.card}", '
        f'idempotencyKey: "{key}") {{ ... on PaymentSucceeded {{ payment {{ id }} }} }}'
    ),
    "refund": lambda r, key: (
        f'refundPayment(paymentId: "{r.payment}", idempotencyKey: "{key}") '
        "{ ... on RefundSucceeded { refund { id } } }"
    ),
}
# Orders before cards: an order placed while its customer has a card is charged at once, and
# cancelOrder needs one that is not.
LEVELS = (("customer",), ("invoice", "order", "subscription"), ("card",), ("payment",), ("refund",))


def make_records(
    ask: Ask, admin: dict[str, str], cases: Sequence[tuple[Records, frozenset[str]]]
) -> None:
    """Fill each case's records with what it needs, as admin, batched a level at a time:
    customers (unless a case has one), then cards, invoices, orders and subscriptions, then
    payments, then refunds."""
    for level in LEVELS:
        steps = [
            (records, kind)
            for records, needs in cases
            for kind in level
            if kind in needs and not getattr(records, kind)
        ]
        for batch in chunks(steps):
            fields = [
                f"r{i}: {MAKERS[kind](records, uuid.uuid4().hex)}"
                for i, (records, kind) in enumerate(batch)
            ]
            body = ask("mutation { " + " ".join(fields) + " }", admin)
            assert not body.get("errors"), body
            for i, (records, kind) in enumerate(batch):
                setattr(records, kind, _created(kind, body["data"][f"r{i}"]))


def _created(kind: str, value: dict[str, Any]) -> str:
    found = value[kind]["id"] if kind in ("payment", "refund") else value["id"]
    assert isinstance(found, str), value
    return found
