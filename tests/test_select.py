"""The active-account select: local to Home Assistant, restored after a restart."""

from __future__ import annotations

from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import DOMAIN

from .conftest import FROZEN_NOW
from .helpers import poll, scoped
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
)

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

SELECT = "select.ecocito_gueret_active_account"
ACTIVE_SENSORS = {
    "pickups": "sensor.ecocito_gueret_active_account_pickups_this_year",
    "weight": "sensor.ecocito_gueret_active_account_weight_this_year",
    "last_pickup": "sensor.ecocito_gueret_active_account_last_pickup",
    "visits": "sensor.ecocito_gueret_active_account_recycling_centre_visits_this_year",
}


def account_sensor(entity_registry: er.EntityRegistry, unique_id: str) -> str:
    found = entity_registry.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


def active_figures(hass: HomeAssistant) -> dict[str, tuple[str, int]]:
    """Each active-account sensor's state and the account it shows."""
    return {
        key: (hass.states.get(entity).state, hass.states.get(entity).attributes["account_id"])
        for key, entity in ACTIVE_SENSORS.items()
    }


async def select(hass: HomeAssistant, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: SELECT, ATTR_OPTION: option},
        blocking=True,
    )


@pytest.mark.parametrize("platforms", [[Platform.SELECT]])
async def test_all_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """The select of the demo login."""
    await snapshot_platform(hass, entity_registry, sim_snapshot, setup_platforms.entry_id)


async def test_select_drives_the_active_sensors_without_a_request(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Choosing an account updates the active-account sensors at once, offline."""
    state = hass.states.get(SELECT)
    assert state.state == DEMO_MAIN_LABEL
    assert state.attributes[ATTR_OPTIONS] == [DEMO_MAIN_LABEL, DEMO_SECOND_LABEL]
    assert state.attributes["account_id"] == DEMO_MAIN_ACCOUNT_ID
    main = active_figures(hass)
    assert {account for _, account in main.values()} == {DEMO_MAIN_ACCOUNT_ID}
    assert main["pickups"][0] == str(
        sum(
            int(
                hass.states.get(
                    account_sensor(entity_registry, scoped(hass, f"104233_pickups_{t}"))
                ).state
            )
            for t in (15, 16, 17)
        )
    )
    requests = simulator.count()

    await select(hass, DEMO_SECOND_LABEL)

    assert simulator.count() == requests
    state = hass.states.get(SELECT)
    assert state.state == DEMO_SECOND_LABEL
    assert state.attributes["account_id"] == DEMO_SECOND_ACCOUNT_ID
    second = active_figures(hass)
    assert {account for _, account in second.values()} == {DEMO_SECOND_ACCOUNT_ID}
    assert (
        second["visits"][0]
        == hass.states.get(
            account_sensor(entity_registry, scoped(hass, f"{DEMO_SECOND_ACCOUNT_ID}_visits"))
        ).state
    )
    assert hass.states.get(ACTIVE_SENSORS["pickups"]).attributes["account"] == DEMO_SECOND_LABEL
    assert second != main

    await select(hass, DEMO_MAIN_LABEL)
    assert active_figures(hass) == main
    assert simulator.count() == requests


async def test_unknown_option_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Only a linked account's label can be chosen."""
    with pytest.raises(ServiceValidationError):
        await select(hass, "N° 999999 - NULLE PART")
    assert hass.states.get(SELECT).state == DEMO_MAIN_LABEL


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        (DEMO_SECOND_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID),
        (123456, DEMO_MAIN_ACCOUNT_ID),  # no longer linked: the first account
        (None, DEMO_MAIN_ACCOUNT_ID),
    ],
)
async def test_choice_survives_a_restart(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    mock_config_entry: MockConfigEntry,
    saved: int | None,
    expected: int,
) -> None:
    """The chosen account is restored from the select's `account_id` attribute."""
    mock_restore_cache(hass, [State(SELECT, DEMO_SECOND_LABEL, {"account_id": saved})])
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(SELECT).attributes["account_id"] == expected
    assert {account for _, account in active_figures(hass).values()} == {expected}


async def test_active_sensors_without_any_account(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """With every account unlinked, the select and the active sensors have nothing to show.

    An empty list fails the poll twice; taken at the third, the accounts are then
    missing from three successful polls.
    """
    for account_id in (DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID):
        simulator.state.unlink("jeanne.dupont@example.fr", account_id)
    coordinator = init_integration.runtime_data
    for _ in range(CONFIRM_AFTER - 1):
        await poll(hass, init_integration)
        assert not coordinator.last_update_success
        assert hass.states.get(SELECT).state == "unavailable"
    for _ in range(CONFIRM_AFTER):
        assert hass.states.get(SELECT).state != "unknown"
        await poll(hass, init_integration)
        assert coordinator.last_update_success

    state = hass.states.get(SELECT)
    assert state.state == "unknown"
    assert state.attributes[ATTR_OPTIONS] == []
    for entity in ACTIVE_SENSORS.values():
        assert hass.states.get(entity).state == "unavailable"
