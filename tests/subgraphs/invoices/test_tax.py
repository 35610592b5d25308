"""Tax rates and invoice arithmetic: integers only, half-up on minor units."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from subgraphs.common.errors import BadUserInput
from subgraphs.invoices.repository import LineData, build_invoice, invoice_number
from subgraphs.invoices.tax import (
    NO_TAX_NAME,
    TaxRate,
    Totals,
    rate_for,
    round_half_up,
    tax_amount,
    totals,
)

AT = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "basis_points"),
    [("DE", 1900), ("de", 1900), (" FR ", 2000), ("GB", 2000), ("SE", 2500), ("CH", 810)],
)
def test_known_countries_have_their_standard_rate(country: str, basis_points: int) -> None:
    rate = rate_for(country)
    assert rate.basis_points == basis_points
    assert rate.country == country.strip().upper()
    assert rate.name.startswith(rate.country)


@pytest.mark.parametrize("country", ["US", "ZZ", "", None])
def test_unknown_countries_are_not_taxed(country: str | None) -> None:
    rate = rate_for(country)
    assert (rate.basis_points, rate.name) == (0, NO_TAX_NAME)
    assert rate == TaxRate(country=(country or "").upper(), basis_points=0, name=NO_TAX_NAME)


@pytest.mark.parametrize(
    ("subtotal", "basis_points", "tax"),
    [
        (1000, 1900, 190),  # exact
        (50, 1000, 5),  # exact
        (25, 1900, 5),  # 4.75 rounds up
        (21, 1900, 4),  # 3.99 rounds up
        (1, 2000, 0),  # 0.2 rounds down
        (5, 1000, 1),  # 0.5: a half rounds up
        (15, 1000, 2),  # 1.5: a half rounds up, not to even
        (25, 1000, 3),  # 2.5: a half rounds up, not to even
        (14, 1000, 1),  # 1.4 rounds down
        (26580, 1900, 5050),  # 5050.2
        (99, 810, 8),  # 8.019
        (0, 2500, 0),
        (12345, 0, 0),
        (2**31 - 1, 10_000, 2**31 - 1),  # ints do not lose precision
    ],
)
def test_tax_rounds_half_up_on_minor_units(subtotal: int, basis_points: int, tax: int) -> None:
    assert tax_amount(subtotal, basis_points) == tax


def test_negative_amounts_round_halves_away_from_zero() -> None:
    assert round_half_up(-5, 10) == -1
    assert round_half_up(-4, 10) == 0
    assert tax_amount(-25, 1900) == -5


@pytest.mark.parametrize("basis_points", [-1, 10_001])
def test_rates_outside_zero_to_hundred_percent_are_refused(basis_points: int) -> None:
    with pytest.raises(ValueError, match="basis_points"):
        tax_amount(100, basis_points)


def test_totals_sum_lines_then_tax_the_subtotal() -> None:
    # Taxing each line would give 2 + 2 + 2 = 6; the rule taxes the subtotal once: 4.5 -> 5.
    assert totals([15, 15, 15], 1000) == Totals(subtotal=45, tax=5, total=50)
    assert totals([], 1900) == Totals(subtotal=0, tax=0, total=0)


def _build(lines: list[LineData], currency: str = "EUR", basis_points: int = 1900) -> object:
    return build_invoice(
        invoice_id="inv_test",
        number=invoice_number(2026, 1),
        customer_id="cus_test",
        currency=currency,
        lines=lines,
        basis_points=basis_points,
        created_at=AT,
    )


def test_build_invoice_computes_lines_and_totals() -> None:
    row = build_invoice(
        invoice_id="inv_test",
        number=invoice_number(2026, 123),
        customer_id="cus_test",
        currency="eur",
        lines=[LineData("Reader", 3, 5900, "EUR"), LineData(" Paper ", 1, 3900, "eur")],
        basis_points=1900,
        created_at=AT,
    )
    assert row.number == "INV-2026-000123"
    assert (row.currency, row.status) == ("EUR", "DRAFT")
    assert [(line.description, line.amount) for line in row.lines] == [
        ("Reader", 17700),
        ("Paper", 3900),
    ]
    assert (row.subtotal, row.tax, row.total) == (21600, 4104, 25704)
    assert row.tax_rate_basis_points == 1900


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([LineData("Reader", 1, 5900, "EUR"), LineData("Plan", 1, 2100, "USD")], "lines.currency"),
        ([], "lines"),
        ([LineData("Reader", 0, 5900, "EUR")], "lines.quantity"),
        ([LineData("Reader", 1, -1, "EUR")], "total"),  # a credit line alone: a negative total
        ([LineData("Reader", 1, -(2**53), "EUR")], "unitAmount"),
        ([LineData("  ", 1, 100, "EUR")], "lines.description"),
        ([LineData("Reader", 1, 100, "XXX")], "currency"),
        ([LineData("Reader", 1000, 2**50, "EUR")], "amount"),
        ([LineData("Reader", 1, 2**53 - 1, "EUR")], "total"),
    ],
)
def test_build_invoice_refuses_broken_rules(lines: list[LineData], field: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        _build(lines)
    assert caught.value.extensions["field"] == field
