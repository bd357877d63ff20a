"""Numbers as residents type them: a decimal comma is a decimal comma."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.ecocito.typed_numbers import format_price, parse_price, parse_whole


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5,50", Decimal("5.50")),
        ("40,46", Decimal("40.46")),
        ("40.46", Decimal("40.46")),
        ("5,5", Decimal("5.5")),
        ("5", Decimal(5)),
        ("5,", Decimal(5)),
        (",5", Decimal("0.5")),
        ("0", Decimal(0)),
        (" 5,50 € ", Decimal("5.50")),
        ("5,50€", Decimal("5.50")),
        ("€5.50", Decimal("5.50")),
        ("5,50 EUR", Decimal("5.50")),
        ("3 euros", Decimal(3)),
        ("1 000,00", Decimal(1000)),
        ("1\u00a0000", Decimal(1000)),  # a no-break space, as a French keyboard layout types it
        ("1\u202f000,50", Decimal("1000.50")),  # a narrow no-break space
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_prices_read_as_typed(typed: str | None, expected: Decimal | None) -> None:
    assert parse_price(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "5,555",  # a third decimal: refused, not rounded
        "1.000",  # a thousand, or one euro? refused
        "1.000,50",
        "1,000.50",
        "5,5,0",
        ",",
        "€",
        "-5",
        "+5",
        "5e2",
        "nan",
        "inf",
        "cinq",
        "\u0665",  # an Arabic-Indic digit five: Python's int() would read it
        "40;46",
    ],
)
def test_prices_that_do_not_read(typed: str) -> None:
    with pytest.raises(ValueError, match="not a price"):
        parse_price(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("26", 26), (" 15 ", 15), ("0", 0), ("1 000", 1000), ("007", 7), ("", None), (None, None)],
)
def test_whole_numbers_read_as_typed(typed: str | None, expected: int | None) -> None:
    assert parse_whole(typed) == expected


@pytest.mark.parametrize("typed", ["2,5", "2.0", "1.000", "-1", "+1", "²", "1e3", "nan", "douze"])
def test_whole_numbers_that_do_not_read(typed: str) -> None:
    with pytest.raises(ValueError, match="not a whole number"):
        parse_whole(typed)


@pytest.mark.parametrize(
    ("price", "decimal_comma", "shown"),
    [(5.5, True, "5,50"), (40.46, True, "40,46"), (5.5, False, "5.50"), (0.0, True, "0,00")],
)
def test_prices_shown_back_read_again(price: float, decimal_comma: bool, shown: str) -> None:
    assert format_price(price, decimal_comma=decimal_comma) == shown
    assert parse_price(shown) == Decimal(str(price))
