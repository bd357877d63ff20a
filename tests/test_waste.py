"""The icon of a waste type, from the portal's label."""

from __future__ import annotations

import pytest

from custom_components.ecocito.waste import DEFAULT_ICON, waste_type_icon

from .portal.scenarios import (
    BORNES_WASTE_TYPES,
    DEMO_WASTE_TYPES,
    EMPTY_WASTE_TYPES,
    LARGE_WASTE_TYPES,
)


def test_simulator_labels() -> None:
    """Every waste type of the simulator's scenarios has its own icon."""
    labels = {
        *DEMO_WASTE_TYPES.values(),
        *EMPTY_WASTE_TYPES.values(),
        *LARGE_WASTE_TYPES.values(),
        *BORNES_WASTE_TYPES.values(),
    }
    assert {label: waste_type_icon(label) for label in labels} == {
        "Ordures ménagères": "mdi:trash-can",
        "Emballages": "mdi:recycle",
        "Biodéchets": "mdi:food-apple",
        "Verre": "mdi:bottle-wine",
        "Papiers": "mdi:newspaper-variant-outline",
    }


@pytest.mark.parametrize(
    ("label", "icon"),
    [
        ("ORDURES MENAGERES", "mdi:trash-can"),
        ("Ordure ménagère", "mdi:trash-can"),
        ("OMR", "mdi:trash-can"),
        ("Déchets résiduels", "mdi:trash-can"),
        ("Déchets non recyclables", "mdi:trash-can"),
        ("Emballage", "mdi:recycle"),
        ("Recyclables", "mdi:recycle"),
        ("Tri sélectif", "mdi:recycle"),
        ("Bac jaune", "mdi:recycle"),
        ("Papiers / Cartons", "mdi:newspaper-variant-outline"),
        ("Cartons", "mdi:newspaper-variant-outline"),
        ("Verres", "mdi:bottle-wine"),
        ("Bio-déchets", "mdi:food-apple"),
        ("Déchets verts", "mdi:leaf"),
        ("DECHET VERT", "mdi:leaf"),
        ("Encombrants", "mdi:sofa"),
        ("Textiles", "mdi:tshirt-crew"),
        ("Borne", "mdi:inbox-arrow-down"),
        ("Borne à verre", "mdi:bottle-wine"),
        ("Apport volontaire", "mdi:inbox-arrow-down"),
        ("Déchets verts et végétaux", "mdi:leaf"),
        ("Divers", DEFAULT_ICON),
        ("", DEFAULT_ICON),
    ],
)
def test_real_labels(label: str, icon: str) -> None:
    """Labels as collectivités write them: accents, case and plural do not matter."""
    assert waste_type_icon(label) == icon
