"""Automations told something read the figures of what they were told.

The first automation a resident writes: "when a pickup lands, tell me its weight and
this year's count". Each test sets up real automations (the ``automation`` integration,
YAML configuration) on one kind of event; their action fires an event of the test's
whose data is a template reading the related sensor. What the template read is what a
notification would have said.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import (
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
    EVENT_PICKUP_MISSED,
)

from .conftest import FROZEN_NOW
from .helpers import login_uid, poll, registered, scoped
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_ACCOUNT_ID,
)
from .test_rhythm_entity import FRIDAY_EVENING, MONDAY, PACKAGING, thursday_bin

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")

MAIN = DEMO_MAIN_ACCOUNT_ID
RESIDUAL = 15
READ = "ecocito_test_read"
"""The event the test's automations fire, with what their templates read."""


def entity(hass: HomeAssistant, platform: Platform, unique_id: str) -> str:
    return registered(er.async_get(hass), platform, unique_id)


async def automations(
    hass: HomeAssistant, *triggers: tuple[dict[str, Any], dict[str, str]]
) -> list[Any]:
    """Set up one automation per trigger; each fires READ with its templates' readings.

    Return the READ events, as they come.
    """
    config = [
        {
            "alias": f"read {index}",
            "triggers": [trigger],
            "actions": [
                {
                    "event": READ,
                    "event_data": {
                        "automation": index,
                        **{
                            name: f"{{{{ states('{entity_id}') }}}}"
                            for name, entity_id in reads.items()
                        },
                    },
                }
            ],
        }
        for index, (trigger, reads) in enumerate(triggers)
    ]
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: config})
    await hass.async_block_till_done()
    return async_capture_events(hass, READ)


@pytest.mark.freeze_time(FROZEN_NOW)
async def test_a_pickup_s_automations_read_its_weight_and_the_new_count(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Triggered by the ``ecocito_pickup`` event or by the account's *Pickup* event
    entity, an automation reads the new pickup's weight and this year's new count."""
    weight = entity(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_last_pickup_weight_{RESIDUAL}"))
    count = entity(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_pickups_{RESIDUAL}"))
    active = entity(hass, Platform.SENSOR, login_uid(init_integration, "pickups_active"))
    pickup_entity = entity(hass, Platform.EVENT, scoped(hass, f"{MAIN}_pickup"))
    reads = {"weight": weight, "count": count, "active": active}
    before = int(hass.states.get(count).state)
    active_before = int(hass.states.get(active).state)
    read = await automations(
        hass,
        ({"trigger": "event", "event_type": EVENT_PICKUP}, reads),
        ({"trigger": "state", "entity_id": pickup_entity}, reads),
    )

    simulator.state.add_pickup(MAIN, RESIDUAL, datetime(2026, 11, 26, 6, 30), 11.2)
    freezer.tick(1)
    await poll(hass, init_integration)

    assert sorted(
        (event.data["automation"], event.data["weight"], event.data["count"], event.data["active"])
        for event in read
    ) == [
        (0, 11.2, before + 1, active_before + 1),
        (1, 11.2, before + 1, active_before + 1),
    ]


@pytest.mark.freeze_time(MONDAY)
async def test_a_missed_round_s_automation_reads_the_sensor_on(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Triggered by ``ecocito_pickup_missed``, an automation reads the missed-pickup
    sensor on, and the next expected pickup already moved to the next round."""
    thursday_bin(simulator)
    simulator.state.add_pickup(MAIN, RESIDUAL, datetime(2026, 11, 24, 6, 10), 12.0)
    simulator.state.add_pickup(MAIN, 17, datetime(2026, 11, 27, 6, 10), 2.0)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    missed = entity(hass, Platform.BINARY_SENSOR, scoped(hass, f"{MAIN}_missed_pickup_{PACKAGING}"))
    following = entity(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_next_pickup_{PACKAGING}"))
    read = await automations(
        hass,
        (
            {
                "trigger": "event",
                "event_type": EVENT_PICKUP_MISSED,
                "event_data": {"account_id": MAIN, "waste_type_id": PACKAGING},
            },
            {"missed": missed, "next": following},
        ),
    )

    freezer.move_to(FRIDAY_EVENING)
    await poll(hass, mock_config_entry)

    # Next Thursday's round, 6:00 in Paris.
    assert [(event.data["missed"], event.data["next"]) for event in read] == [
        ("on", "2026-12-03T05:00:00+00:00")
    ]


@pytest.mark.freeze_time(FROZEN_NOW)
async def test_account_automations_read_the_new_number_of_accounts(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Triggered by an account linked or unlinked (the bus events, or the login's
    *Account changes* event entity), an automation reads the new number of accounts."""
    linked = entity(hass, Platform.SENSOR, login_uid(init_integration, "linked_accounts"))
    changes = entity(hass, Platform.EVENT, login_uid(init_integration, "accounts"))
    reads = {"accounts": linked}
    read = await automations(
        hass,
        ({"trigger": "event", "event_type": EVENT_ACCOUNT_LINKED}, reads),
        ({"trigger": "event", "event_type": EVENT_ACCOUNT_UNLINKED}, reads),
        ({"trigger": "state", "entity_id": changes}, reads),
    )

    simulator.state.link(DEMO_LOGIN, DEMO_LINKABLE_ACCOUNT_ID)
    freezer.tick(1)
    await poll(hass, init_integration)
    assert sorted((event.data["automation"], event.data["accounts"]) for event in read) == [
        (0, 3),
        (2, 3),
    ]

    read.clear()
    simulator.state.unlink(DEMO_LOGIN, DEMO_SECOND_ACCOUNT_ID)
    for _read in range(CONFIRM_AFTER):
        freezer.tick(timedelta(minutes=1))
        await poll(hass, init_integration)
    assert sorted((event.data["automation"], event.data["accounts"]) for event in read) == [
        (1, 2),
        (2, 2),
    ]
