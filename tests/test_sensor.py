"""The sensors: per account and waste type, per account, and the login's."""

from __future__ import annotations

from collections import Counter, defaultdict
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE, EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import CONF_HISTORY_YEARS, DOMAIN

from .conftest import DEMO_TITLE, FROZEN_NOW
from .helpers import find_device, login_uid, poll, registered, scoped
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
    DEMO_WORKSHOP_ADDRESS,
)

MAIN_ADDRESS = DEMO_MAIN_LABEL.split(" - ", 1)[1]
"""How the main account's device is named: its address."""

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_all_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """Every sensor of the demo login, frozen on 26 November 2026."""
    await snapshot_platform(hass, entity_registry, sim_snapshot, setup_platforms.entry_id)


def portal_figures(
    simulator: PortalSimulator, account_id: int, type_id: int
) -> tuple[Counter[int], defaultdict[int, float]]:
    """Count and weigh an account's pickups of one type per year, from the portal's data.

    Those of its own place: rows with an address of their own (the second account's
    workshop) are another place's.
    """
    counts: Counter[int] = Counter()
    weights: defaultdict[int, float] = defaultdict(float)
    for pickup in simulator.state.get_account(account_id).pickups:
        if pickup.type_id == type_id and pickup.address is None:
            counts[pickup.when.year] += 1
            weights[pickup.when.year] += pickup.weight or 0.0
    return counts, weights


@pytest.mark.parametrize(
    ("account_id", "type_ids"),
    [(DEMO_MAIN_ACCOUNT_ID, (15, 16, 17)), (DEMO_SECOND_ACCOUNT_ID, (15, 16))],
)
async def test_figures_match_the_portal(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
    account_id: int,
    type_ids: tuple[int, ...],
) -> None:
    """This year's totals and the past years' attribute are the portal's figures."""
    for type_id in type_ids:
        counts, weights = portal_figures(simulator, account_id, type_id)
        assert set(counts) == {2024, 2025, 2026}
        pickups = hass.states.get(
            registered(
                entity_registry, Platform.SENSOR, scoped(hass, f"{account_id}_pickups_{type_id}")
            )
        )
        assert pickups.state == str(counts[2026])
        assert pickups.attributes["previous_years"] == {
            "2025": counts[2025],
            "2024": counts[2024],
        }
        assert pickups.attributes["last_reset"] == "2026-01-01T00:00:00+01:00"
        weight = hass.states.get(
            registered(
                entity_registry, Platform.SENSOR, scoped(hass, f"{account_id}_weight_{type_id}")
            )
        )
        assert float(weight.state) == pytest.approx(weights[2026])
        assert weight.attributes["unit_of_measurement"] == "kg"
        assert weight.attributes["previous_years"] == pytest.approx(
            {"2025": weights[2025], "2024": weights[2024]}
        )
    visits = simulator.state.get_account(account_id).visits
    state = hass.states.get(
        registered(entity_registry, Platform.SENSOR, scoped(hass, f"{account_id}_visits"))
    )
    assert state.state == str(sum(visit.when.year == 2026 for visit in visits))
    assert state.attributes["previous_years"] == {
        str(year): sum(visit.when.year == year for visit in visits)
        for year in (2025, 2024)
        if any(visit.when.year == year for visit in visits)
    }


async def test_last_pickup_of_a_type_without_pickups_this_year(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
) -> None:
    """A waste type with no pickup this year has no last pickup, and 0 pickups."""
    account = simulator.state.get_account(DEMO_SECOND_ACCOUNT_ID)
    account.pickups = [p for p in account.pickups if p.when.year < 2026 or p.type_id != 16]
    account.visits = [v for v in account.visits if v.when.year < 2026]
    # Fewer rows than before: taken once the portal has said so 3 polls in a row.
    for _ in range(CONFIRM_AFTER):
        await poll(hass, setup_platforms)

    prefix = scoped(hass, str(DEMO_SECOND_ACCOUNT_ID))
    assert (
        hass.states.get(registered(entity_registry, Platform.SENSOR, f"{prefix}_pickups_16")).state
        == "0"
    )
    assert (
        float(
            hass.states.get(
                registered(entity_registry, Platform.SENSOR, f"{prefix}_weight_16")
            ).state
        )
        == 0
    )
    for unique_id in (f"{prefix}_last_pickup_16", f"{prefix}_last_pickup_weight_16"):
        assert (
            hass.states.get(registered(entity_registry, Platform.SENSOR, unique_id)).state
            == "unknown"
        )
    assert (
        hass.states.get(registered(entity_registry, Platform.SENSOR, f"{prefix}_visits")).state
        == "0"
    )
    assert (
        hass.states.get(registered(entity_registry, Platform.SENSOR, f"{prefix}_last_visit")).state
        == "unknown"
    )


