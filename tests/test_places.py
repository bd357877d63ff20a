"""Two houses are two places: each address an account's rows carry has its own device.

The demo's second account has a workshop on another site (its rows carry the
workshop's address, with rounds of their own); the main account has one address. As a
resident sees it: devices, sensors, events, the statistics, an existing install.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ecocito.binary_sensor import MISSED_PICKUP
from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import DOMAIN, EVENT_PICKUP, WASTE_TYPE_KEYS
from custom_components.ecocito.entity import place_name
from custom_components.ecocito.models import EcocitoData, Place, address_key
from custom_components.ecocito.sensor import NEXT_PICKUP, WASTE_TYPE_SENSORS
from custom_components.ecocito.statistic_ids import pickups_statistic_id

from .conftest import FROZEN_NOW
from .helpers import account_device, find_device, poll, registered, scoped, statistic_key
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
    DEMO_WORKSHOP_ADDRESS,
)
from .portal.state import PARIS
from .test_get_pickups import get_pickups
from .test_statistics import recorded

pytestmark = pytest.mark.freeze_time(FROZEN_NOW)

MAIN, SECOND = DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID
WORKSHOP = address_key(DEMO_WORKSHOP_ADDRESS)
"""The workshop's key: after the account number in its device's and entities' IDs."""
RESIDUAL, PACKAGING = 15, 16


def this_year(
    simulator: PortalSimulator, account_id: int, type_id: int, address: str | None
) -> int:
    """An account's pickups of a type this year on the portal, at one address (None: its own)."""
    now = FROZEN_NOW.replace(tzinfo=None)
    return sum(
        1
        for p in simulator.state.get_account(account_id).pickups
        if p.type_id == type_id
        and p.when.year == now.year
        and p.when <= now
        and p.address == address
    )


def state_of(hass: HomeAssistant, platform: Platform, unscoped: str) -> Any:
    state = hass.states.get(registered(er.async_get(hass), platform, scoped(hass, unscoped)))
    assert state is not None
    return state


