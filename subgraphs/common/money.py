"""Money as integer minor units plus an ISO 4217 currency code; never floats."""

from __future__ import annotations

import strawberry
import strawberry.federation as fed

from .errors import BadUserInput

# ISO 4217 codes we accept, with the number of minor-unit digits each uses.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
    "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2, "ISK": 0, "JPY": 0, "KRW": 0, "MXN": 2,
    "NOK": 2, "NZD": 2, "PLN": 2, "SEK": 2, "SGD": 2, "USD": 2, "ZAR": 2, "BHD": 3,
    "KWD": 3, "CLP": 0, "TRY": 2, "RON": 2, "ILS": 2, "AED": 2,
}  # fmt: skip

MAX_AMOUNT = 2**31 - 1  # GraphQL Int is a signed 32-bit integer.


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
    amount: int = strawberry.field(description="Minor units, e.g. cents: 1990 is 19.90 EUR.")
    currency: str

    @strawberry.field(description="Human-readable, e.g. '19.90 EUR'.")
    def formatted(self) -> str:
        exponent = CURRENCY_EXPONENTS.get(self.currency, 2)
        whole, minor = divmod(abs(self.amount), 10**exponent)
        sign = "-" if self.amount < 0 else ""
        digits = f"{whole}.{minor:0{exponent}d}" if exponent else str(whole)
        return f"{sign}{digits} {self.currency}"