@pytest.mark.parametrize(
    ("history_years", "expected"),
    [(0, {}), (1, {"2025"}), (2, {"2025", "2024"})],
)
async def test_history_years_option(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
    history_years: int,
    expected: set[str],
) -> None:
    """Changing how many years to keep shows at the next poll, without a reload."""
    hass.config_entries.async_update_entry(
        setup_platforms, options={CONF_HISTORY_YEARS: history_years}
    )
    await poll(hass, setup_platforms)

    counts, _weights = portal_figures(simulator, DEMO_MAIN_ACCOUNT_ID, 15)
    for unique_id in (
        scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_15"),
        scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_weight_15"),
        scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_visits"),
    ):
        state = hass.states.get(registered(entity_registry, Platform.SENSOR, unique_id))
        assert set(state.attributes["previous_years"]) == set(expected), unique_id
    pickups = hass.states.get(
        registered(
            entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_15")
        )
    )
    assert pickups.attributes["previous_years"] == {year: counts[int(year)] for year in expected}
    assert pickups.state == str(counts[2026])

    # And back to two years: the past years are read again.
    hass.config_entries.async_update_entry(setup_platforms, options={CONF_HISTORY_YEARS: 2})
    await poll(hass, setup_platforms)
    pickups = hass.states.get(
        registered(
            entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_15")
        )
    )
    assert pickups.attributes["previous_years"] == {"2025": counts[2025], "2024": counts[2024]}


async def test_sensors_of_an_unlinked_account_are_removed(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
) -> None:
    """Unlinking (3 polls) removes the account's sensors; the login's sensors follow."""
    simulator.state.unlink("jeanne.dupont@example.fr", DEMO_SECOND_ACCOUNT_ID)
    for _ in range(CONFIRM_AFTER):
        await poll(hass, setup_platforms)
    assert find_device(device_registry, scoped(hass, str(DEMO_SECOND_ACCOUNT_ID))) is None
    remaining = er.async_entries_for_config_entry(entity_registry, setup_platforms.entry_id)
    assert not [
        e for e in remaining if e.unique_id.startswith(scoped(hass, f"{DEMO_SECOND_ACCOUNT_ID}_"))
    ]
    linked = registered(
        entity_registry, Platform.SENSOR, login_uid(setup_platforms, "linked_accounts")
    )
    assert hass.states.get(linked).state == "1"
    for entity in remaining:
        if not entity.disabled:
            assert hass.states.get(entity.entity_id).state != STATE_UNAVAILABLE


async def test_waste_type_removed_from_an_account(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
) -> None:
    """A waste type the portal no longer lists leaves its sensors unavailable."""
    account = simulator.state.get_account(DEMO_MAIN_ACCOUNT_ID)
    del account.waste_types[17]
    await poll(hass, setup_platforms)
    for key in ("pickups", "weight", "last_pickup", "last_pickup_weight"):
        unique_id = scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_{key}_17")
        assert (
            hass.states.get(registered(entity_registry, Platform.SENSOR, unique_id)).state
            == STATE_UNAVAILABLE
        )
    assert (
        hass.states.get(
            registered(
                entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_15")
            )
        ).state
        != STATE_UNAVAILABLE
    )