@pytest.mark.usefixtures("enable_custom_integrations")
async def test_a_workshop_is_a_place_of_its_own(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """The second account's workshop: a device of its own, child of the account's, named
    after its address, the account number its serial number; its figures are its own,
    never added to the account's own place's; the active account adds them up."""
    own = account_device(device_registry, SECOND)
    workshop = find_device(device_registry, scoped(hass, f"{SECOND}_{WORKSHOP}"))
    assert own is not None
    assert workshop is not None
    assert own.name == DEMO_SECOND_LABEL.split(" - ", 1)[1]
    assert (workshop.name, workshop.serial_number) == (DEMO_WORKSHOP_ADDRESS, str(SECOND))
    assert workshop.via_device_id == own.id
    assert account_device(device_registry, MAIN) is not None  # one address, one device
    assert find_device(device_registry, scoped(hass, f"{MAIN}_{WORKSHOP}")) is None

    for type_id in (RESIDUAL, PACKAGING):
        at_workshop = this_year(simulator, SECOND, type_id, DEMO_WORKSHOP_ADDRESS)
        at_home = this_year(simulator, SECOND, type_id, None)
        assert at_workshop > 0
        assert state_of(hass, Platform.SENSOR, f"{SECOND}_{WORKSHOP}_pickups_{type_id}").state == (
            str(at_workshop)
        )
        assert state_of(hass, Platform.SENSOR, f"{SECOND}_pickups_{type_id}").state == str(at_home)
    # Visits are the account's: on its own device only.
    assert state_of(hass, Platform.SENSOR, f"{SECOND}_visits").state is not None
    assert (
        er.async_get(hass).async_get_entity_id(
            Platform.SENSOR, DOMAIN, scoped(hass, f"{SECOND}_{WORKSHOP}_visits")
        )
        is None
    )
    # Each place its rhythm: the workshop's residual round is on Wednesdays.
    following = state_of(hass, Platform.SENSOR, f"{SECOND}_{WORKSHOP}_next_pickup_{RESIDUAL}")
    assert datetime.fromisoformat(following.state).astimezone(PARIS).weekday() == 2
    assert following.attributes["rhythm"] == "every Wednesday"
    home = state_of(hass, Platform.SENSOR, f"{SECOND}_next_pickup_{RESIDUAL}")
    assert home.attributes["reason"] == "too_few_pickups"  # the house: in the holidays only


@pytest.mark.usefixtures("enable_custom_integrations")
async def test_a_pickup_at_the_workshop_says_where(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Its event carries the address and the workshop's device; the workshop's *Pickup*
    event entity fires it, the house's does not."""
    workshop = find_device(device_registry, scoped(hass, f"{SECOND}_{WORKSHOP}"))
    assert workshop is not None
    bus = async_capture_events(hass, EVENT_PICKUP)
    simulator.state.add_pickup(
        SECOND, RESIDUAL, FROZEN_NOW - timedelta(hours=1), 9.5, address=DEMO_WORKSHOP_ADDRESS
    )
    freezer.tick(1)
    await poll(hass, init_integration)
    assert [(e.data["account_id"], e.data["address"], e.data["device_id"]) for e in bus] == [
        (SECOND, DEMO_WORKSHOP_ADDRESS, workshop.id)
    ]
    fired = state_of(hass, Platform.EVENT, f"{SECOND}_{WORKSHOP}_pickup")
    assert fired.attributes["weight"] == 9.5
    assert fired.attributes["address"] == DEMO_WORKSHOP_ADDRESS
    assert state_of(hass, Platform.EVENT, f"{SECOND}_pickup").state == "unknown"
    assert state_of(
        hass, Platform.SENSOR, f"{SECOND}_{WORKSHOP}_last_pickup_weight_{RESIDUAL}"
    ).state == ("9.5")


@pytest.mark.usefixtures("enable_custom_integrations")
async def test_an_address_appearing_then_going(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A new site's first row: its device appears without a reload, the account's own
    keeps everything; nothing is told of it but its new pickup. Its rows removed: the
    device goes only once the loss is believed (the third full read in a row)."""
    coordinator = init_integration.runtime_data
    main_entities = {
        entity.unique_id: entity.entity_id
        for entity in er.async_entries_for_device(
            er.async_get(hass),
            account_device(device_registry, MAIN).id,  # type: ignore[union-attr]
        )
    }
    bus = async_capture_events(hass, EVENT_PICKUP)
    barn = "LA GRANGE 23000 SAINT-FIEL"
    simulator.state.add_pickup(MAIN, RESIDUAL, FROZEN_NOW - timedelta(hours=1), 30.0, address=barn)
    freezer.tick(1)
    await poll(hass, init_integration)
    assert init_integration.runtime_data is coordinator  # no reload
    new = find_device(device_registry, scoped(hass, f"{MAIN}_{address_key(barn)}"))
    assert new is not None
    assert new.name == barn
    assert [e.data["address"] for e in bus] == [barn]
    assert {
        entity.unique_id: entity.entity_id
        for entity in er.async_entries_for_device(
            er.async_get(hass),
            account_device(device_registry, MAIN).id,  # type: ignore[union-attr]
        )
    } == main_entities

    account = simulator.state.get_account(MAIN)
    account.pickups = [p for p in account.pickups if p.address != barn]
    for read in range(1, CONFIRM_AFTER + 1):
        freezer.tick(timedelta(minutes=1))
        await poll(hass, init_integration)
        gone = find_device(device_registry, scoped(hass, f"{MAIN}_{address_key(barn)}")) is None
        assert gone is (read == CONFIRM_AFTER)


async def test_the_statistics_are_per_place(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The workshop's pickups have a statistic of their own; the house's keeps its ID."""
    key = statistic_key(hass)
    workshop = await recorded(hass, pickups_statistic_id(key, SECOND, RESIDUAL, WORKSHOP))
    house = await recorded(hass, pickups_statistic_id(key, SECOND, RESIDUAL))
    assert workshop
    assert workshop[-1][2] == sum(
        1
        for p in simulator.state.get_account(SECOND).pickups
        if p.type_id == RESIDUAL
        and p.address == DEMO_WORKSHOP_ADDRESS
        and p.when.date() <= FROZEN_NOW.date()
    )
    assert house[-1][2] == sum(
        1
        for p in simulator.state.get_account(SECOND).pickups
        if p.type_id == RESIDUAL
        and p.address is None
        and date(FROZEN_NOW.year - 2, 1, 1) <= p.when.date() <= FROZEN_NOW.date()
    )


@pytest.mark.usefixtures("enable_custom_integrations")
async def test_an_install_of_one_address_each_keeps_its_ids(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An install made before places (its entities registered): the main account keeps
    its entity IDs and unique IDs, nothing is told again; the entities of a waste type
    never lifted leave the registry."""
    entry = mock_config_entry
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    old_id = "sensor.ndeg_104233_12_rue_des_lilas_23000_gueret_ordures_menageres_pickups_this_year"
    registry.async_get_or_create(
        Platform.SENSOR,
        DOMAIN,
        scoped(hass, f"{MAIN}_pickups_{RESIDUAL}"),
        config_entry=entry,
        suggested_object_id=old_id.removeprefix("sensor."),
    )
    # A waste type the account never had lifted, registered by the version before.
    never = registry.async_get_or_create(
        Platform.SENSOR,
        DOMAIN,
        scoped(hass, f"{MAIN}_pickups_18"),
        config_entry=entry,
        suggested_object_id="ndeg_104233_verre_pickups_this_year",
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    bus = async_capture_events(hass, EVENT_PICKUP)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert bus == []
    assert registered(registry, Platform.SENSOR, scoped(hass, f"{MAIN}_pickups_{RESIDUAL}")) == (
        old_id
    )
    assert hass.states.get(old_id).state == str(this_year(simulator, MAIN, RESIDUAL, None))
    assert registry.async_get(never.entity_id) is None  # it never held a figure: gone


def test_what_leaves_once_is_every_waste_type_entity() -> None:
    """The keys whose never-lifted entities leave the registry are those of every entity a
    waste type has at a place: one added without its key would stay empty forever."""
    made = {d.key for d in (*WASTE_TYPE_SENSORS, NEXT_PICKUP, MISSED_PICKUP)}
    assert set(WASTE_TYPE_KEYS) == made
    assert len(WASTE_TYPE_KEYS) == len(made) == 8


@pytest.mark.usefixtures("enable_custom_integrations")
async def test_get_pickups_of_a_place_or_of_the_account(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """The action on the workshop's device: its pickups only (visits are the account's);
    on the account's own device: the whole account, both places."""
    start = date(FROZEN_NOW.year, 1, 1)
    workshop = find_device(device_registry, scoped(hass, f"{SECOND}_{WORKSHOP}"))
    own = account_device(device_registry, SECOND)
    assert workshop is not None
    assert own is not None
    at_workshop = await get_pickups(hass, device_id=workshop.id, start=start.isoformat())
    whole = await get_pickups(hass, device_id=own.id, start=start.isoformat())
    pickups = [p for p in simulator.state.get_account(SECOND).pickups if start <= p.when.date()]
    assert len(at_workshop["pickups"]) == sum(p.address == DEMO_WORKSHOP_ADDRESS for p in pickups)
    assert at_workshop["pickups"]
    assert at_workshop["visits"] == []
    assert len(whole["pickups"]) == len(pickups)


def test_two_accounts_at_one_address_are_told_apart_by_their_number() -> None:
    """Two accounts whose rows carry one address (spelled alike or not): each device's
    name adds its account's number; an address of one account alone does not."""

    def place(account_id: int, name: str) -> Place:
        return Place(
            account_id=account_id, key="", name=name, address=name, waste_types=(), pickups=()
        )

    data = EcocitoData(
        accounts={},
        year=2026,
        first_day=date(2024, 1, 1),
        today=date(2026, 11, 26),
        places={
            (104233, ""): place(104233, "12 RUE DES LILAS 23000 GUERET"),
            (130001, ""): place(130001, "12 rue des Lilas 23000 Guéret"),
            (118871, ""): place(118871, "LE BOURG 23200 AUBUSSON"),
        },
    )
    assert place_name(data, (104233, "")) == "12 RUE DES LILAS 23000 GUERET (N° 104233)"
    assert place_name(data, (130001, "")) == "12 rue des Lilas 23000 Guéret (N° 130001)"
    assert place_name(data, (118871, "")) == "LE BOURG 23200 AUBUSSON"
