"""The coordinator against the simulator: polls, accounts coming and going, failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ecocito.api.portal import (
    PATH_BORNE_DROP_OFFS,
    PATH_COLLECTION_PAGE,
    PATH_LOGIN,
    PATH_PICKUPS,
    PATH_SWITCH_ACCOUNT,
    PATH_VISITS,
    QUERY_START,
)
from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import (
    CONF_HISTORY_YEARS,
    DOMAIN,
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
)
from custom_components.ecocito.coordinator import UPDATE_INTERVAL

from .conftest import DEMO_TITLE, FROZEN_NOW
from .helpers import (
    account_device,
    account_schedule,
    find_device,
    login_uid,
    next_poll,
    poll,
    registered,
    scoped,
)
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_LABEL,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
)

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

DATA_PATHS = (PATH_PICKUPS, PATH_VISITS)


def data_starts(simulator: PortalSimulator) -> set[str]:
    """The `dateDebut` of every pickup/visit request since the last reset."""
    return {r.query[QUERY_START] for r in simulator.requests if r.path in DATA_PATHS}


async def test_no_rhythm_keeps_four_hours(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The second account's few pickups have no rhythm: it is read again in 4 hours,
    as every account was before the schedule (the fallback)."""
    coordinator = init_integration.runtime_data
    assert coordinator.update_interval == UPDATE_INTERVAL
    assert next_poll(hass, init_integration) == FROZEN_NOW + UPDATE_INTERVAL
    second = await account_schedule(hass, init_integration, DEMO_SECOND_ACCOUNT_ID)
    assert [table["rhythm"] for table in second.values()] == [None, None]
    main = await account_schedule(hass, init_integration, DEMO_MAIN_ACCOUNT_ID)
    assert all(table["rhythm"] is not None for table in main.values())


