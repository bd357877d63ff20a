"""A pickup is its row: every pickup never seen fires once, whenever the portal publishes it.

End to end against the simulator, as a user sees it: the ``ecocito_pickup`` bus events,
the account's *Pickup* event entity and its sensors. Late uploads use the simulator's
``published`` times: the portal shows a pickup only once its clock has passed them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import DOMAIN, EVENT_PICKUP
from custom_components.ecocito.state import EntryState, Seen, StateCodec, decode_seen

from .conftest import FROZEN_NOW
from .helpers import poll, registered, scoped
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_ACCOUNT_ID,
)
from .portal.state import PARIS

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

MAIN = DEMO_MAIN_ACCOUNT_ID
RESIDUAL = 15
GLASS = 18
"""A waste type the demo accounts do not have: the portal lists it one day."""


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment, portal time (aware)."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def naive(when: datetime) -> datetime:
    """A moment as the simulator's state holds it: naive, Paris time."""
    return when.astimezone(PARIS).replace(tzinfo=None)


def iso(when: datetime) -> str:
    """A pickup's date as events carry it."""
    return when.astimezone(PARIS).isoformat()


def dates(events: list[Event[Any]]) -> list[str]:
    """The dates of the pickup events fired, in order."""
    return [event.data["date"] for event in events]


class Sensors:
    """An account's figures for one waste type, as the user reads them."""

    def __init__(self, hass: HomeAssistant, account_id: int, type_id: int) -> None:
        registry = er.async_get(hass)
        self.hass = hass
        self.ids = {
            key: registered(
                registry, Platform.SENSOR, scoped(hass, f"{account_id}_{key}_{type_id}")
            )
            for key in ("pickups", "weight", "last_pickup", "last_pickup_weight")
        }

    def read(self) -> dict[str, str]:
        """Each sensor's state."""
        found: dict[str, str] = {}
        for key, entity_id in self.ids.items():
            state = self.hass.states.get(entity_id)
            assert state is not None, entity_id
            found[key] = state.state
        return found


def entity_fired(hass: HomeAssistant, account_id: int) -> tuple[str, list[dict[str, Any]]]:
    """Return an account's *Pickup* event entity and the attributes of each event it shows.

    An event shown is a state other than the last one shown: the state it restores at a
    restart is the last event again, not a new one.
    """
    entity_id = registered(er.async_get(hass), Platform.EVENT, scoped(hass, f"{account_id}_pickup"))
    fired: list[dict[str, Any]] = []
    shown: list[tuple[str, dict[str, Any]]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if (
            new_state is None
            or new_state.entity_id != entity_id
            or new_state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        ):
            return
        attributes = dict(new_state.attributes)
        if shown and shown[-1] == (new_state.state, attributes):
            return
        shown.append((new_state.state, attributes))
        fired.append(attributes)

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    return entity_id, fired


async def portal_at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PortalSimulator, when: datetime
) -> None:
    """Move Home Assistant's clock and the portal's to ``when``."""
    freezer.move_to(when)
    simulator.state.now = naive(when)
    await hass.async_block_till_done()


