"""Pure: numbers as a resident types them into a form, and back.

The forms take numbers as text: a number field (``<input type=number>``) in a browser
set to French drops the decimal comma, so "5,50" reached Home Assistant as 550. Here a
comma and a point are both the decimal separator, spaces group thousands ("1 000"), and
a price may carry its euro sign ("5,50 €"). What does not read as one number raises
``ValueError``: the form says what it expects instead of guessing.
"""

from __future__ import annotations

from decimal import Decimal
import re
from typing import Final

_PRICE: Final = re.compile(r"€?(?P<units>[0-9]*)(?:[.,](?P<cents>[0-9]{0,2}))?(?:€|eur(?:os?)?)?")
"""Euros and at most two decimals: "5", "5,5", "5,50", "5.50", ",50", "5,50 €"."""
_WHOLE: Final = re.compile(r"[0-9]+")


def _compact(text: str | None) -> str:
    """Return ``text`` without its spaces (any kind: thousands are grouped with them)."""
    return "".join((text or "").split()).casefold()


def parse_whole(text: str | None) -> int | None:
    """Return the whole number typed, or None for an empty field.

    A comma or a point is refused rather than read: in "1.000" it may group thousands
    or mark decimals, and a count has no decimals anyway.
    """
    compact = _compact(text)
    if not compact:
        return None
    if not _WHOLE.fullmatch(compact):
        raise ValueError(f"not a whole number: {text!r}")
    return int(compact)


def parse_price(text: str | None) -> Decimal | None:
    """Return the price typed, in euros, or None for an empty field.

    A third decimal is refused rather than read: "1.000" could be a thousand euros.
    """
    compact = _compact(text)
    if not compact:
        return None
    match = _PRICE.fullmatch(compact)
    if match is None or not (match["units"] or match["cents"]):
        raise ValueError(f"not a price: {text!r}")
    return Decimal(f"{match['units'] or 0}.{match['cents'] or 0}")


def format_price(price: float, *, decimal_comma: bool) -> str:
    """Return a price as a form shows it back: two decimals, "5,50" in French."""
    text = f"{price:.2f}"
    return text.replace(".", ",") if decimal_comma else text
