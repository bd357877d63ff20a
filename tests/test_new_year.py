"""The night of 31 December: the year's figures whole, then a new year from zero.

The clock is pinned at 23:50 on 31 December 2026, Paris time, then moved into 2027:
what the user sees of this year's counters, the past years, the allowance and the
pickup events across the turn of the year.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.ecocito.const import (
    CONF_ALLOWANCES,
    CONF_HISTORY_YEARS,
    DOMAIN,
    EVENT_PICKUP,
)

from .helpers import poll, registered, scoped
from .portal import PortalSimulator
from .portal.scenarios import DEMO_MAIN_ACCOUNT_ID
from .portal.state import PARIS

NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 50, tzinfo=PARIS)

pytestmark = [
    pytest.mark.freeze_time(NEW_YEARS_EVE),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

MAIN = DEMO_MAIN_ACCOUNT_ID
RESIDUAL = 15
TYPES = (15, 16, 17)
INCLUDED = 60
"""Residual-waste pickups the allowance includes each year."""


def sensor(hass: HomeAssistant, unscoped: str) -> State:
    """Return the state of one of the main account's sensors."""
    entity_id = registered(er.async_get(hass), Platform.SENSOR, scoped(hass, unscoped))
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def portal_counts(simulator: PortalSimulator, year: int, type_id: int) -> int:
    """Return the main account's pickups of one type in one year, on the portal."""
    return sum(
        1
        for pickup in simulator.state.get_account(MAIN).pickups
        if pickup.type_id == type_id and pickup.when.year == year
    )


async def at(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PortalSimulator,
    when: tuple[int, int, int, int, int],
) -> None:
    """Move Home Assistant's clock and the portal's to ``when`` (Paris time)."""
    year, month, day, hour, minute = when
    moment = datetime(year, month, day, hour, minute, tzinfo=PARIS)
    freezer.move_to(moment)
    simulator.state.now = moment.replace(tzinfo=None)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done()


@pytest.fixture
async def entry(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry with two past years and a residual-waste allowance, set up."""
    simulator.state.now = NEW_YEARS_EVE.replace(tzinfo=None)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            CONF_HISTORY_YEARS: 2,
            CONF_ALLOWANCES: {str(MAIN): {"included": {str(RESIDUAL): INCLUDED}, "price": 2}},
        },
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


async def test_the_night_of_31_december(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Whole at 23:50; from 0 on 1 January, 2026 among the past years; one event per lift."""
    bus = async_capture_events(hass, EVENT_PICKUP)
    used = portal_counts(simulator, 2026, RESIDUAL)
    assert 40 < used < INCLUDED  # a year of weekly rounds, within the allowance

    # 23:50: every pickup of the year counts.
    for type_id in TYPES:
        pickups = sensor(hass, f"{MAIN}_pickups_{type_id}")
        assert pickups.state == str(portal_counts(simulator, 2026, type_id)), type_id
        assert pickups.attributes["last_reset"] == "2026-01-01T00:00:00+01:00"
        assert pickups.attributes["previous_years"] == {
            "2025": portal_counts(simulator, 2025, type_id),
            "2024": portal_counts(simulator, 2024, type_id),
        }
    assert sensor(hass, f"{MAIN}_allowance_remaining_{RESIDUAL}").state == str(INCLUDED - used)

    # 00:20 on 1 January: this year starts from zero; 2026 joins the past years, 2024 goes.
    await at(hass, freezer, simulator, (2027, 1, 1, 0, 20))
    await poll(hass, entry)
    assert entry.runtime_data.data.year == 2027
    for type_id in TYPES:
        pickups = sensor(hass, f"{MAIN}_pickups_{type_id}")
        assert pickups.state == "0", type_id
        assert pickups.attributes["last_reset"] == "2027-01-01T00:00:00+01:00"
        assert pickups.attributes["previous_years"] == {
            "2026": portal_counts(simulator, 2026, type_id),
            "2025": portal_counts(simulator, 2025, type_id),
        }
        assert float(sensor(hass, f"{MAIN}_weight_{type_id}").state) == 0
        assert sensor(hass, f"{MAIN}_last_pickup_{type_id}").state == "unknown"
    assert sensor(hass, f"{MAIN}_allowance_remaining_{RESIDUAL}").state == str(INCLUDED)
    assert sensor(hass, f"{MAIN}_allowance_extra_{RESIDUAL}").state == "0"
    assert bus == []
    # What was seen is kept for the years kept only: nothing of 2024 is stored any more.
    seen = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["seen"][str(MAIN)]
    # Every pickup from 1 January 2025 on has been seen (Paris time).
    floor = datetime(2025, 1, 1, tzinfo=PARIS).timestamp()
    assert set(seen["floors"].values()) == {floor}
    first = min(min(times) for *_group, times in seen["pickups"])
    assert datetime.fromtimestamp(first, PARIS).date() >= date(2025, 1, 1)

    # A later poll of the night: still nothing of the old year fires.
    await at(hass, freezer, simulator, (2027, 1, 1, 2, 0))
    await poll(hass, entry)
    assert bus == []

    # The year's first lift counts 1 and fires once.
    simulator.state.add_pickup(MAIN, RESIDUAL, datetime(2027, 1, 1, 6, 30, tzinfo=PARIS), 11.0)
    await at(hass, freezer, simulator, (2027, 1, 1, 8, 0))
    await poll(hass, entry)
    await poll(hass, entry)
    assert [(e.data["waste_type_id"], e.data["date"]) for e in bus] == [
        (RESIDUAL, "2027-01-01T06:30:00+01:00")
    ]
    assert sensor(hass, f"{MAIN}_pickups_{RESIDUAL}").state == "1"
    assert sensor(hass, f"{MAIN}_allowance_remaining_{RESIDUAL}").state == str(INCLUDED - 1)


async def test_a_lift_of_31_december_uploaded_after_midnight(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """A truck's last lift of the year, uploaded on 1 January: one event, counted in 2026."""
    bus = async_capture_events(hass, EVENT_PICKUP)
    used = portal_counts(simulator, 2026, RESIDUAL)
    simulator.state.add_pickup(
        MAIN,
        RESIDUAL,
        datetime(2026, 12, 31, 23, 40, tzinfo=PARIS),
        6.0,
        published=datetime(2027, 1, 1, 0, 10, tzinfo=PARIS),
    )
    await poll(hass, entry)
    assert bus == []  # not published yet

    await at(hass, freezer, simulator, (2027, 1, 1, 0, 20))
    await poll(hass, entry)
    await poll(hass, entry)
    assert [(e.data["waste_type_id"], e.data["date"]) for e in bus] == [
        (RESIDUAL, "2026-12-31T23:40:00+01:00")
    ]
    pickups = sensor(hass, f"{MAIN}_pickups_{RESIDUAL}")
    assert pickups.state == "0"
    assert pickups.attributes["previous_years"]["2026"] == used + 1
    assert sensor(hass, f"{MAIN}_allowance_remaining_{RESIDUAL}").state == str(INCLUDED)
