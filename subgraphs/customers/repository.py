"""Queries and changes of the customers service; the session is always passed in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from subgraphs.common.errors import BadUserInput, Conflict, NotFound
from subgraphs.common.ids import new_id
from subgraphs.common.inputs import check_text
from subgraphs.common.pagination import PageArgs, fetch_page

from .models import CustomerRow, PaymentMethodRow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
CARD_NUMBER = re.compile(r"\d{12,19}")
STATUSES = ("ACTIVE", "SUSPENDED", "CLOSED")
MAX_EMAIL = 254
BRANDS = ("VISA", "MASTERCARD", "AMEX", "DISCOVER", "OTHER")


@dataclass(frozen=True, slots=True)
class AddressData:
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    status: str | None = None
    country: str | None = None
    email_contains: str | None = None
    id: str | None = None  # only this customer (an identity that may see only its own)


@dataclass(frozen=True, slots=True)
class CardData:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


async def customers_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[CustomerRow]:
    """Customers with their payment methods: two statements however many ids."""
    stmt = (
        select(CustomerRow)
        .where(CustomerRow.id.in_(ids))
        .options(selectinload(CustomerRow.payment_methods))
    )
    return list((await session.execute(stmt)).scalars().all())


async def payment_methods_by_ids(
    session: AsyncSession, *, ids: Sequence[str]
) -> list[PaymentMethodRow]:
    stmt = select(PaymentMethodRow).where(PaymentMethodRow.id.in_(ids))
    return list((await session.execute(stmt)).scalars().all())


async def list_customers(
    session: AsyncSession, *, page: PageArgs, where: CustomerFilter
) -> list[CustomerRow]:
    conditions: list[ColumnElement[bool]] = []
    if where.id is not None:
        conditions.append(CustomerRow.id == where.id)
    if where.status is not None:
        conditions.append(CustomerRow.status == where.status)
    if where.country is not None:
        conditions.append(CustomerRow.country == check_text(where.country, "country", 2).upper())
    if where.email_contains:
        needle = check_text(where.email_contains, "emailContains", MAX_EMAIL).lower()
        conditions.append(func.lower(CustomerRow.email).contains(needle, autoescape=True))
    stmt = select(CustomerRow).where(*conditions).options(selectinload(CustomerRow.payment_methods))
    return await fetch_page(session, stmt, CustomerRow.id, page)


async def create_customer(
    session: AsyncSession, *, email: str, name: str, address: AddressData
) -> CustomerRow:
    email = check_email(email)
    await _ensure_email_free(session, email)
    now = datetime.now(UTC)
    row = CustomerRow(
        id=new_id("cus", at=now),
        email=email,
        name=check_name(name),
        status="ACTIVE",
        created_at=now,
        **_address_columns(address),
    )
    session.add(row)
    await session.flush()
    return row


async def update_customer(
    session: AsyncSession,
    *,
    customer_id: str,
    email: str | None,
    name: str | None,
    address: AddressData | None,
    status: str | None,
) -> CustomerRow:
    row = await get_customer(session, customer_id=customer_id)
    if email is not None:
        email = check_email(email)
        if email != row.email:
            await _ensure_email_free(session, email)
        row.email = email
    if name is not None:
        row.name = check_name(name)
    if address is not None:
        for column, value in _address_columns(address).items():
            setattr(row, column, value)
    if status is not None:
        row.status = status
    await session.flush()
    return row


async def get_customer(session: AsyncSession, *, customer_id: str) -> CustomerRow:
    rows = await customers_by_ids(session, ids=[customer_id])
    if not rows:
        raise NotFound(f"No customer with id {customer_id!r}.", id=customer_id)
    return rows[0]


async def add_payment_method(
    session: AsyncSession, *, customer_id: str, card: CardData, make_default: bool
) -> PaymentMethodRow:
    customer = await get_customer(session, customer_id=customer_id)
    if customer.status == "CLOSED":
        raise Conflict("A closed customer cannot add payment methods.", id=customer_id)
    _check_card(card)
    first = not customer.payment_methods
    now = datetime.now(UTC)
    row = PaymentMethodRow(
        id=new_id("pm", at=now),
        customer_id=customer_id,
        token=card.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=False,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    if make_default or first:
        await _make_default(session, row)
    return row


async def remove_payment_method(session: AsyncSession, *, payment_method_id: str) -> str:
    """Delete a payment method; the oldest remaining one becomes default if needed."""
    row = await _get_payment_method(session, payment_method_id)
    customer_id, was_default = row.customer_id, row.is_default
    await session.delete(row)
    await session.flush()
    if was_default:
        stmt = (
            select(PaymentMethodRow)
            .where(PaymentMethodRow.customer_id == customer_id)
            .order_by(PaymentMethodRow.id)
            .limit(1)
        )
        successor = (await session.execute(stmt)).scalar_one_or_none()
        if successor is not None:
            await _make_default(session, successor)
    return customer_id


async def set_default_payment_method(
    session: AsyncSession, *, payment_method_id: str
) -> PaymentMethodRow:
    row = await _get_payment_method(session, payment_method_id)
    await _make_default(session, row)
    return row


async def _make_default(session: AsyncSession, row: PaymentMethodRow) -> None:
    await session.execute(
        update(PaymentMethodRow)
        .where(PaymentMethodRow.customer_id == row.customer_id)
        .values(is_default=PaymentMethodRow.id == row.id)
        .execution_options(synchronize_session=False)
    )
    row.is_default = True


async def _get_payment_method(session: AsyncSession, payment_method_id: str) -> PaymentMethodRow:
    rows = await payment_methods_by_ids(session, ids=[payment_method_id])
    if not rows:
        raise NotFound(f"No payment method with id {payment_method_id!r}.", id=payment_method_id)
    return rows[0]


async def _ensure_email_free(session: AsyncSession, email: str) -> None:
    taken = await session.scalar(select(CustomerRow.id).where(CustomerRow.email == email))
    if taken is not None:
        raise Conflict(f"A customer with e-mail {email!r} already exists.", field="email")


def check_email(email: str) -> str:
    normalised = email.strip().lower()
    if len(normalised) > MAX_EMAIL or not EMAIL.match(normalised):
        raise BadUserInput(f"Invalid e-mail address {email!r}.", field="email")
    return normalised


def check_name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(stripped) > 200:
        raise BadUserInput("name must be 1 to 200 characters.", field="name")
    return stripped


def _address_columns(address: AddressData) -> dict[str, str | None]:
    country = address.country.strip().upper()
    if not COUNTRY.match(country):
        raise BadUserInput(
            f"Invalid country {address.country!r}: use an ISO 3166-1 alpha-2 code.",
            field="address.country",
        )
    for field, value, limit in (
        ("line1", address.line1, 200),
        ("city", address.city, 100),
        ("postalCode", address.postal_code, 20),
    ):
        if not value.strip() or len(value.strip()) > limit:
            raise BadUserInput(
                f"address.{field} must be 1 to {limit} characters.", field=f"address.{field}"
            )
    if address.line2 is not None and len(address.line2.strip()) > 200:
        raise BadUserInput("address.line2 must be at most 200 characters.", field="address.line2")
    return {
        "line1": address.line1.strip(),
        "line2": address.line2.strip() if address.line2 else None,
        "city": address.city.strip(),
        "postal_code": address.postal_code.strip(),
        "country": country,
    }


def _check_card(card: CardData) -> None:
    """Accept only tokenised cards: a full card number anywhere is refused, never stored."""
    if any(CARD_NUMBER.search(value) for value in (card.token, card.last4)):
        raise BadUserInput("Send a card token, never a card number.", field="token")
    if not card.token.startswith("tok_") or len(card.token) > 100:
        raise BadUserInput("token must be a vault token starting with 'tok_'.", field="token")
    if card.brand not in BRANDS:
        raise BadUserInput(f"Unknown card brand {card.brand!r}.", field="brand")
    if not (len(card.last4) == 4 and card.last4.isdigit()):
        raise BadUserInput("last4 must be exactly four digits.", field="last4")
    if not 1 <= card.exp_month <= 12:
        raise BadUserInput("expMonth must be between 1 and 12.", field="expMonth")
    today = datetime.now(UTC)
    if (card.exp_year, card.exp_month) < (
        today.year,
        today.month,
    ) or card.exp_year > today.year + 25:
        raise BadUserInput(
            "The card is expired or its expiry year is implausible.", field="expYear"
        )
