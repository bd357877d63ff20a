"""Waste types as the portal names them: the icon of a type, from its label."""

from __future__ import annotations

import re
from typing import Final
import unicodedata

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
