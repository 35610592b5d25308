"""Tax rates by country and the integer arithmetic of invoice amounts; never floats.

Rates are standard VAT/GST rates in basis points (1900 = 19 %). A country missing from the
table is not taxed: its rate is 0 bp named "No tax". That includes the US, whose sales tax
is set per state and city and is not collected by this service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BASIS_POINTS = 10_000  # 100 %

NO_TAX_NAME = "No tax"


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A country's rate in basis points, with the name printed on invoices."""

    country: str
    basis_points: int
    name: str


@dataclass(frozen=True, slots=True)
class Totals:
    """An invoice's amounts in minor units of its one currency."""

    subtotal: int
    tax: int
    total: int


_RATES: dict[str, tuple[int, str]] = {
    "AT": (2000, "AT VAT"), "BE": (2100, "BE VAT"), "CH": (810, "CH VAT"),
    "CZ": (2100, "CZ VAT"), "DE": (1900, "DE VAT"), "DK": (2500, "DK VAT"),
    "ES": (2100, "ES VAT"), "FI": (2550, "FI VAT"), "FR": (2000, "FR VAT"),
    "GB": (2000, "GB VAT"), "HU": (2700, "HU VAT"), "IE": (2300, "IE VAT"),
    "IT": (2200, "IT VAT"), "LU": (1700, "LU VAT"), "NL": (2100, "NL VAT"),
    "NO": (2500, "NO VAT"), "PL": (2300, "PL VAT"), "PT": (2300, "PT VAT"),
    "SE": (2500, "SE VAT"), "AU": (1000, "AU GST"), "NZ": (1500, "NZ GST"),
    "CA": (500, "CA GST"), "JP": (1000, "JP consumption tax"), "SG": (900, "SG GST"),
}  # fmt: skip


def rate_for(country: str | None) -> TaxRate:
    """The rate of an ISO 3166-1 alpha-2 ``country``; 0 bp "No tax" when it has none."""
    code = (country or "").strip().upper()
    basis_points, name = _RATES.get(code, (0, NO_TAX_NAME))
    return TaxRate(country=code, basis_points=basis_points, name=name)


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def tax_amount(subtotal: int, basis_points: int) -> int:
    """Tax on ``subtotal`` minor units at ``basis_points``, rounded half-up to a minor unit."""
    if not 0 <= basis_points <= BASIS_POINTS:
        raise ValueError(f"basis_points must be between 0 and {BASIS_POINTS}; got {basis_points}")
    return round_half_up(subtotal * basis_points, BASIS_POINTS)


def line_amount(quantity: int, unit_amount: int) -> int:
    """What a line costs: quantity times the unit amount, exact in minor units."""
    return quantity * unit_amount


def totals(line_amounts: Iterable[int], basis_points: int) -> Totals:
    """Subtotal = sum of the lines, tax on the subtotal, total = subtotal + tax."""
    subtotal = sum(line_amounts)
    tax = tax_amount(subtotal, basis_points)
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax)
