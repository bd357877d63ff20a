"""Waste types and pickups as the portal gives them: a type's icon, a pickup to check."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
import re
from typing import TYPE_CHECKING, Final
import unicodedata

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .api import Pickup

DEFAULT_ICON: Final = "mdi:delete-outline"
"""A waste type none of the known words names."""


def _words(text: str) -> tuple[str, ...]:
    """Return a label's words: no accents, lower case, singular ("Déchets verts": dechet vert)."""
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    ).lower()
    return tuple(_singular(word) for word in re.findall(r"[a-z0-9]+", plain))


def _singular(word: str) -> str:
    """Return a French word in the singular, closely enough to compare ("vegetaux": vegetal)."""
    if len(word) > 4 and word.endswith("aux"):
        return f"{word[:-3]}al"
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


_ICONS: Final = (
    # First match wins: "déchets verts" before "déchets", "non recyclables" before "recyclables".
    (("dechets verts", "vegetaux", "jardin", "tontes"), "mdi:leaf"),
    (
        ("ordures", "om", "omr", "residuels", "residuelles", "non recyclables", "gris"),
        "mdi:trash-can",
    ),
    (
        ("emballages", "recyclables", "tri", "selectif", "jaune", "plastiques", "multimateriaux"),
        "mdi:recycle",
    ),
    (("papiers", "cartons", "journaux", "bleu"), "mdi:newspaper-variant-outline"),
    (("verre",), "mdi:bottle-wine"),
    (
        ("biodechets", "bio", "fermentescibles", "alimentaires", "organiques", "marron"),
        "mdi:food-apple",
    ),
    (("encombrants",), "mdi:sofa"),
    (("textiles", "tlc", "vetements"), "mdi:tshirt-crew"),
    (("borne", "pav", "apport volontaire", "conteneur"), "mdi:inbox-arrow-down"),
)
_KEYWORDS: Final = tuple(
    (tuple(_words(keyword) for keyword in keywords), icon) for keywords, icon in _ICONS
)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    return any(
        words[start : start + len(phrase)] == phrase
        for start in range(len(words) - len(phrase) + 1)
    )


def waste_type_icon(label: str) -> str:
    """Return the Material Design icon of a waste type, from the portal's label of it."""
    words = _words(label)
    for phrases, icon in _KEYWORDS:
        if any(_contains(words, phrase) for phrase in phrases):
            return icon
    return DEFAULT_ICON


class Anomaly(StrEnum):
    """Why a pickup is worth checking with the collectivité (residents dispute these)."""

    DUPLICATE = "duplicate"
    """A second pickup of the same bin within DUPLICATE_WINDOW of the one before (of the
    same waste type where the portal gives no bin numbers)."""
    ZERO_WEIGHT = "zero_weight"
    """Weighed at 0 kg (a pickup not weighed at all is not one)."""


DUPLICATE_WINDOW: Final = timedelta(hours=1)


def pickup_anomalies(pickups: Iterable[Pickup]) -> dict[Pickup, Anomaly]:
    """Return the pickups to check, and why, among an account's pickups (oldest first).

    Of two pickups of a bin within the hour, the later one is the duplicate; a
    duplicate weighed at 0 kg is reported as the duplicate. Two bins of one type (a
    business, a building), told apart by their bin and chip numbers, are no duplicate.
    """
    anomalies: dict[Pickup, Anomaly] = {}
    previous: dict[tuple[int, str | None, str | None], Pickup] = {}
    for pickup in pickups:
        bin_key = (pickup.waste_type_id, pickup.bin_number, pickup.chip_number)
        before = previous.get(bin_key)
        previous[bin_key] = pickup
        if before is not None and pickup.date - before.date < DUPLICATE_WINDOW:
            anomalies[pickup] = Anomaly.DUPLICATE
        elif pickup.weight == 0:
            anomalies[pickup] = Anomaly.ZERO_WEIGHT
    return anomalies