async def test_devices_snapshot(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """The login's device and one device per place, named after its address: an account's
    own (its label without the number: the number is the device's serial number), and
    the second account's workshop."""
    devices = dr.async_entries_for_config_entry(device_registry, setup_platforms.entry_id)
    assert sorted(device.name for device in devices) == sorted(
        [DEMO_TITLE, MAIN_ADDRESS, DEMO_SECOND_LABEL.split(" - ", 1)[1], DEMO_WORKSHOP_ADDRESS]
    )
    for device in sorted(devices, key=lambda device: sorted(device.identifiers)):
        assert device == sim_snapshot


@pytest.mark.parametrize(
    ("language", "entity_id", "name"),
    [
        (
            "fr",
            "sensor.12_rue_des_lilas_23000_gueret_ordures_menageres_derniere_levee",
            f"{MAIN_ADDRESS} Ordures ménagères : dernière levée",
        ),
        (
            "en",
            "sensor.12_rue_des_lilas_23000_gueret_ordures_menageres_last_pickup",
            f"{MAIN_ADDRESS} Ordures ménagères: last pickup",
        ),
    ],
)
async def test_names_lead_with_the_waste_type(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
    language: str,
    entity_id: str,
    name: str,
) -> None:
    """A new install names a waste type's entities after the place's address, then the
    type, id included (not "N° 104233 - …": the number is the device's serial number)."""
    hass.config.language = language
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.ecocito.PLATFORMS", [Platform.SENSOR]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    unique_id = scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_last_pickup_15")
    assert registered(entity_registry, Platform.SENSOR, unique_id) == entity_id
    assert hass.states.get(entity_id).attributes["friendly_name"] == name


async def test_existing_entity_ids_are_kept(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An entity registered under an old name keeps its entity ID (that of an install
    made before places, "ndeg_104233_…", too); only its name changes."""
    hass.config.language = "fr"
    mock_config_entry.add_to_hass(hass)
    old_id = "sensor.ndeg_104233_12_rue_des_lilas_23000_gueret_derniere_levee_ordures_menageres"
    entity_registry.async_get_or_create(
        Platform.SENSOR,
        DOMAIN,
        scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_last_pickup_15"),
        config_entry=mock_config_entry,
        suggested_object_id=old_id.removeprefix("sensor."),
    )
    with patch("custom_components.ecocito.PLATFORMS", [Platform.SENSOR]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert (
        registered(
            entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_last_pickup_15")
        )
        == old_id
    )
    assert hass.states.get(old_id).attributes["friendly_name"] == (
        f"{MAIN_ADDRESS} Ordures ménagères : dernière levée"
    )
    assert (
        hass.states.get("sensor.12_rue_des_lilas_23000_gueret_ordures_menageres_derniere_levee")
        is None
    )


async def test_pickup_counts_show_their_waste_type(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, setup_platforms: MockConfigEntry
) -> None:
    """Each waste type's pickup count has the icon of its type; other sensors keep theirs."""
    icons = {
        type_id: hass.states.get(
            registered(
                entity_registry,
                Platform.SENSOR,
                scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_{type_id}"),
            )
        ).attributes.get("icon")
        for type_id in (15, 16, 17)
    }
    assert icons == {15: "mdi:trash-can", 16: "mdi:recycle", 17: "mdi:food-apple"}
    weight = registered(
        entity_registry, Platform.SENSOR, scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_weight_15")
    )
    assert "icon" not in hass.states.get(weight).attributes
    assert entity_registry.async_get(weight).translation_key == "waste_type_weight"


async def test_bin_and_chip_numbers(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
) -> None:
    """Each waste type's bin and chip numbers: diagnostic, disabled until the user wants them."""
    account = simulator.state.get_account(DEMO_MAIN_ACCOUNT_ID)
    numbers = {
        registered(
            entity_registry,
            Platform.SENSOR,
            scoped(hass, f"{DEMO_MAIN_ACCOUNT_ID}_{key}_{type_id}"),
        ): value
        for type_id in (15, 16, 17)
        for key, value in (
            ("bin_number", account.bin_number(type_id)),
            ("chip_number", account.chip_number(type_id)),
        )
    }
    for entity_id in numbers:
        entry = entity_registry.async_get(entity_id)
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
        assert hass.states.get(entity_id) is None
        entity_registry.async_update_entity(entity_id, disabled_by=None)

    assert await hass.config_entries.async_reload(setup_platforms.entry_id)
    await hass.async_block_till_done()
    assert {entity_id: hass.states.get(entity_id).state for entity_id in numbers} == numbers
    assert len(set(numbers.values())) == 6
