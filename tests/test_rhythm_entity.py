"""The next expected pickup, the missed pickup and the calendar's estimates, end to end.

The main demo account's packaging bin (type 16) is made a weekly Thursday bin: ten
Thursdays lifted between 6:00 and 6:45 before Monday 23 November 2026.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from http import HTTPStatus

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.ecocito.api import Account, WasteType
from custom_components.ecocito.calendar import expected_event
from custom_components.ecocito.const import EVENT_PICKUP_MISSED
from custom_components.ecocito.forecast import ExpectedPickup
from custom_components.ecocito.models import OWN_PLACE, AccountState
from custom_components.ecocito.schedule import Rhythm

from .helpers import poll, registered, scoped
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID
from .portal.state import PARIS
from .test_calendar import calendar_id, get_events

MAIN = DEMO_MAIN_ACCOUNT_ID
PACKAGING = 16
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
THURSDAY = date(2026, 11, 26)
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=PARIS)

pytestmark = [
    pytest.mark.freeze_time(MONDAY),
    pytest.mark.usefixtures("enable_custom_integrations"),
]


def thursday_bin(simulator: PortalSimulator) -> None:
    """Make the main account's packaging a weekly Thursday bin (ten weeks of it)."""
    account = simulator.state.get_account(MAIN)
    since = datetime(2026, 9, 1)
    account.pickups = [p for p in account.pickups if p.type_id != PACKAGING or p.when < since]
    for week in range(1, 11):
        day = THURSDAY - timedelta(weeks=week)
        when = datetime(day.year, day.month, day.day, 6, (week - 1) * 5)
        simulator.state.add_pickup(MAIN, PACKAGING, when, 4.5)


