"""The calendar of each account: past pickups and visits, against the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus

import aiohttp
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.const import STATE_OFF, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.ecocito.const import DOMAIN

from .conftest import FROZEN_NOW
from .helpers import scoped
from .portal import PortalSimulator
from .portal.scenarios import DEMO_ACCOUNT_IDS, DEMO_MAIN_ACCOUNT_ID
from .portal.state import PARIS

MAIN = DEMO_MAIN_ACCOUNT_ID


def calendar_id(hass: HomeAssistant, account_id: int = MAIN) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        CALENDAR_DOMAIN, DOMAIN, scoped(hass, f"{account_id}_history")
    )
    assert entity_id is not None
    return entity_id


async def get_events(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, str]]:
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {"start_date_time": start, "end_date_time": end},
        target={"entity_id": entity_id},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response[entity_id]["events"]  # type: ignore[no-any-return,index]


async def test_one_calendar_per_account(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each linked account has its calendar, on the account's device (named after its
    address: the account's number is the device's serial number)."""
    for account_id in DEMO_ACCOUNT_IDS:
        entity = er.async_get(hass).async_get(calendar_id(hass, account_id))
        assert entity is not None
        assert entity.translation_key == "history"
    assert calendar_id(hass) == "calendar.12_rue_des_lilas_23000_gueret_pickups_and_visits"


async def test_events_of_a_date_range(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Pickups (type and weight) and visits are events at the portal's times."""
    day = (dt_util.now(PARIS) - timedelta(days=9)).replace(tzinfo=None)
    night = datetime(day.year, day.month, day.day, 3, 17)
    simulator.state.add_pickup(MAIN, 15, night, 12.5)
    simulator.state.add_pickup(MAIN, 16, night + timedelta(minutes=2), None)
    simulator.state.add_visit(
        MAIN, night + timedelta(minutes=30), "Déchèterie de Guéret", "Gravats", 1.2
    )
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()

    start = night.replace(hour=3, minute=0, tzinfo=PARIS)
    events = await get_events(hass, calendar_id(hass), start, start + timedelta(hours=1))
    assert events == [
        {
            "start": night.replace(tzinfo=PARIS).isoformat(),
            "end": (night + timedelta(minutes=15)).replace(tzinfo=PARIS).isoformat(),
            "summary": "Levée Ordures ménagères (12,5 kg)",
            "location": "12 RUE DES LILAS 23000 GUERET",
        },
        {
            "start": (night + timedelta(minutes=2)).replace(tzinfo=PARIS).isoformat(),
            "end": (night + timedelta(minutes=17)).replace(tzinfo=PARIS).isoformat(),
            "summary": "Levée Emballages",
            "location": "12 RUE DES LILAS 23000 GUERET",
        },
        {
            "start": (night + timedelta(minutes=30)).replace(tzinfo=PARIS).isoformat(),
            "end": (night + timedelta(minutes=45)).replace(tzinfo=PARIS).isoformat(),
            "summary": "Passage en déchèterie : Gravats (1,2)",
            "location": "Déchèterie de Guéret",
        },
    ]


async def test_every_kept_year(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A range over the kept years returns every pickup and visit of the portal."""
    now = dt_util.now(PARIS)
    start = datetime(now.year - 2, 1, 1, tzinfo=PARIS)
    events = [
        event
        for event in await get_events(hass, calendar_id(hass), start, now + timedelta(days=1))
        if not event["summary"].endswith("expected pickup")
    ]
    account = simulator.state.get_account(MAIN)
    pickups = [p for p in account.pickups if p.when.date() <= now.date()]
    assert len(events) == len(pickups) + len(account.visits)
    assert sum(event["summary"].startswith("Levée") for event in events) == len(pickups)
    assert [event["start"] for event in events] == sorted(event["start"] for event in events)

    # Nothing before the kept years.
    assert await get_events(hass, calendar_id(hass), start - timedelta(days=400), start) == []


async def test_state_is_the_latest_event(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """On while an event lasts; its attributes describe the latest event."""
    entity_id = calendar_id(hass)
    now = dt_util.now(PARIS)
    simulator.state.add_pickup(MAIN, 15, now - timedelta(minutes=5), 8.0)
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["message"] == "Levée Ordures ménagères (8 kg)"

    simulator.state.add_visit(MAIN, now - timedelta(minutes=1), "Déchèterie de Guéret")
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["message"] == "Passage en déchèterie"
    assert state.attributes["location"] == "Déchèterie de Guéret"


async def test_state_off_between_events(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Off when no event is in progress (the most recent one is over)."""
    simulator.state.add_visit(
        MAIN, dt_util.now(PARIS) - timedelta(minutes=20), "Déchèterie de Guéret"
    )
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(calendar_id(hass))
    assert state is not None
    # A later pickup of the simulator's today may already be in progress or over.
    if state.attributes["message"] == "Passage en déchèterie":
        assert state.state == STATE_OFF


async def test_calendar_http_api(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The calendar panel's API lists the same events."""
    now = dt_util.now(PARIS)
    start = datetime(now.year, 1, 1, tzinfo=PARIS)
    client = await hass_client()
    answer = await client.get(
        f"/api/calendars/{calendar_id(hass)}",
        params={"start": start.isoformat(), "end": now.isoformat()},
    )
    assert answer.status == HTTPStatus.OK
    events = await answer.json()
    account = simulator.state.get_account(MAIN)
    expected = [
        p
        for p in account.pickups
        if start.replace(tzinfo=None) <= p.when <= now.replace(tzinfo=None)
    ]
    expected_visits = [v for v in account.visits if start.replace(tzinfo=None) <= v.when]
    assert len(events) == len(expected) + len(expected_visits)


@pytest.mark.freeze_time(FROZEN_NOW)
@pytest.mark.parametrize("platforms", [[Platform.CALENDAR]])
async def test_all_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """The calendars of the demo login: state and current event of each account."""
    await snapshot_platform(hass, entity_registry, sim_snapshot, setup_platforms.entry_id)


async def test_pickups_to_check(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    http_session: aiohttp.ClientSession,
    init_integration: MockConfigEntry,
) -> None:
    """A 0 kg pickup and the second of two within the hour say why to check them."""
    day = (dt_util.now(PARIS) - timedelta(days=9)).replace(tzinfo=None)
    morning = datetime(day.year, day.month, day.day, 3, 0)
    for type_id, when, reason in (
        (15, morning, "zero_weight"),
        (16, morning + timedelta(minutes=5), "duplicate"),
    ):
        async with http_session.post(
            f"{simulator.base_url}/_sim/accounts/{MAIN}/pickups_to_check",
            json={"type_id": type_id, "date": when.isoformat(), "reason": reason},
        ) as answer:
            assert answer.status == HTTPStatus.OK
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()

    start = morning.replace(tzinfo=PARIS)
    events = await get_events(hass, calendar_id(hass), start, start + timedelta(hours=1))
    assert [(event["summary"], event.get("description")) for event in events] == [
        (
            "Levée Ordures ménagères (0 kg)",
            "À vérifier : levée pesée à 0 kg (zero_weight).",
        ),
        ("Levée Emballages (9,5 kg)", None),
        (
            "Levée Emballages (9,5 kg)",
            "À vérifier : deuxième levée de ce type en moins d'une heure (duplicate).",
        ),
    ]
