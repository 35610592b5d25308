"""Money as integer minor units plus an ISO 4217 currency code; never floats.

Amounts are the ``MinorUnits`` scalar, not GraphQL ``Int`` (32 bits: 21,474,836.47 in a
two-decimal currency). The choice, as Stripe and Adyen make it — integer minor units on the
wire — with the range of the number every JSON parser reads exactly: a JSON integer from
-(2^53 - 1) to 2^53 - 1 (90 trillion euros), so JavaScript's ``JSON.parse`` never rounds
one, existing clients keep reading plain numbers, and arithmetic needs no decimal parsing.
The databases store amounts as 64-bit ``BIGINT``. A string of digits is accepted as input
too; a fraction, a float or anything out of range is BAD_USER_INPUT.
"""

from __future__ import annotations

from typing import Any, NewType

import strawberry
import strawberry.federation as fed
from graphql import IntValueNode, StringValueNode, ValueNode

from .errors import BadUserInput

# ISO 4217 codes we accept, with the number of minor-unit digits each uses.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
    "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2, "ISK": 0, "JPY": 0, "KRW": 0, "MXN": 2,
    "NOK": 2, "NZD": 2, "PLN": 2, "SEK": 2, "SGD": 2, "USD": 2, "ZAR": 2, "BHD": 3,
    "KWD": 3, "CLP": 0, "TRY": 2, "RON": 2, "ILS": 2, "AED": 2,
}  # fmt: skip

MAX_AMOUNT = 2**53 - 1  # the largest integer a JSON parser reads exactly


def _minor_units(value: object) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_AMOUNT:
        raise BadUserInput(
            f"An amount is an integer of minor units from {-MAX_AMOUNT} to {MAX_AMOUNT}.",
            field="amount",
        )
    return value


def _minor_units_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> int:
    if isinstance(node, (IntValueNode, StringValueNode)):
        return _minor_units(node.value if isinstance(node, StringValueNode) else int(node.value))
    raise BadUserInput("An amount is an integer of minor units.", field="amount")


MinorUnits = NewType("MinorUnits", int)
MINOR_UNITS = strawberry.scalar(
    name="MinorUnits",
    description="An amount of minor units (cents: 1990 is 19.90 EUR), a JSON integer from "
    "-(2^53 - 1) to 2^53 - 1: exact in every JSON parser, beyond GraphQL Int's 32 bits.",
    serialize=_minor_units,
    parse_value=_minor_units,
    parse_literal=_minor_units_literal,
)


def check_currency(code: str) -> str:
    """Return the upper-cased ISO code, or raise BAD_USER_INPUT for an unknown one."""
    normalised = code.strip().upper()
    if normalised not in CURRENCY_EXPONENTS:
        raise BadUserInput(
            f"Unknown currency {code!r}: use an ISO 4217 code such as EUR.", field="currency"
        )
    return normalised


def check_amount(amount: int, *, field: str = "amount", allow_zero: bool = True) -> int:
    """Reject negative or out-of-range amounts of minor units."""
    if amount < 0 or (amount == 0 and not allow_zero) or amount > MAX_AMOUNT:
        raise BadUserInput(
            f"{field} must be between {0 if allow_zero else 1} and {MAX_AMOUNT} minor units.",
            field=field,
        )
    return amount


def check_signed_amount(amount: int, *, field: str = "amount") -> int:
    """An amount that may be negative (a credit line), within the same bounds."""
    if not -MAX_AMOUNT <= amount <= MAX_AMOUNT:
        raise BadUserInput(
            f"{field} must be between {-MAX_AMOUNT} and {MAX_AMOUNT} minor units.", field=field
        )
    return amount


@fed.type(
    shareable=True,
    description="An amount of money: integer minor units and an ISO 4217 currency code.",
)
class Money:
    amount: int = strawberry.field(
        graphql_type=MinorUnits, description="Minor units, e.g. cents: 1990 is 19.90 EUR."
    )
    currency: str

    @strawberry.field(description="Human-readable, e.g. '19.90 EUR'.")
    def formatted(self) -> str:
        exponent = CURRENCY_EXPONENTS.get(self.currency, 2)
        whole, minor = divmod(abs(self.amount), 10**exponent)
        sign = "-" if self.amount < 0 else ""
        digits = f"{whole}.{minor:0{exponent}d}" if exponent else str(whole)
        return f"{sign}{digits} {self.currency}"
