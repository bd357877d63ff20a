"""When the coordinator asks the portal: planned polls, update_entity, polling off, restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
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
from .helpers import account_schedule, login_uid, next_poll, registered
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
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Move to the poll the *Next poll* sensor shows and run it, as the timer would."""
    planned = next_poll(hass, entry)
    assert planned is not None
    freezer.move_to(planned)
    # What the coordinator's timer does when it fires (it is then no longer pending).
    coordinator: EcocitoCoordinator = entry.runtime_data
    coordinator._unschedule_refresh()
    await coordinator._handle_refresh_interval()
    await hass.async_block_till_done()


def looks(simulator: PortalSimulator) -> list[int | None]:
    """The account of every look since the last reset: one row of every waste type."""
    return [
        record.account_id
        for record in simulator.requests
        if record.path == PATH_PICKUPS and record.query["take"] == "1"
    ]


def read_tables(simulator: PortalSimulator) -> list[int | None]:
    """The account of every read of pickups since the last reset (of every waste type)."""
    return [
        record.account_id
        for record in simulator.requests
        if record.path == PATH_PICKUPS and record.query["take"] != "1"
    ]


def clock(text: str) -> timedelta:
    """Read a time of day as diagnostics write it ("5:34:39")."""
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


async def test_next_poll_sensor_and_a_planned_poll(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The second account has no rhythm: looked at again in 4 h, and only it."""
    coordinator: EcocitoCoordinator = init_integration.runtime_data
    planned = FROZEN_NOW + IRREGULAR
    assert next_poll(hass, init_integration) == planned
    assert coordinator.update_interval == IRREGULAR

    simulator.reset_requests()
    await planned_poll(hass, freezer, init_integration)
    # No visits, not the main account: a look at its pickups of every type (one row:
    # its total says nothing arrived, so nothing is read). The session, still on that
    # account, expired after 20 min of silence: the portal answers with its login
    # page, then a login, the switch back, the same look.
    assert simulator.count(PATH_LOGIN, "POST") == 1
    assert simulator.count(PATH_VISITS) == 0
    assert simulator.count(PATH_SWITCH_ACCOUNT) == 1
    assert looks(simulator) == [DEMO_SECOND_ACCOUNT_ID] * 2
    assert read_tables(simulator) == []
    assert coordinator.last_update_success
    after = next_poll(hass, init_integration)
    assert after is not None
    assert after > planned
    assert coordinator.update_interval == after - planned


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
    events = async_capture_events(hass, EVENT_PICKUP)
    learnt = (await account_schedule(hass, init_integration, DEMO_MAIN_ACCOUNT_ID))[17]
    assert learnt["rhythm"]["weekdays"] == [4]
    assert learnt["publication_delay"] == "1:00:00"  # not measured yet
    opens = FRIDAY + clock(learnt["rhythm"]["earliest"]) + timedelta(hours=1) - BEFORE_WINDOW
    while (planned := next_poll(hass, init_integration)) is not None and planned < opens:
        await planned_poll(hass, freezer, init_integration)
    assert next_poll(hass, init_integration) == opens

    simulator.reset_requests()
    await planned_poll(hass, freezer, init_integration)  # nothing published yet
    assert looks(simulator) == [DEMO_MAIN_ACCOUNT_ID]
    assert read_tables(simulator) == []
    assert events == []
    assert next_poll(hass, init_integration) == opens + FREQUENT
    published = opens + timedelta(minutes=5)
    simulator.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 17, published - timedelta(minutes=40), 2.5)
    simulator.reset_requests()
    await planned_poll(hass, freezer, init_integration)
    assert [e.data["waste_type_id"] for e in events] == [17]
    assert looks(simulator) == [DEMO_MAIN_ACCOUNT_ID]
    assert read_tables(simulator) == [DEMO_MAIN_ACCOUNT_ID]  # the look saw a new row
    assert simulator.count() == 2  # the session stayed open: no login, no switch
    assert simulator.count(PATH_VISITS) == 0
    # Seen between the two reads: the midpoint less the pickup's time.
    learnt = (await account_schedule(hass, init_integration, DEMO_MAIN_ACCOUNT_ID))[17]
    assert clock(learnt["publication_delay"]) == FREQUENT / 2 + timedelta(minutes=40 - 5)
    # The window is closed: the next poll does not look at the main account this Friday.
    simulator.reset_requests()
    await planned_poll(hass, freezer, init_integration)
    assert DEMO_MAIN_ACCOUNT_ID not in looks(simulator) or simulator.count(PATH_VISITS)

    # A restart: the rhythm comes back from the data, the delay from the store.
    before = {
        account_id: await account_schedule(hass, init_integration, account_id)
        for account_id in (DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID)
    }
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    for account_id, schedule in before.items():
        after = await account_schedule(hass, init_integration, account_id)
        assert {
            type_id: (table["rhythm"], table["publication_delay"])
            for type_id, table in after.items()
        } == {
            type_id: (table["rhythm"], table["publication_delay"])
            for type_id, table in schedule.items()
        }
    restored = (await account_schedule(hass, init_integration, DEMO_MAIN_ACCOUNT_ID))[17]
    assert clock(restored["publication_delay"]) == FREQUENT / 2 + timedelta(minutes=40 - 5)


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
    assert next_poll(hass, mock_config_entry) is None
    simulator.reset_requests()
    freezer.tick(timedelta(days=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert simulator.requests == []
