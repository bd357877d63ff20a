"""The icon of a waste type, from the portal's label; the pickups to check."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from custom_components.ecocito.api import PORTAL_TZ, Pickup
from custom_components.ecocito.models import Anomaly
from custom_components.ecocito.step import DUPLICATE_WINDOW, pickup_anomalies
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


def test_pickups_to_check() -> None:
    """0 kg, or a second pickup of a type within the hour; other types and None kg are fine."""
    morning = datetime(2026, 11, 3, 6, 0, tzinfo=PORTAL_TZ)
    first = Pickup(date=morning, waste_type_id=15, weight=10.0)
    other_type = Pickup(date=morning + timedelta(minutes=5), waste_type_id=16, weight=2.0)
    again = Pickup(date=morning + timedelta(minutes=59), waste_type_id=15, weight=9.0)
    later = Pickup(date=again.date + DUPLICATE_WINDOW, waste_type_id=15, weight=8.0)
    empty = Pickup(date=morning + timedelta(days=7), waste_type_id=15, weight=0.0)
    not_weighed = Pickup(date=morning + timedelta(days=14), waste_type_id=15, weight=None)
    empty_again = Pickup(date=not_weighed.date + timedelta(minutes=10), waste_type_id=15, weight=0)

    assert pickup_anomalies([first, other_type, again, later, empty, not_weighed, empty_again]) == {
        again: Anomaly.DUPLICATE,
        empty: Anomaly.ZERO_WEIGHT,
        empty_again: Anomaly.DUPLICATE,
    }