@pytest.fixture
async def entry(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry with the Thursday bin, set up; polling off (no timer but midnight)."""
    thursday_bin(simulator)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, pref_disable_polling=True)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


def mine(events: list[Event]) -> list[Event]:
    """The events of the main account (the second account's workshop has rounds too)."""
    return [event for event in events if event.data["account_id"] == MAIN]


def entity_of(hass: HomeAssistant, platform: Platform, key: str, type_id: int = PACKAGING) -> str:
    return registered(er.async_get(hass), platform, scoped(hass, f"{MAIN}_{key}_{type_id}"))


async def test_on_monday_thursday(
    hass: HomeAssistant, simulator: PortalSimulator, entry: MockConfigEntry
) -> None:
    """On Monday the sensor says Thursday, and the calendar shows it: no request for it."""
    simulator.reset_requests()
    state = hass.states.get(entity_of(hass, Platform.SENSOR, "next_pickup"))
    assert state is not None
    assert datetime.fromisoformat(state.state) == datetime(2026, 11, 26, 6, 0, tzinfo=PARIS)
    assert state.attributes["device_class"] == "timestamp"
    assert state.attributes["friendly_name"].endswith("Emballages: next expected pickup")
    assert {
        key: state.attributes[key] for key in ("waste_type", "rhythm", "lifts", "confidence")
    } == {
        "waste_type": "Emballages",
        "rhythm": "every Thursday",
        "lifts": 10,
        "confidence": 1.0,
    }
    assert state.attributes["days_until"] == 3
    assert state.attributes["holiday"] is None
    missed = hass.states.get(entity_of(hass, Platform.BINARY_SENSOR, "missed_pickup"))
    assert missed is not None
    assert missed.state == STATE_OFF

    # The calendar's estimate: the whole day (it does not claim the minute), named by its
    # waste type first (the month view cuts summaries short); the usual hours, to the hour.
    events = await get_events(hass, calendar_id(hass), MONDAY, MONDAY + timedelta(days=7))
    expected = [event for event in events if event["summary"] == "Emballages: expected pickup"]
    assert expected == [
        {
            "start": "2026-11-26",
            "end": "2026-11-27",
            "summary": "Emballages: expected pickup",
            "description": (
                "Estimated from your bin's rhythm (every Thursday), usually between 6:00 and 7:00."
            ),
        }
    ]
    four_weeks = await get_events(hass, calendar_id(hass), MONDAY, MONDAY + timedelta(days=60))
    assert [
        event["start"][:10]
        for event in four_weeks
        if event["summary"] == "Emballages: expected pickup"
    ] == ["2026-11-26", "2026-12-03", "2026-12-10", "2026-12-17"]
    assert simulator.requests == []


async def test_no_rhythm_no_date(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The second account's bin, lifted only in the holidays: unknown, and why."""
    entity_id = registered(
        er.async_get(hass),
        Platform.SENSOR,
        scoped(hass, f"{DEMO_SECOND_ACCOUNT_ID}_next_pickup_15"),
    )
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["reason"] == "too_few_pickups"
    assert "rhythm" not in state.attributes
    events = await get_events(
        hass,
        calendar_id(hass, DEMO_SECOND_ACCOUNT_ID),
        MONDAY,
        MONDAY + timedelta(days=28),
    )
    assert events == []


def test_an_estimate_on_a_public_holiday() -> None:
    """An estimate on Christmas Day says the round may move."""
    state = AccountState(
        account=Account(id=MAIN, label="N° 104233"),
        waste_types=(WasteType(id=PACKAGING, label="Emballages"),),
        pickups=(),
        visits=(),
    )
    rhythm = Rhythm(
        weekdays=frozenset({4}),
        every=1,
        parity=0,
        earliest=timedelta(hours=6),
        latest=timedelta(hours=6, minutes=30),
    )
    christmas = datetime(2026, 12, 25, 6, 0, tzinfo=PARIS)
    expected = ExpectedPickup(
        day=christmas.date(),
        start=christmas,
        end=christmas + timedelta(minutes=30),
        holiday="Noël",
    )
    french = expected_event(state, PACKAGING, rhythm, expected, "fr")
    assert french.summary == "Emballages : levée prévue"
    assert french.description == (
        "Estimée d'après le rythme de votre bac (chaque vendredi), en général entre 6 h et 7 h."
        " Jour férié (Noël) : la tournée peut être décalée."
    )
    assert (french.start, french.end) == (christmas.date(), christmas.date() + timedelta(days=1))
    assert french.uid == f"{MAIN}_expected_{PACKAGING}_2026-12-25"
    english = expected_event(state, PACKAGING, rhythm, expected, "en")
    assert english.summary == "Emballages: expected pickup"
    assert english.description == (
        "Estimated from your bin's rhythm (every Friday), usually between 6:00 and 7:00."
        " Public holiday (Noël): the round may move."
    )


@pytest.mark.parametrize("language", ["fr"])
async def test_in_french(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    mock_config_entry: MockConfigEntry,
    language: str,
) -> None:
    """A server in French: "chaque jeudi", and the calendar's estimate in French."""
    hass.config.language = language
    thursday_bin(simulator)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(entity_of(hass, Platform.SENSOR, "next_pickup"))
    assert state is not None
    assert state.attributes["rhythm"] == "chaque jeudi"
    events = await get_events(hass, calendar_id(hass), MONDAY, MONDAY + timedelta(days=7))
    assert [
        (event["summary"], event["description"])
        for event in events
        if event["summary"].startswith("Emballages")
    ] == [
        (
            "Emballages : levée prévue",
            "Estimée d'après le rythme de votre bac (chaque jeudi), en général entre 6 h et 7 h.",
        )
    ]


async def test_missed_once_then_a_late_upload(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    http_session: aiohttp.ClientSession,
    entry: MockConfigEntry,
) -> None:
    """Thursday's pickup absent on Friday evening: on, told once, even after a restart;
    its late upload clears it."""
    # The other rounds of the week came.
    simulator.state.add_pickup(MAIN, 15, datetime(2026, 11, 24, 6, 10), 12.0)
    simulator.state.add_pickup(MAIN, 17, datetime(2026, 11, 27, 6, 10), 2.0)
    told = async_capture_events(hass, EVENT_PICKUP_MISSED)
    missed_id = entity_of(hass, Platform.BINARY_SENSOR, "missed_pickup")
    next_id = entity_of(hass, Platform.SENSOR, "next_pickup")

    freezer.move_to(FRIDAY_EVENING)
    await poll(hass, entry)
    state = hass.states.get(missed_id)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["expected_date"] == "2026-11-26"
    assert state.attributes["friendly_name"].endswith("Emballages: missed pickup")
    # The main account's (the second account's workshop misses its own round too).
    packaging = [event.data for event in mine(told) if event.data["waste_type_id"] == PACKAGING]
    assert packaging == [
        {
            "config_entry_id": entry.entry_id,
            "account_id": MAIN,
            "address": "12 RUE DES LILAS 23000 GUERET",
            "waste_type_id": PACKAGING,
            "waste_type": "Emballages",
            "expected_date": "2026-11-26",
            "holiday": None,
            "device_id": er.async_get(hass).async_get(missed_id).device_id,
        }
    ]
    assert {event.data["waste_type_id"] for event in mine(told)} == {PACKAGING}
    # The missed pickup is no longer the next one: next Thursday is.
    assert hass.states.get(next_id).state == "2026-12-03T05:00:00+00:00"

    # Never at every poll, nor after a restart.
    freezer.tick(60)
    await poll(hass, entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(60)
    await poll(hass, entry)
    assert len(mine(told)) == 1
    assert hass.states.get(missed_id).state == STATE_ON

    # The truck uploads Thursday's pickup late.
    async with http_session.post(
        f"{simulator.base_url}/_sim/accounts/{MAIN}/pickups",
        json={"type_id": PACKAGING, "date": "2026-11-26T06:20:00", "weight": 4.0},
    ) as answer:
        assert answer.status == HTTPStatus.OK
    freezer.tick(60)
    await poll(hass, entry)
    state = hass.states.get(missed_id)
    assert state.state == STATE_OFF
    assert state.attributes["expected_date"] is None
    assert len(mine(told)) == 1
    assert [key for key in entry.runtime_data.state.missed if key[0] == MAIN] == []


async def test_missed_until_the_next_day_begins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Never uploaded: off when next Thursday begins, without a poll."""
    freezer.move_to(FRIDAY_EVENING)
    await poll(hass, entry)
    missed_id = entity_of(hass, Platform.BINARY_SENSOR, "missed_pickup")
    assert hass.states.get(missed_id).state == STATE_ON

    next_thursday = datetime(2026, 12, 3, 0, 0, 1, tzinfo=PARIS)
    freezer.move_to(next_thursday)
    async_fire_time_changed(hass, next_thursday)
    await hass.async_block_till_done()
    assert hass.states.get(missed_id).state == STATE_OFF
    state = hass.states.get(entity_of(hass, Platform.SENSOR, "next_pickup"))
    assert state.attributes["days_until"] == 0


async def test_the_day_turns_nothing_while_the_portal_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PortalSimulator,
    entry: MockConfigEntry,
) -> None:
    """A poll failed: at midnight the entities stay unavailable (the day's turn shows
    nothing as fresh); the next poll that succeeds shows the day."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR))
    await poll(hass, entry)
    next_id = entity_of(hass, Platform.SENSOR, "next_pickup")
    assert hass.states.get(next_id).state == STATE_UNAVAILABLE
    midnight = datetime(2026, 11, 24, 0, 0, 1, tzinfo=PARIS)
    freezer.move_to(midnight)
    async_fire_time_changed(hass, midnight)
    await hass.async_block_till_done()
    assert hass.states.get(next_id).state == STATE_UNAVAILABLE
    simulator.clear_faults()
    await poll(hass, entry)
    state = hass.states.get(next_id)
    assert state.state != STATE_UNAVAILABLE
    assert state.attributes["days_until"] == 2  # Thursday, from Tuesday


async def test_a_rhythm_learnt_again_the_same_writes_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Rhythms are learnt again each day: the same one as the day before writes nothing
    (a large login would write every waste type's entities at its first poll of the day)."""
    coordinator = entry.runtime_data
    before = coordinator.data.forecasts[(MAIN, OWN_PLACE, PACKAGING)].rhythm
    assert before is not None
    entity_id = entity_of(hass, Platform.SENSOR, "next_pickup")
    freezer.move_to(MONDAY + timedelta(days=1))  # Tuesday noon; midnight wrote the day
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    written = hass.states.get(entity_id)
    assert written is not None
    assert written.attributes["days_until"] == 2
    await poll(hass, entry)
    assert coordinator.data.forecasts[(MAIN, OWN_PLACE, PACKAGING)].rhythm is before
    after = hass.states.get(entity_id)
    assert after is not None
    assert after.last_updated == written.last_updated
    assert after.state == written.state
