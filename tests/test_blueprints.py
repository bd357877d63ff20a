"""The blueprints we ship: valid for Home Assistant's blueprint schema, and they run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.ecocito.const import EVENT_PICKUP_MISSED

from .portal.state import PARIS

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "ecocito"
NAMES = ("put_the_bin_out.yaml", "bin_not_emptied.yaml")
WEDNESDAY_EVENING = datetime(2026, 11, 25, 19, 0, tzinfo=PARIS)

pytestmark = pytest.mark.freeze_time(datetime(2026, 11, 25, 12, 0, tzinfo=PARIS))


def test_the_blueprints_are_all_here() -> None:
    assert sorted(path.name for path in BLUEPRINTS.iterdir()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_valid_blueprint(name: str) -> None:
    """Each loads with Home Assistant's automation blueprint schema, in two languages."""
    path = BLUEPRINTS / name
    blueprint = Blueprint(
        load_yaml(path),
        path=str(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.domain == "automation"
    assert " / " in blueprint.name
    metadata = blueprint.metadata
    assert "**FR**" in metadata["description"]
    assert "**EN**" in metadata["description"]
    assert metadata["source_url"].endswith(f"/blueprints/automation/ecocito/{name}")
    entity_inputs = [
        spec["selector"]["entity"]
        for spec in blueprint.inputs.values()
        if spec and "entity" in spec.get("selector", {})
    ]
    assert entity_inputs
    for selector in entity_inputs:
        assert all(found["integration"] == "ecocito" for found in selector["filter"])


@pytest.fixture
async def automation_with(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Any]:
    """Set up one automation from one of our blueprints, with these inputs (then stop it)."""
    await hass.config.async_set_time_zone("Europe/Paris")
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "ecocito")

    async def setup(name: str, inputs: dict[str, Any]) -> None:
        config = {"use_blueprint": {"path": f"ecocito/{name}", "input": inputs}}
        assert await async_setup_component(hass, "automation", {"automation": [config]})
        await hass.async_block_till_done()

    yield setup
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)


NOTIFY = [{"action": "test.notify", "data": {"message": "{{ message }}"}}]


async def test_put_the_bin_out(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, automation_with: Any
) -> None:
    """At the chosen time, the day before: the bins of tomorrow, a holiday said."""
    calls = async_mock_service(hass, "test", "notify")
    hass.states.async_set(
        "sensor.packaging_next",
        "2026-11-26T05:00:00+00:00",
        {"device_class": "timestamp", "waste_type": "Emballages", "holiday": "Armistice"},
    )
    hass.states.async_set(
        "sensor.residual_next",
        "2026-12-01T05:00:00+00:00",
        {"device_class": "timestamp", "waste_type": "Ordures ménagères", "holiday": None},
    )
    hass.states.async_set("sensor.borne_next", "unknown", {"waste_type": "Verre"})
    await automation_with(
        "put_the_bin_out.yaml",
        {
            "next_pickups": ["sensor.packaging_next", "sensor.residual_next", "sensor.borne_next"],
            "reminder_time": "19:00:00",
            "reminder": NOTIFY,
        },
    )
    freezer.move_to(WEDNESDAY_EVENING)
    async_fire_time_changed(hass, WEDNESDAY_EVENING)
    await hass.async_block_till_done()
    assert [call.data["message"] for call in calls] == [
        "Demain, levée prévue : Emballages. Pensez à sortir le bac ce soir. Attention, jour "
        "férié (Armistice) : la tournée peut être décalée."
    ]

    # Nothing due the next evening.
    thursday = WEDNESDAY_EVENING.replace(day=26)
    freezer.move_to(thursday)
    async_fire_time_changed(hass, thursday)
    await hass.async_block_till_done()
    assert len(calls) == 1


async def test_bin_not_emptied(hass: HomeAssistant, automation_with: Any) -> None:
    """On the missed-pickup event, for the waste types chosen."""
    calls = async_mock_service(hass, "test", "notify")
    hass.states.async_set("binary_sensor.packaging_missed", "on", {"waste_type": "Emballages"})
    await automation_with(
        "bin_not_emptied.yaml",
        {"missed_pickups": ["binary_sensor.packaging_missed"], "language": "en", "alert": NOTIFY},
    )
    data = {"account_id": 104233, "waste_type_id": 16, "holiday": None}
    hass.bus.async_fire(
        EVENT_PICKUP_MISSED, {**data, "waste_type": "Emballages", "expected_date": "2026-11-26"}
    )
    hass.bus.async_fire(
        EVENT_PICKUP_MISSED, {**data, "waste_type": "Biodéchets", "expected_date": "2026-11-27"}
    )
    await hass.async_block_till_done()
    assert [call.data["message"] for call in calls] == [
        "Emballages: the pickup expected on 2026-11-26 did not come. The bin may have been "
        "left full."
    ]


async def test_bin_not_emptied_in_french_for_every_type(
    hass: HomeAssistant, automation_with: Any
) -> None:
    """No waste type chosen: every one; the message in French by default."""
    calls = async_mock_service(hass, "test", "notify")
    await automation_with("bin_not_emptied.yaml", {"alert": NOTIFY})
    hass.bus.async_fire(
        EVENT_PICKUP_MISSED,
        {"account_id": 104233, "waste_type": "Biodéchets", "expected_date": "2026-11-27"},
    )
    await hass.async_block_till_done()
    assert [call.data["message"] for call in calls] == [
        "Biodéchets : la levée prévue le 27/11/2026 n'est pas venue. Le bac est peut-être "
        "resté plein."
    ]
