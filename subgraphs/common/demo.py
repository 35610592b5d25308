"""The deterministic demo world every service (and the sandbox bank) seeds its part of.

One seeded generator describes customers, products, orders, plans and subscriptions as
plain values, so ids line up across the four databases (an order's ``customer_id`` is a
customer the customers service has). Each service's ``seed.py`` stores what it owns and
derives the rest (invoices and their payments are derived from orders and subscription
periods; the bank's ledger from those payments).

The history (customers, products, orders, when each subscription started, and so every
order's id) is fixed in 2026, so those ids are the same on every machine and every day. The
billing state is relative to the demo's today (``demo_today()``: the run's
``SWITCHBOARD_DEMO_DATE``, else the subscriptions clock's date) when the data is seeded: each
live subscription is in a period that began 3 to 17 days before (three months more for a
yearly plan), so no period ends within 11 days of seeding and every monthly one ends within
a month. A past-due one's period began 2, 4 or 6 days before: its charge at the start was
declined, and so was every retry of the dunning schedule due since, so its next retry is
due after today, as a live one's would be. A canceled subscription's last period ended when
it was canceled.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from .clock import parse_clock
from .dunning import retry_at
from .ids import new_id
from .months import add_intervals
from .settings import SubgraphSettings

CLOCK_VARIABLE = "SUBSCRIPTIONS_CLOCK"  # the subscriptions service's ``clock`` setting
DATE_VARIABLE = "SWITCHBOARD_DEMO_DATE"  # one demo day for every process of a run
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SEED = 20260105

FIRST_NAMES = [
    "Ada",
    "Bruno",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Keiko",
    "Lars",
    "Maya",
    "Nadia",
    "Omar",
    "Paula",
    "Quentin",
    "Rosa",
]
LAST_NAMES = [
    "Lovelace",
    "Moreau",
    "Rossi",
    "Ivanov",
    "Yilmaz",
    "Haddad",
    "Berg",
    "Lefevre",
    "Sousa",
    "Weber",
    "Tanaka",
    "Nilsson",
]
CITIES = [
    ("DE", "Berlin", "10115"),
    ("FR", "Paris", "75002"),
    ("NL", "Amsterdam", "1012"),
    ("GB", "London", "EC1A 1BB"),
    ("US", "Austin", "78701"),
    ("SE", "Stockholm", "111 20"),
    ("ES", "Madrid", "28013"),
    ("IT", "Milano", "20121"),
]
BRANDS = ["VISA", "MASTERCARD", "AMEX"]
PRODUCTS = [
    ("Card reader M2", 5900),
    ("Card reader Pro", 12900),
    ("Receipt printer", 18900),
    ("Thermal paper (50 rolls)", 3900),
    ("Cash drawer", 8900),
    ("Tablet stand", 4900),
    ("Barcode scanner", 7900),
    ("Charging dock", 2900),
    ("NFC sticker pack", 990),
    ("Countertop display", 15900),
    ("Card reader case", 1900),
    ("USB-C hub", 3490),
]
PLANS = [
    ("starter-monthly", "Starter", "MONTH", 1900, "EUR", 14),
    ("starter-yearly", "Starter", "YEAR", 19000, "EUR", 14),
    ("pro-monthly", "Pro", "MONTH", 4900, "EUR", 14),
    ("pro-yearly", "Pro", "YEAR", 49000, "EUR", 0),
    ("enterprise-monthly", "Enterprise", "MONTH", 19900, "EUR", 0),
    ("starter-monthly-usd", "Starter (USD)", "MONTH", 2100, "USD", 14),
]
ORDER_STATUSES = ["PAID"] * 6 + ["PLACED"] * 2 + ["CANCELLED", "REFUNDED"]
SUBSCRIPTION_STATUSES = ["ACTIVE"] * 6 + ["TRIALING", "PAST_DUE", "CANCELED"]  # fmt: skip
# How many days before today a live subscription's current period began: 3 to 17, so the
# monthly periods end between 11 days and a month after today; a yearly one began three
# months earlier still.
PERIOD_BEGAN_DAYS = (3, 17)
YEARLY_PERIOD_BEGAN_MONTHS = 3
# A past-due subscription's period began this many days before today (the first, second,
# third past-due one): never on a day a dunning retry falls (1, 3, 7), and before the last.
PAST_DUE_BEGAN_DAYS = (2, 4, 6)
BILLED = ("ACTIVE", "PAST_DUE")  # the statuses whose current period has been invoiced
INVOICED_AT = time(6, 0)  # a period's invoice is issued on its first day at this time
CHARGED_AFTER = timedelta(hours=1)  # and charged this much later
# Why a past-due subscription's charges were declined: the bank's code, the payment's reason
# (as invoices reports it, and billing records it) and message.
DECLINE_CODE, DECLINE_REASON = "insufficient_funds", "INSUFFICIENT_FUNDS"
DECLINE_MESSAGE = "Insufficient funds."


@dataclass(frozen=True)
class DemoPaymentMethod:
    id: str
    customer_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    token: str
    created_at: datetime


@dataclass(frozen=True)
class DemoCustomer:
    id: str
    email: str
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    status: str
    created_at: datetime
    payment_methods: tuple[DemoPaymentMethod, ...]


@dataclass(frozen=True)
class DemoProduct:
    id: str
    sku: str
    name: str
    price: int
    currency: str
    stock: int
    created_at: datetime


@dataclass(frozen=True)
class DemoOrderLine:
    product_id: str
    product_name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class DemoOrder:
    id: str
    customer_id: str
    status: str
    currency: str
    placed_at: datetime
    lines: tuple[DemoOrderLine, ...]

    @property
    def total(self) -> int:
        return sum(line.quantity * line.unit_price for line in self.lines)


@dataclass(frozen=True)
class DemoPlan:
    id: str
    code: str
    name: str
    interval: str
    price: int
    currency: str
    trial_days: int
    created_at: datetime


@dataclass(frozen=True)
class DemoSubscription:
    id: str
    customer_id: str
    plan_id: str
    status: str
    started_at: datetime
    current_period_start: date
    current_period_end: date
    cancel_at_period_end: bool
    canceled_at: datetime | None
    # The current period's invoice (ACTIVE and PAST_DUE), and for a past-due subscription
    # the moments its charges were declined and when the next retry is due.
    invoice_id: str | None = None
    declined_at: tuple[datetime, ...] = ()
    next_retry_at: datetime | None = None

    @property
    def invoiced_at(self) -> datetime:
        return datetime.combine(self.current_period_start, INVOICED_AT, tzinfo=UTC)

    @property
    def charged_at(self) -> datetime:
        """When the current period was first charged (paid, or the first decline)."""
        return self.invoiced_at + CHARGED_AFTER


@dataclass(frozen=True)
class DemoWorld:
    customers: tuple[DemoCustomer, ...]
    products: tuple[DemoProduct, ...]
    orders: tuple[DemoOrder, ...]
    plans: tuple[DemoPlan, ...]
    subscriptions: tuple[DemoSubscription, ...]


def demo_today() -> date:
    """The demo's today: ``SWITCHBOARD_DEMO_DATE`` (``YYYY-MM-DD``) when it is set, else the
    date of the subscriptions service's clock (``SUBSCRIPTIONS_CLOCK``), so that the billing
    state seeded is current for the clock that bills it.

    ``switchboard dev`` and ``switchboard up`` set the variable once per run, for every
    process: services that seed on either side of midnight UTC still seed the same day. A
    service started alone (``switchboard subgraph … --seed``) reads its clock. ValueError
    for a variable that is not a date.
    """
    pinned = os.environ.get(DATE_VARIABLE, "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"{DATE_VARIABLE}={pinned!r} is not a date: use YYYY-MM-DD") from None
    # The variable itself, not SubgraphSettings.for_service (its tens of milliseconds a call
    # would add up: the seeds and tests call ``world()`` often).
    spec = os.environ.get(CLOCK_VARIABLE) or SubgraphSettings.model_fields["clock"].default
    return parse_clock(spec).now().date()


def world(today: date | None = None) -> DemoWorld:
    """The demo world as of ``today`` (default: ``demo_today()``); the same on every call and
    every machine for the same day."""
    return _world(today or demo_today())


@cache
def _world(today: date) -> DemoWorld:
    rng = random.Random(SEED)
    customers = tuple(_customer(rng, i) for i in range(36))
    products = tuple(
        DemoProduct(
            id=new_id("prd", at=EPOCH + timedelta(minutes=i), rng=rng),
            sku=f"SKU-{1000 + i}",
            name=name,
            price=price,
            currency="EUR",
            stock=rng.randint(5, 200),
            created_at=EPOCH + timedelta(minutes=i),
        )
        for i, (name, price) in enumerate(PRODUCTS)
    )
    orders = tuple(_order(rng, i, customers, products) for i in range(48))
    plans = tuple(
        DemoPlan(
            id=new_id("pln", at=EPOCH + timedelta(minutes=i), rng=rng),
            code=code,
            name=name,
            interval=interval,
            price=price,
            currency=currency,
            trial_days=trial,
            created_at=EPOCH + timedelta(minutes=i),
        )
        for i, (code, name, interval, price, currency, trial) in enumerate(PLANS)
    )
    invoice_rng = random.Random(f"subscription-invoices-{SEED}")  # apart: other ids stay
    subscriptions = tuple(
        _subscription(rng, invoice_rng, i, customers, plans, today) for i in range(30)
    )
    return DemoWorld(customers, products, orders, plans, subscriptions)


def _customer(rng: random.Random, i: int) -> DemoCustomer:
    created = EPOCH + timedelta(days=i, hours=rng.randint(0, 8))
    first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
    country, city, postal = CITIES[i % len(CITIES)]
    customer_id = new_id("cus", at=created, rng=rng)
    methods = tuple(
        DemoPaymentMethod(
            id=new_id("pm", at=created + timedelta(minutes=n + 1), rng=rng),
            customer_id=customer_id,
            brand=rng.choice(BRANDS),
            last4=f"{rng.randint(0, 9999):04d}",
            exp_month=rng.randint(1, 12),
            exp_year=rng.randint(2027, 2031),
            is_default=n == 0,
            token=f"tok_demo_{i:02d}_{n}",
            created_at=created + timedelta(minutes=n + 1),
        )
        for n in range(1 + i % 2)
    )
    return DemoCustomer(
        id=customer_id,
        email=f"{first}.{last}{i}@example.com".lower(),
        name=f"{first} {last}",
        line1=f"{rng.randint(1, 200)} Market Street",
        city=city,
        postal_code=postal,
        country=country,
        status="SUSPENDED" if i % 17 == 16 else "ACTIVE",
        created_at=created,
        payment_methods=methods,
    )


def _order(
    rng: random.Random,
    i: int,
    customers: tuple[DemoCustomer, ...],
    products: tuple[DemoProduct, ...],
) -> DemoOrder:
    placed = EPOCH + timedelta(days=40 + i, hours=rng.randint(0, 10))
    chosen = rng.sample(products, k=rng.randint(1, 3))
    return DemoOrder(
        id=new_id("ord", at=placed, rng=rng),
        customer_id=customers[(i * 5) % len(customers)].id,
        status=ORDER_STATUSES[i % len(ORDER_STATUSES)],
        currency="EUR",
        placed_at=placed,
        lines=tuple(DemoOrderLine(p.id, p.name, rng.randint(1, 3), p.price) for p in chosen),
    )


def _subscription(
    rng: random.Random,
    invoice_rng: random.Random,
    i: int,
    customers: tuple[DemoCustomer, ...],
    plans: tuple[DemoPlan, ...],
    today: date,
) -> DemoSubscription:
    plan = plans[i % len(plans)]
    started = EPOCH + timedelta(days=10 + 3 * i)
    status = SUBSCRIPTION_STATUSES[i % len(SUBSCRIPTION_STATUSES)]
    canceled_at = started + timedelta(days=90) if status == "CANCELED" else None
    if canceled_at is not None:  # its last period ended when it was canceled
        period_end = canceled_at.date()
        period_start = add_intervals(period_end, plan.interval, -1)
    elif status == "PAST_DUE":  # renewed days ago, declined since
        past_due = PAST_DUE_BEGAN_DAYS[i // len(SUBSCRIPTION_STATUSES) % len(PAST_DUE_BEGAN_DAYS)]
        period_start = today - timedelta(days=past_due)
        period_end = add_intervals(period_start, plan.interval)
    else:
        low, high = PERIOD_BEGAN_DAYS
        period_start = today - timedelta(days=low + i % (high - low + 1))
        if plan.interval == "YEAR":
            period_start = add_intervals(period_start, "MONTH", -YEARLY_PERIOD_BEGAN_MONTHS)
        period_end = add_intervals(period_start, plan.interval)
    billed = DemoSubscription(
        id=new_id("sub", at=started, rng=rng),
        customer_id=customers[(i * 7 + 3) % len(customers)].id,
        plan_id=plan.id,
        status=status,
        started_at=started,
        current_period_start=period_start,
        current_period_end=period_end,
        # (not one in dunning: its retry would pay a period only to end it)
        cancel_at_period_end=i % 11 == 5 and status != "PAST_DUE",
        canceled_at=canceled_at,
    )
    if status not in BILLED:
        return billed
    invoice_id = new_id("inv", at=billed.invoiced_at, rng=invoice_rng)
    if status != "PAST_DUE":
        return replace(billed, invoice_id=invoice_id)
    declined, next_retry = _dunning(billed.charged_at, today)
    return replace(billed, invoice_id=invoice_id, declined_at=declined, next_retry_at=next_retry)


def _dunning(first: datetime, today: date) -> tuple[tuple[datetime, ...], datetime]:
    """The declines of a period first declined at ``first``: that one and every retry due
    before ``today``; and the next retry, due after it."""
    declined = [first]
    while (retry := retry_at(first, len(declined))) is not None and retry.date() < today:
        declined.append(retry)
    if retry is None or retry.date() == today:
        raise AssertionError(f"a past-due period begun {first.date()} has no retry after {today}")
    return tuple(declined), retry