async def test_devices(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """One device per linked account, named after its label, and one for the login.

    An account's identifier is scoped by the portal's host (and port), never the e-mail.
    """
    host = simulator.base_url.removeprefix("http://")
    for account_id, label in (
        (DEMO_MAIN_ACCOUNT_ID, DEMO_MAIN_LABEL),
        (DEMO_SECOND_ACCOUNT_ID, DEMO_SECOND_LABEL),
    ):
        device = account_device(device_registry, account_id)
        assert device is not None
        assert device.identifiers == {(DOMAIN, f"{host}_{account_id}")}
        # Named after its address (the label without its number), the number apart.
        assert device.name == label.split(" - ", 1)[1]
        assert device.serial_number == str(account_id)
        assert device.manufacturer == "Ecocito"
        assert device.model == "Point de production"
        assert device.configuration_url == simulator.base_url
        assert device.entry_type is dr.DeviceEntryType.SERVICE
    login = find_device(device_registry, init_integration.entry_id)
    assert login is not None
    assert login.name == DEMO_TITLE
    assert login.configuration_url == simulator.base_url
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert len(devices) == 4  # the login, two accounts, and the second account's workshop
    unique_ids = {
        entity.unique_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
    }
    assert f"{host}_{DEMO_MAIN_ACCOUNT_ID}_pickups_15" in unique_ids
    assert f"{host}_{init_integration.entry_id}_linked_accounts" in unique_ids
    assert all(unique_id.startswith(f"{host}_") for unique_id in unique_ids)
    assert not [unique_id for unique_id in unique_ids if DEMO_LOGIN in unique_id]


async def test_steady_poll_request_budget(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A full read costs 2 + Σ(3 + a switch but for the login's first account) requests;
    once a day, the past years and the borne statistics too.

    Within the budget of 2 + Σ(types + 4) + Σ(types with borne openings this year).
    """
    # Setup read the past years too, and the borne statistics of every year kept.
    assert data_starts(simulator) == {"2024-01-01T00:00:00.000Z"}
    # Per account and year, every type together; then per type (2) each year the second
    # account opened its packaging borne (every year: the holidays).
    assert simulator.count(PATH_BORNE_DROP_OFFS) == 3 + 3 + 2 * 3

    for _ in range(2):
        simulator.reset_requests()
        await poll(hass, init_integration)
        # login (POST + its redirect), then per account: its collection page, one
        # GetCollecte for every waste type (the rows say their type), one GetApport;
        # the second account's switch first (the session starts on the first).
        assert simulator.count() == 2 + 3 + (1 + 3) == 9 < 2 + (3 + 4) + (2 + 4) + 2
        assert simulator.count(PATH_LOGIN, "POST") == 1
        assert simulator.count(PATH_SWITCH_ACCOUNT, "POST") == 1
        assert simulator.count(PATH_COLLECTION_PAGE) == 2
        assert simulator.count(PATH_PICKUPS) == 2
        assert simulator.count(PATH_VISITS) == 2
        assert simulator.count(PATH_BORNE_DROP_OFFS) == 0  # read once a day
        assert data_starts(simulator) == {"2026-01-01T00:00:00.000Z"}
        assert all(r.status < 400 for r in simulator.requests)

    # The next day, the first poll reads the past years and bornes again, and only it.
    freezer.move_to(FROZEN_NOW + timedelta(days=1))
    simulator.reset_requests()
    await poll(hass, init_integration)
    assert data_starts(simulator) == {"2024-01-01T00:00:00.000Z"}
    assert simulator.count(PATH_BORNE_DROP_OFFS) == 3 + 3 + 2 * 3
    simulator.reset_requests()
    await poll(hass, init_integration)
    assert simulator.count() == 9
    assert data_starts(simulator) == {"2026-01-01T00:00:00.000Z"}


async def test_changed_accounts_are_written_one_loop_turn_each(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A poll that changed two accounts writes each one's entities in a loop turn of its own.

    A login with many accounts so never holds Home Assistant's event loop for all of
    their entities at once.
    """
    second_type = next(iter(simulator.state.get_account(DEMO_SECOND_ACCOUNT_ID).waste_types))
    main, second = (
        registered(entity_registry, Platform.SENSOR, scoped(hass, f"{account}_pickups_{kind}"))
        for account, kind in ((DEMO_MAIN_ACCOUNT_ID, 15), (DEMO_SECOND_ACCOUNT_ID, second_type))
    )
    before = {entity_id: int(hass.states.get(entity_id).state) for entity_id in (main, second)}
    simulator.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 15, FROZEN_NOW - timedelta(hours=1), 10.0)
    simulator.state.add_pickup(
        DEMO_SECOND_ACCOUNT_ID, second_type, FROZEN_NOW - timedelta(hours=1), 4.0
    )
    second_in_the_next_turn: list[str] = []

    @callback
    def written(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == main:
            hass.loop.call_soon(
                lambda: second_in_the_next_turn.append(hass.states.get(second).state)
            )

    hass.bus.async_listen(EVENT_STATE_CHANGED, written)
    await poll(hass, init_integration)

    assert hass.states.get(main).state == str(before[main] + 1)
    assert hass.states.get(second).state == str(before[second] + 1)
    # The loop ran something else between the first account's writes and the second's.
    assert second_in_the_next_turn == [str(before[second])]


async def test_no_history_reads_the_current_year_only(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """With no past year kept, even the first poll of a day reads this year only."""
    hass.config_entries.async_update_entry(init_integration, options={CONF_HISTORY_YEARS: 0})
    await hass.async_block_till_done()
    simulator.reset_requests()
    await poll(hass, init_integration)
    assert simulator.count() == 9
    assert data_starts(simulator) == {"2026-01-01T00:00:00.000Z"}


async def test_account_linked_on_the_portal(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """An account linked elsewhere gets its device and entities at the next poll."""
    entry = init_integration
    linked_events = async_capture_events(hass, EVENT_ACCOUNT_LINKED)
    unlinked_events = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    accounts_event = registered(entity_registry, Platform.EVENT, login_uid(entry, "accounts"))
    linked_sensor = registered(
        entity_registry, Platform.SENSOR, login_uid(entry, "linked_accounts")
    )
    select = registered(entity_registry, Platform.SELECT, login_uid(entry, "active_account"))
    assert hass.states.get(linked_sensor).state == "2"
    assert hass.states.get(accounts_event).state == "unknown"
    assert account_device(device_registry, DEMO_LINKABLE_ACCOUNT_ID) is None
    coordinator = entry.runtime_data

    simulator.state.link(DEMO_LOGIN, DEMO_LINKABLE_ACCOUNT_ID)
    freezer.tick(1)
    await poll(hass, entry)

    device = account_device(device_registry, DEMO_LINKABLE_ACCOUNT_ID)
    assert device is not None
    assert device.name == DEMO_LINKABLE_LABEL.split(" - ", 1)[1]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is coordinator  # no reload
    # Its sensors (5 with the next pickup for its one waste type lifted in the years
    # kept, its other one never: none; visits x 2), its missed pickup sensor (one per
    # waste type lifted) and its pickup event.
    entities = er.async_entries_for_device(entity_registry, device.id)
    assert sum(entity.domain == Platform.SENSOR for entity in entities) == 1 * 5 + 2
    assert sum(entity.domain == Platform.BINARY_SENSOR for entity in entities) == 1
    assert sum(entity.domain == Platform.EVENT for entity in entities) == 1
    for entity in entities:
        state = hass.states.get(entity.entity_id)
        assert state is not None
        assert state.state != STATE_UNAVAILABLE

    assert [event.data for event in linked_events] == [
        {
            "config_entry_id": entry.entry_id,
            "account_id": DEMO_LINKABLE_ACCOUNT_ID,
            "label": DEMO_LINKABLE_LABEL,
        }
    ]
    assert unlinked_events == []
    event_state = hass.states.get(accounts_event)
    assert event_state.state not in ("unknown", STATE_UNAVAILABLE)
    assert event_state.attributes["event_type"] == "account_linked"
    assert event_state.attributes["account_id"] == DEMO_LINKABLE_ACCOUNT_ID
    assert event_state.attributes["label"] == DEMO_LINKABLE_LABEL
    assert hass.states.get(linked_sensor).state == "3"
    assert hass.states.get(select).attributes["options"] == [
        DEMO_MAIN_LABEL,
        DEMO_SECOND_LABEL,
        DEMO_LINKABLE_LABEL,
    ]

    # The next poll brings nothing new.
    fired = event_state.state
    freezer.tick(1)
    await poll(hass, entry)
    assert len(linked_events) == 1
    assert hass.states.get(accounts_event).state == fired


async def test_account_unlinked_on_the_portal(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """An account missing from 3 polls in a row loses its device; the select falls back.

    Until then its device, entities and figures stay, and nothing fires.
    """
    entry = init_integration
    coordinator = entry.runtime_data
    unlinked_events = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    accounts_event = registered(entity_registry, Platform.EVENT, login_uid(entry, "accounts"))
    select = registered(entity_registry, Platform.SELECT, login_uid(entry, "active_account"))
    active_pickups = registered(
        entity_registry, Platform.SENSOR, login_uid(entry, "pickups_active")
    )
    device = account_device(device_registry, DEMO_MAIN_ACCOUNT_ID)
    assert device is not None
    entity_ids = [e.entity_id for e in er.async_entries_for_device(entity_registry, device.id)]
    assert entity_ids
    assert hass.states.get(select).state == DEMO_MAIN_LABEL

    states = {entity_id: hass.states.get(entity_id).state for entity_id in entity_ids}
    simulator.state.unlink(DEMO_LOGIN, DEMO_MAIN_ACCOUNT_ID)
    for _ in range(CONFIRM_AFTER - 1):
        freezer.tick(1)
        await poll(hass, entry)
        assert entry.runtime_data.last_update_success
        assert account_device(device_registry, DEMO_MAIN_ACCOUNT_ID) == device
        assert {entity_id: hass.states.get(entity_id).state for entity_id in entity_ids} == states
        assert unlinked_events == []
        assert hass.states.get(select).state == DEMO_MAIN_LABEL
    freezer.tick(1)
    await poll(hass, entry)

    assert account_device(device_registry, DEMO_MAIN_ACCOUNT_ID) is None
    assert account_device(device_registry, DEMO_SECOND_ACCOUNT_ID) is not None
    for gone in entity_ids:
        assert entity_registry.async_get(gone) is None
        assert hass.states.get(gone) is None
    assert [event.data for event in unlinked_events] == [
        {
            "config_entry_id": entry.entry_id,
            "account_id": DEMO_MAIN_ACCOUNT_ID,
            "label": DEMO_MAIN_LABEL,
        }
    ]
    event_state = hass.states.get(accounts_event)
    assert event_state.attributes["event_type"] == "account_unlinked"
    assert event_state.attributes["account_id"] == DEMO_MAIN_ACCOUNT_ID
    select_state = hass.states.get(select)
    assert select_state.state == DEMO_SECOND_LABEL
    assert select_state.attributes["options"] == [DEMO_SECOND_LABEL]
    assert select_state.attributes["account_id"] == DEMO_SECOND_ACCOUNT_ID
    assert hass.states.get(active_pickups).attributes["account_id"] == DEMO_SECOND_ACCOUNT_ID
    assert entry.runtime_data is coordinator  # no reload

    # Linked again later: a new device with its entities, and a linked event.
    linked_events = async_capture_events(hass, EVENT_ACCOUNT_LINKED)
    simulator.state.link(DEMO_LOGIN, DEMO_MAIN_ACCOUNT_ID)
    freezer.tick(1)
    await poll(hass, entry)
    device = account_device(device_registry, DEMO_MAIN_ACCOUNT_ID)
    assert device is not None
    assert len(er.async_entries_for_device(entity_registry, device.id)) == len(entity_ids)
    for entity in er.async_entries_for_device(entity_registry, device.id):
        assert hass.states.get(entity.entity_id).state != STATE_UNAVAILABLE
    assert len(linked_events) == 1


async def test_account_unlinked_during_a_poll(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """An account listed at login but refused at the switch keeps its device and figures.

    The portal's word is not taken for an unlinking: missing from the next 3 polls'
    lists, it is unlinked.
    """
    client = init_integration.runtime_data.client
    login = client.login

    async def login_then_unlink() -> object:
        accounts = await login()
        simulator.state.unlink(DEMO_LOGIN, DEMO_SECOND_ACCOUNT_ID)
        return accounts

    unlinked_events = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    coordinator = init_integration.runtime_data
    second = coordinator.data.accounts[DEMO_SECOND_ACCOUNT_ID]
    client.login = login_then_unlink
    await poll(hass, init_integration)

    assert coordinator.last_update_success
    assert list(coordinator.data.accounts) == [DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID]
    assert coordinator.data.accounts[DEMO_SECOND_ACCOUNT_ID] is second
    assert account_device(device_registry, DEMO_SECOND_ACCOUNT_ID) is not None
    assert unlinked_events == []

    client.login = login
    for _ in range(CONFIRM_AFTER):
        assert account_device(device_registry, DEMO_SECOND_ACCOUNT_ID) is not None
        await poll(hass, init_integration)
    assert account_device(device_registry, DEMO_SECOND_ACCOUNT_ID) is None
    assert len(unlinked_events) == 1


async def test_account_unlinked_while_home_assistant_was_stopped(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A device whose account vanished while the entry was not running is removed too.

    Not at setup on the word of one poll: after 3 polls in a row, restarts included.
    """
    device = account_device(device_registry, DEMO_SECOND_ACCOUNT_ID)
    assert device is not None
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    simulator.state.unlink(DEMO_LOGIN, DEMO_SECOND_ACCOUNT_ID)

    unlinked_events = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    entity_ids = {e.entity_id for e in er.async_entries_for_device(entity_registry, device.id)}
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    # Missing at the first poll: kept, its entities unavailable (no data yet).
    assert account_device(device_registry, DEMO_SECOND_ACCOUNT_ID) == device
    for entity_id in entity_ids:
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    await poll(hass, init_integration)
    # A restart keeps the count: the third poll, after it, unlinks.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert account_device(device_registry, DEMO_SECOND_ACCOUNT_ID) is None
    assert er.async_entries_for_device(entity_registry, device.id) == []
    assert [event.data["account_id"] for event in unlinked_events] == [DEMO_SECOND_ACCOUNT_ID]
    assert account_device(device_registry, DEMO_MAIN_ACCOUNT_ID) is not None
    login = find_device(device_registry, init_integration.entry_id)
    assert login is not None


async def test_a_stale_absence_in_the_store_is_forgotten(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A stored absence of an account without a device is dropped at the first poll.

    Linked later, that account is unlinked only after CONFIRM_AFTER absences of its own.
    """
    entry = mock_config_entry
    entry.add_to_hass(hass)
    key = f"{DOMAIN}.{entry.entry_id}"
    stale = {str(DEMO_LINKABLE_ACCOUNT_ID): CONFIRM_AFTER - 1}
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"absent": stale}}
    unlinked = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"]["absent"] == {}

    simulator.state.link(DEMO_LOGIN, DEMO_LINKABLE_ACCOUNT_ID)
    await poll(hass, entry)
    device = account_device(device_registry, DEMO_LINKABLE_ACCOUNT_ID)
    assert device is not None
    simulator.add_fault(Fault(FaultKind.ACCOUNT_HIDDEN, account_id=DEMO_LINKABLE_ACCOUNT_ID))
    await poll(hass, entry)
    assert account_device(device_registry, DEMO_LINKABLE_ACCOUNT_ID) == device
    assert unlinked == []
