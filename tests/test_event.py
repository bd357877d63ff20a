"""The event entities: accounts linked or unlinked, and new pickups."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.event import ATTR_EVENT_TYPE, ATTR_EVENT_TYPES
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.ecocito.const import EVENT_PICKUP

from .conftest import FROZEN_NOW
from .helpers import login_uid, poll, registered, scoped
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
)

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]


@pytest.mark.parametrize("platforms", [[Platform.EVENT]])
async def test_all_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """The login's accounts event and one pickup event per account; none fired yet."""
    await snapshot_platform(hass, entity_registry, sim_snapshot, setup_platforms.entry_id)


@pytest.mark.parametrize("platforms", [[Platform.EVENT]])
async def test_event_types(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, setup_platforms: MockConfigEntry
) -> None:
    """The accounts event has two types, the pickup event one."""
    accounts = hass.states.get(
        registered(entity_registry, Platform.EVENT, login_uid(setup_platforms, "accounts"))
    )
    assert accounts.attributes[ATTR_EVENT_TYPES] == ["account_linked", "account_unlinked"]
    for account_id in (DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID):
        pickup = hass.states.get(
            registered(entity_registry, Platform.EVENT, scoped(hass, f"{account_id}_pickup"))
        )
        assert pickup.attributes[ATTR_EVENT_TYPES] == ["pickup"]
        assert pickup.state == STATE_UNKNOWN


async def test_each_pickup_fires_once(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Two new pickups fire two events; history, the next poll and the select fire none."""
    entity = registered(
        entity_registry, Platform.EVENT, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickup")
    )
    other_entity = registered(
        entity_registry, Platform.EVENT, scoped(hass, f"{DEMO_SECOND_ACCOUNT_ID}_pickup")
    )
    pickups = registered(
        entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_15")
    )
    last_pickup = registered(
        entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_last_pickup_15")
    )
    bus_events = async_capture_events(hass, EVENT_PICKUP)
    fired: list[dict[str, object]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if (
            new_state is not None
            and new_state.entity_id == entity
            and new_state.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        ):
            fired.append(dict(new_state.attributes))

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)

    # Nothing fired at first load, nor at a poll that brings nothing new.
    await poll(hass, init_integration)
    assert bus_events == []
    assert hass.states.get(entity).state == STATE_UNKNOWN
    count = int(hass.states.get(pickups).state)

    simulator.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 15, datetime(2026, 11, 26, 6, 30), 11.2)
    simulator.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 16, datetime(2026, 11, 26, 6, 45), None)
    freezer.tick(1)
    await poll(hass, init_integration)

    # Where: the address the pickup's rows carry, and the device of that place.
    device = dr.async_get(hass).async_get(entity_registry.async_get(entity).device_id)
    first = {
        "config_entry_id": init_integration.entry_id,
        "account_id": DEMO_MAIN_ACCOUNT_ID,
        "address": "12 RUE DES LILAS 23000 GUERET",
        "waste_type_id": 15,
        "waste_type": "Ordures ménagères",
        "date": "2026-11-26T06:30:00+01:00",
        "weight": 11.2,
        "anomaly": None,
        "device_id": device.id,
    }
    last = {
        **first,
        "waste_type_id": 16,
        "waste_type": "Emballages",
        "date": "2026-11-26T06:45:00+01:00",
        "weight": None,
    }
    assert [e.data for e in bus_events] == [first, last]
    # Both were triggered; the entity's state shows the last one.
    state = hass.states.get(entity)
    assert state.attributes[ATTR_EVENT_TYPE] == "pickup"
    assert {key: state.attributes[key] for key in last} == last
    assert [attributes["waste_type"] for attributes in fired] == [
        "Ordures ménagères",
        "Emballages",
    ]
    assert hass.states.get(other_entity).state == STATE_UNKNOWN
    assert hass.states.get(pickups).state == str(count + 1)
    assert hass.states.get(last_pickup).state == "2026-11-26T05:30:00+00:00"

    # The next poll has nothing new; changing the active account notifies the
    # coordinator's listeners: nothing fires.
    shown = state.state
    freezer.tick(1)
    await poll(hass, init_integration)
    freezer.tick(1)
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {
            ATTR_ENTITY_ID: "select.ecocito_gueret_active_account",
            ATTR_OPTION: DEMO_SECOND_LABEL,
        },
        blocking=True,
    )
    await hass.async_block_till_done()
    assert len(fired) == 2
    assert len(bus_events) == 2
    assert hass.states.get(entity).state == shown


async def test_new_account_pickups_fire_from_the_next_poll(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A newly linked account's history fires nothing; its next pickup does."""
    bus_events = async_capture_events(hass, EVENT_PICKUP)
    simulator.state.link(DEMO_LOGIN, DEMO_LINKABLE_ACCOUNT_ID)
    await poll(hass, init_integration)
    entity = registered(
        entity_registry, Platform.EVENT, scoped(hass, f"{DEMO_LINKABLE_ACCOUNT_ID}_pickup")
    )
    assert hass.states.get(entity).state == STATE_UNKNOWN
    assert bus_events == []

    simulator.state.add_pickup(DEMO_LINKABLE_ACCOUNT_ID, 16, datetime(2026, 11, 26, 7, 0), 3.5)
    freezer.tick(1)
    await poll(hass, init_integration)
    assert [e.data["account_id"] for e in bus_events] == [DEMO_LINKABLE_ACCOUNT_ID]
    state = hass.states.get(entity)
    assert state.attributes[ATTR_EVENT_TYPE] == "pickup"
    assert state.attributes["waste_type"] == "Emballages"
    assert state.attributes["weight"] == 3.5


@pytest.mark.parametrize("platforms", [[Platform.EVENT]])
async def test_pickups_to_check_fire_with_their_anomaly(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    http_session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
) -> None:
    """A 0 kg pickup and a duplicate say why to check them, on the bus and on the entity."""
    entity = registered(
        entity_registry, Platform.EVENT, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickup")
    )
    bus_events = async_capture_events(hass, EVENT_PICKUP)
    for type_id, when, reason in (
        (15, "2026-11-26T06:30:00", "zero_weight"),
        (16, "2026-11-26T06:40:00", "duplicate"),
    ):
        async with http_session.post(
            f"{simulator.base_url}/_sim/accounts/{DEMO_MAIN_ACCOUNT_ID}/pickups_to_check",
            json={"type_id": type_id, "date": when, "reason": reason},
        ) as answer:
            assert answer.status == HTTPStatus.OK
    freezer.tick(1)
    await poll(hass, setup_platforms)

    assert [(e.data["waste_type"], e.data["date"], e.data["anomaly"]) for e in bus_events] == [
        ("Ordures ménagères", "2026-11-26T06:30:00+01:00", "zero_weight"),
        ("Emballages", "2026-11-26T06:40:00+01:00", None),
        ("Emballages", "2026-11-26T07:00:00+01:00", "duplicate"),
    ]
    assert hass.states.get(entity).attributes["anomaly"] == "duplicate"