async def test_a_late_upload_fires_once_and_reaches_the_entity(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A lift published after a later one of its type was seen still fires, once."""
    sensors = Sensors(hass, MAIN, RESIDUAL)
    before = sensors.read()
    entity_id, fired = entity_fired(hass, MAIN)
    bus = async_capture_events(hass, EVENT_PICKUP)
    await portal_at(hass, freezer, simulator, FROZEN_NOW)
    simulator.state.add_pickup(MAIN, RESIDUAL, paris(2026, 11, 26, 11, 0), 10.0)
    # Lifted at 09:30, uploaded by the truck at 13:00, after the 11:00 lift was seen.
    simulator.state.add_pickup(
        MAIN, RESIDUAL, paris(2026, 11, 26, 9, 30), 8.5, published=paris(2026, 11, 26, 13, 0)
    )
    await poll(hass, init_integration)
    assert dates(bus) == [iso(paris(2026, 11, 26, 11, 0))]
    assert sensors.read()["pickups"] == str(int(before["pickups"]) + 1)

    await portal_at(hass, freezer, simulator, paris(2026, 11, 26, 13, 30))
    await poll(hass, init_integration)
    late = {
        "config_entry_id": init_integration.entry_id,
        "account_id": MAIN,
        "address": "12 RUE DES LILAS 23000 GUERET",
        "device_id": er.async_get(hass).async_get(entity_id).device_id,
        "waste_type_id": RESIDUAL,
        "waste_type": "Ordures ménagères",
        "date": iso(paris(2026, 11, 26, 9, 30)),
        "weight": 8.5,
        "anomaly": None,
    }
    assert [event.data for event in bus][1:] == [late]
    state = hass.states.get(entity_id)
    assert state is not None
    assert {key: state.attributes[key] for key in late} == late
    assert [attributes["date"] for attributes in fired] == dates(bus)
    after = sensors.read()
    assert int(after["pickups"]) == int(before["pickups"]) + 2
    assert float(after["weight"]) == pytest.approx(float(before["weight"]) + 18.5)
    # The latest lift is still the 11:00 one.
    assert after["last_pickup"] == "2026-11-26T10:00:00+00:00"
    assert after["last_pickup_weight"] == "10.0"

    # The next polls bring nothing new: nothing fires again.
    await portal_at(hass, freezer, simulator, paris(2026, 11, 26, 14, 0))
    await poll(hass, init_integration)
    await poll(hass, init_integration)
    assert len(bus) == 2
    assert len(fired) == 2


async def test_a_renamed_event_entity_fires_nothing_again(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Renaming the *Pickup* entity adds it again: it still shows its event, fires none."""
    entity_id, _fired = entity_fired(hass, MAIN)
    bus = async_capture_events(hass, EVENT_PICKUP)
    simulator.state.add_pickup(MAIN, RESIDUAL, paris(2026, 11, 26, 11, 0), 10.0)
    await poll(hass, init_integration)
    shown = hass.states.get(entity_id)
    assert shown is not None
    assert shown.attributes["date"] == iso(paris(2026, 11, 26, 11, 0))

    freezer.tick(timedelta(minutes=5))
    entity_registry.async_update_entity(entity_id, new_entity_id="event.levee_rue_des_lilas")
    await hass.async_block_till_done()
    renamed = hass.states.get("event.levee_rue_des_lilas")
    assert renamed is not None
    assert (renamed.state, renamed.attributes["date"]) == (shown.state, shown.attributes["date"])
    assert len(bus) == 1


async def test_two_bins_lifted_in_the_same_minute_fire_twice(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A business with two bins of one type: two rows, two events, neither a duplicate."""
    sensors = Sensors(hass, MAIN, RESIDUAL)
    count = int(sensors.read()["pickups"])
    _entity_id, fired = entity_fired(hass, MAIN)
    bus = async_capture_events(hass, EVENT_PICKUP)
    lifted = paris(2026, 11, 26, 7, 15)
    for bin_number, weight in (("10423301", 12.0), ("10423302", 9.5)):
        simulator.state.add_pickup(MAIN, RESIDUAL, lifted, weight, bin_number=bin_number)
    await poll(hass, init_integration)

    assert [(e.data["date"], e.data["weight"], e.data["anomaly"]) for e in bus] == [
        (iso(lifted), 12.0, None),
        (iso(lifted), 9.5, None),
    ]
    assert [attributes["weight"] for attributes in fired] == [12.0, 9.5]
    assert sensors.read()["pickups"] == str(count + 2)
    await poll(hass, init_integration)
    assert len(bus) == 2


async def test_a_weight_corrected_later_updates_the_figures_and_fires_nothing(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """The same pickup with another weight: the sensors follow, no event."""
    sensors = Sensors(hass, MAIN, RESIDUAL)
    before = sensors.read()
    bus = async_capture_events(hass, EVENT_PICKUP)
    pickup = max(
        (p for p in simulator.state.get_account(MAIN).pickups if p.type_id == RESIDUAL),
        key=lambda p: p.when,
    )
    assert pickup.weight is not None
    old_weight = pickup.weight
    pickup.weight = old_weight + 2.5
    await poll(hass, init_integration)

    assert bus == []
    after = sensors.read()
    assert float(after["weight"]) == pytest.approx(float(before["weight"]) + 2.5)
    assert float(after["last_pickup_weight"]) == pytest.approx(old_weight + 2.5)
    assert (after["pickups"], after["last_pickup"]) == (before["pickups"], before["last_pickup"])


async def test_a_removed_pickup_stays_until_the_loss_is_confirmed(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """The figures keep a pickup the portal removes until CONFIRM_AFTER polls agree.

    No event at any time: not when it goes, not when the portal shows it again.
    """
    sensors = Sensors(hass, MAIN, RESIDUAL)
    before = sensors.read()
    bus = async_capture_events(hass, EVENT_PICKUP)
    pickups = simulator.state.get_account(MAIN).pickups
    latest = max((p for p in pickups if p.type_id == RESIDUAL), key=lambda p: p.when)
    previous = max(
        (p for p in pickups if p.type_id == RESIDUAL and p is not latest), key=lambda p: p.when
    )
    pickups.remove(latest)
    for _poll in range(CONFIRM_AFTER - 1):
        await poll(hass, init_integration)
        assert sensors.read() == before
    await poll(hass, init_integration)
    after = sensors.read()
    assert int(after["pickups"]) == int(before["pickups"]) - 1
    assert float(after["weight"]) == pytest.approx(float(before["weight"]) - (latest.weight or 0))
    assert after["last_pickup"] == previous.when.replace(tzinfo=PARIS).astimezone(
        dt_util.UTC
    ).isoformat(timespec="seconds" if not previous.when.microsecond else "microseconds")

    # The portal shows it again: the same pickup, counted again, still no event.
    simulator.state.add_pickup(MAIN, RESIDUAL, latest.when, latest.weight)
    await poll(hass, init_integration)
    assert sensors.read() == before
    assert bus == []


async def test_a_waste_type_or_an_account_seen_first_fires_nothing_for_its_history(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The portal lists a new waste type, the login a new account: their history is silent.

    Their next pickups fire, once each.
    """
    bus = async_capture_events(hass, EVENT_PICKUP)
    account = simulator.state.get_account(MAIN)
    account.waste_types[GLASS] = "Verre"
    for when in (paris(2025, 6, 3, 7, 0), paris(2026, 3, 3, 7, 0), paris(2026, 11, 26, 8, 0)):
        simulator.state.add_pickup(MAIN, GLASS, when, 20.0)
    simulator.state.link(DEMO_LOGIN, DEMO_LINKABLE_ACCOUNT_ID)
    await poll(hass, init_integration)
    assert bus == []
    glass = Sensors(hass, MAIN, GLASS)
    assert glass.read()["pickups"] == "2"
    linked = simulator.state.get_account(DEMO_LINKABLE_ACCOUNT_ID)
    assert linked.pickups  # a history, never fired
    linked_type = next(iter(linked.waste_types))
    assert Sensors(hass, DEMO_LINKABLE_ACCOUNT_ID, linked_type).read()["pickups"] != "0"

    simulator.state.add_pickup(MAIN, GLASS, paris(2026, 11, 26, 11, 0), 19.0)
    simulator.state.add_pickup(
        DEMO_LINKABLE_ACCOUNT_ID, linked_type, paris(2026, 11, 26, 11, 5), 4.0
    )
    freezer.tick(1)
    await poll(hass, init_integration)
    assert [(e.data["account_id"], e.data["waste_type_id"], e.data["date"]) for e in bus] == [
        (MAIN, GLASS, iso(paris(2026, 11, 26, 11, 0))),
        (DEMO_LINKABLE_ACCOUNT_ID, linked_type, iso(paris(2026, 11, 26, 11, 5))),
    ]
    assert glass.read()["pickups"] == "3"


async def test_restarts_fire_nothing_again_and_catch_up_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """After a restart nothing fires again; a pickup published while stopped fires once."""
    entry = init_integration
    bus = async_capture_events(hass, EVENT_PICKUP)
    _entity_id, fired = entity_fired(hass, MAIN)
    simulator.state.add_pickup(MAIN, RESIDUAL, paris(2026, 11, 26, 11, 0), 10.0)
    await poll(hass, entry)
    assert dates(bus) == [iso(paris(2026, 11, 26, 11, 0))]

    # Stopped; meanwhile the truck uploads an earlier lift, and a lift of the other account.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{entry.entry_id}" in hass_storage
    simulator.state.add_pickup(MAIN, RESIDUAL, paris(2026, 11, 26, 9, 0), 7.0)
    simulator.state.add_pickup(DEMO_SECOND_ACCOUNT_ID, 16, paris(2026, 11, 26, 9, 10), 2.0)
    freezer.tick(timedelta(hours=2))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert [(e.data["account_id"], e.data["date"]) for e in bus[1:]] == [
        (MAIN, iso(paris(2026, 11, 26, 9, 0))),
        (DEMO_SECOND_ACCOUNT_ID, iso(paris(2026, 11, 26, 9, 10))),
    ]
    assert [attributes["date"] for attributes in fired] == dates(bus[:2])
    await poll(hass, entry)

    # Restarted again, twice, with nothing new: nothing fires.
    for _restart in range(2):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        await poll(hass, entry)
    assert len(bus) == 3


async def test_a_version_1_memory_is_read_once_and_converted(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: PortalSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A store of the version before kept the newest pickup per type (``marks``).

    Its pickups are not fired again; one later than its type's mark (published after
    Home Assistant stopped on the old version) fires once. Then the store holds the
    pickups seen, and no mark.
    """
    entry = mock_config_entry
    entry.add_to_hass(hass)
    key = f"{DOMAIN}.{entry.entry_id}"
    marks: dict[str, dict[str, str]] = {}
    for account_id in (MAIN, DEMO_SECOND_ACCOUNT_ID):
        account = simulator.state.get_account(account_id)
        marks[str(account_id)] = {
            str(type_id): max(p.when for p in account.pickups if p.type_id == type_id)
            .replace(tzinfo=PARIS)
            .isoformat()
            for type_id in account.waste_types
            if any(p.type_id == type_id for p in account.pickups)
        }
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"marks": marks, "absent": {}, "past_rows": {}, "delays": {}},
    }
    simulator.state.add_pickup(MAIN, RESIDUAL, paris(2026, 11, 26, 9, 0), 7.0)
    bus = async_capture_events(hass, EVENT_PICKUP)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert [(e.data["account_id"], e.data["date"]) for e in bus] == [
        (MAIN, iso(paris(2026, 11, 26, 9, 0)))
    ]
    assert hass_storage[key]["version"] == 2
    stored = hass_storage[key]["data"]
    assert "marks" not in stored
    assert set(stored["seen"]) == {str(MAIN), str(DEMO_SECOND_ACCOUNT_ID)}
    assert all(set(seen) == {"floors", "pickups"} for seen in stored["seen"].values())

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass, entry)
    assert len(bus) == 1


def test_the_seen_pickups_are_encoded_again_only_when_they_change() -> None:
    """Saving after a poll encodes only the accounts whose pickups seen changed (a new
    ``Seen``); what is stored is the same as encoding everything afresh."""
    lift = paris(2026, 11, 24, 6, 30)
    floors = {RESIDUAL: paris(2025, 1, 1, 0, 0)}
    state = EntryState(
        seen={
            account_id: Seen(floors=floors, counts={(lift, RESIDUAL, "B1", "C1"): 1})
            for account_id in (MAIN, DEMO_SECOND_ACCOUNT_ID)
        }
    )
    codec = StateCodec()
    first = codec.encode(state)
    assert first == StateCodec().encode(state)
    again = codec.encode(state)
    assert again["seen"][str(MAIN)] is first["seen"][str(MAIN)]
    # A twin bin lifted in the same minute: the second account's pickups change.
    twins = Seen(
        floors=floors, counts={(lift, RESIDUAL, "B1", "C1"): 1, (lift, RESIDUAL, "B2", "C2"): 1}
    )
    changed = codec.encode(replace(state, seen={**state.seen, DEMO_SECOND_ACCOUNT_ID: twins}))
    assert changed["seen"][str(MAIN)] is first["seen"][str(MAIN)]
    assert len(changed["seen"][str(DEMO_SECOND_ACCOUNT_ID)]["pickups"]) == 2
    assert decode_seen(changed["seen"][str(DEMO_SECOND_ACCOUNT_ID)]) == twins
