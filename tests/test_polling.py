"""When the coordinator asks the portal: planned polls, update_entity, polling off, restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.ecocito.api.portal import (
    PATH_LOGIN,
    PATH_PICKUPS,
    PATH_SWITCH_ACCOUNT,
    PATH_VISITS,
)
from custom_components.ecocito.const import EVENT_PICKUP
from custom_components.ecocito.coordinator import EcocitoCoordinator
from custom_components.ecocito.schedule import BEFORE_WINDOW, FREQUENT, IRREGULAR

from .conftest import FROZEN_NOW
from .helpers import login_uid, registered
from .portal import PortalSimulator
from .portal.scenarios import DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID
from .portal.state import PARIS

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

FRIDAY = datetime(2026, 11, 27, tzinfo=PARIS)
"""The day after FROZEN_NOW: the main account's waste type 17 is collected on Fridays."""


async def planned_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, coordinator: EcocitoCoordinator
) -> None:
    """Move to the planned poll and run it, as the coordinator's own timer would."""
    assert coordinator.next_poll is not None
    freezer.move_to(coordinator.next_poll)
    # What the timer does when it fires (it is then no longer pending).
    coordinator._unschedule_refresh()
    await coordinator._handle_refresh_interval()
    await hass.async_block_till_done()


def next_poll_state(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = registered(er.async_get(hass), Platform.SENSOR, login_uid(entry, "next_poll"))
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_next_poll_sensor_and_a_planned_poll(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The second account has no rhythm: read again in 4 h, its waste types only."""
    coordinator: EcocitoCoordinator = init_integration.runtime_data
    planned = FROZEN_NOW + IRREGULAR
    assert coordinator.next_poll == planned
    assert coordinator.update_interval == IRREGULAR
    assert next_poll_state(hass, init_integration) == dt_util.as_utc(planned).isoformat()

    simulator.reset_requests()
    await planned_poll(hass, freezer, coordinator)
    # No visits, not the main account: a switch (a login first: the session expired
    # after 20 min of silence, so the first switch is refused), its two tables.
    assert simulator.count(PATH_LOGIN, "POST") == 1
    assert simulator.count(PATH_VISITS) == 0
    assert simulator.count(PATH_SWITCH_ACCOUNT) == 2
    tables = [r for r in simulator.requests if r.path == PATH_PICKUPS]
    assert [r.account_id for r in tables] == [DEMO_SECOND_ACCOUNT_ID] * 2
    assert coordinator.last_update_success
    assert (
        next_poll_state(hass, init_integration)
        == dt_util.as_utc(coordinator.next_poll or FROZEN_NOW).isoformat()
    )
    assert coordinator.next_poll is not None
    assert coordinator.next_poll > planned


async def test_update_entity_reads_the_whole_login(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """homeassistant.update_entity asks for everything, whatever the plan."""
    await async_setup_component(hass, "homeassistant", {})
    entity_id = registered(
        er.async_get(hass), Platform.SENSOR, login_uid(init_integration, "next_poll")
    )
    simulator.reset_requests()
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await hass.async_block_till_done()
    assert simulator.count(PATH_LOGIN, "POST") == 1
    assert simulator.count(PATH_VISITS) == 2


async def test_window_after_the_expected_pickup(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Friday's window opens at the usual hour plus the delay; the pickup shows within
    FREQUENT of its publication, its delay is learnt, and the window closes."""
    coordinator: EcocitoCoordinator = init_integration.runtime_data
    events = async_capture_events(hass, EVENT_PICKUP)
    key = (DEMO_MAIN_ACCOUNT_ID, 17)
    rhythm = coordinator.tables[key].rhythm
    assert rhythm is not None
    assert rhythm.weekdays == {4}
    opens = FRIDAY + rhythm.earliest + timedelta(hours=1) - BEFORE_WINDOW
    while coordinator.next_poll is not None and coordinator.next_poll < opens:
        await planned_poll(hass, freezer, coordinator)
    assert coordinator.plan is not None
    assert coordinator.next_poll == opens
    assert key in coordinator.plan.due

    await planned_poll(hass, freezer, coordinator)  # nothing published yet
    assert events == []
    assert coordinator.next_poll == opens + FREQUENT
    published = opens + timedelta(minutes=5)
    simulator.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 17, published - timedelta(minutes=40), 2.5)
    simulator.reset_requests()
    await planned_poll(hass, freezer, coordinator)
    assert [e.data["waste_type_id"] for e in events] == [17]
    tables = [r for r in simulator.requests if r.path == PATH_PICKUPS]
    assert [r.account_id for r in tables] == [DEMO_MAIN_ACCOUNT_ID]
    assert simulator.count(PATH_VISITS) == 0
    # Seen between the two reads: the midpoint less the pickup's time.
    assert coordinator.tables[key].delay == FREQUENT / 2 + timedelta(minutes=40 - 5)
    # The window is closed: Friday's next read of type 17 is the following week's.
    assert coordinator.plan is not None
    assert key not in coordinator.plan.due or coordinator.plan.full

    # A restart: the rhythm comes back from the data, the delay from the store.
    before = coordinator.tables
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    after = init_integration.runtime_data.tables
    assert after[key].delay == before[key].delay
    assert {k: t.rhythm for k, t in after.items()} == {k: t.rhythm for k, t in before.items()}


async def test_polling_disabled(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With "Activer l'interrogation" off, the schedule never asks the portal."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, pref_disable_polling=True)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert next_poll_state(hass, mock_config_entry) == "unknown"
    simulator.reset_requests()
    freezer.tick(timedelta(days=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert simulator.requests == []
