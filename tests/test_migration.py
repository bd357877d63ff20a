"""Version 1 to 2: identifiers scoped by portal, with everything the user has kept.

The registries are written as version 1 named things: account devices after the bare
account ID, account entities ``<account>_<key>``, login entities ``<host>_<e-mail>_<key>``
and statistics ``ecocito:<account>_…``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ecocito.const import DOMAIN
from custom_components.ecocito.statistic_ids import Series

from .conftest import DEMO_TITLE
from .helpers import find_device, simulator_entry
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_PASSWORD,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
OLD_HOUR = datetime(2020, 6, 1, 5, tzinfo=UTC)
"""A statistics row from before the kept years: only a rename keeps it."""


def version_1_entry(simulator: PortalSimulator) -> MockConfigEntry:
    entry = simulator_entry(simulator.base_url, DEMO_LOGIN, DEMO_PASSWORD, DEMO_TITLE)
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options=dict(entry.options),
        version=1,
    )


async def sum_rows(hass: HomeAssistant, statistic_id: str) -> list[tuple[float, float]]:
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, EPOCH, None, {statistic_id}, "hour", None, {"sum"}
    )
    return [(row["start"], row["sum"] or 0.0) for row in found.get(statistic_id, [])]


async def test_migration_keeps_ids_customisations_and_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
) -> None:
    """Every entity ID, device, user name, area and recorded statistic survives."""
    entry = version_1_entry(simulator)
    entry.add_to_hass(hass)
    host = simulator.base_url.removeprefix("http://")
    statistic_key = host.replace(".", "_").replace(":", "_")
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    area = ar.async_get(hass).async_get_or_create("Chez mamie")

    # The registries as version 1 wrote them.
    login = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, entry.entry_id)}, name=DEMO_TITLE
    )
    main = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(DEMO_MAIN_ACCOUNT_ID))},
        name=DEMO_MAIN_LABEL,
    )
    second = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(DEMO_SECOND_ACCOUNT_ID))},
        name=DEMO_SECOND_LABEL,
    )
    devices.async_update_device(second.id, name_by_user="Mamie", area_id=area.id)
    old = {
        # (platform, version 1 unique ID, device): the entity ID it had
        (Platform.SENSOR, f"{DEMO_MAIN_ACCOUNT_ID}_pickups_15", main.id): None,
        (Platform.SENSOR, f"{DEMO_SECOND_ACCOUNT_ID}_pickups_15", second.id): None,
        (Platform.CALENDAR, f"{DEMO_MAIN_ACCOUNT_ID}_history", main.id): None,
        (Platform.EVENT, f"{DEMO_SECOND_ACCOUNT_ID}_pickup", second.id): None,
        (Platform.SENSOR, f"{entry.unique_id}_linked_accounts", login.id): None,
        (Platform.SENSOR, f"{entry.unique_id}_pickups_active", login.id): None,
        (Platform.SELECT, f"{entry.unique_id}_active_account", login.id): None,
        (Platform.EVENT, f"{entry.unique_id}_accounts", login.id): None,
    }
    for platform, unique_id, device_id in list(old):
        registered = entities.async_get_or_create(
            platform,
            DOMAIN,
            unique_id,
            config_entry=entry,
            device_id=device_id,
            suggested_object_id=f"v1_{unique_id.rsplit('_', 1)[-1]}_{len(old)}",
        )
        old[platform, unique_id, device_id] = registered.entity_id
    renamed = old[Platform.SENSOR, f"{DEMO_SECOND_ACCOUNT_ID}_pickups_15", second.id]
    entities.async_update_entity(renamed, new_entity_id="sensor.mamie_levees")
    old[Platform.SENSOR, f"{DEMO_SECOND_ACCOUNT_ID}_pickups_15", second.id] = "sensor.mamie_levees"
    old_statistic = f"{DOMAIN}:{DEMO_MAIN_ACCOUNT_ID}_15_pickups"
    series = Series(old_statistic, "levées", None, None, ((OLD_HOUR, 1.0),))
    async_add_external_statistics(hass, series.metadata(), series.rows(99.0))
    assert await sum_rows(hass, old_statistic) == [(OLD_HOUR.timestamp(), 100.0)]

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2
    for (platform, unique_id, device_id), entity_id in old.items():
        entity = entities.async_get(entity_id)
        assert entity is not None, entity_id
        assert entity.device_id == device_id
        assert host in entity.unique_id
        assert DEMO_LOGIN not in entity.unique_id
        assert entities.async_get_entity_id(platform, DOMAIN, unique_id) is None
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state != STATE_UNAVAILABLE, entity_id
    assert entities.async_get(renamed) is None
    assert entities.async_get("sensor.mamie_levees").unique_id == (
        f"{host}_{DEMO_SECOND_ACCOUNT_ID}_pickups_15"
    )
    # No entity was registered twice (under a generated ID next to the old one).
    assert not [
        e.entity_id
        for e in er.async_entries_for_config_entry(entities, entry.entry_id)
        if e.entity_id.endswith("_2")
    ]
    assert devices.async_get(main.id).identifiers == {(DOMAIN, f"{host}_{DEMO_MAIN_ACCOUNT_ID}")}
    assert devices.async_get(login.id).identifiers == {(DOMAIN, entry.entry_id)}
    mamie = devices.async_get(second.id)
    assert mamie.identifiers == {(DOMAIN, f"{host}_{DEMO_SECOND_ACCOUNT_ID}")}
    assert (mamie.name_by_user, mamie.area_id) == ("Mamie", area.id)
    # The login, two accounts, and the second account's workshop (a place of its own).
    assert len(dr.async_entries_for_config_entry(devices, entry.entry_id)) == 4

    # The statistic is renamed with its history; the new rows continue its sum.
    new_statistic = f"{DOMAIN}:{statistic_key}_{DEMO_MAIN_ACCOUNT_ID}_15_pickups"
    rows = await sum_rows(hass, new_statistic)
    assert rows[0] == (OLD_HOUR.timestamp(), 100.0)
    assert len(rows) > 1
    assert all(later[1] > earlier[1] for earlier, later in pairwise(rows))
    ids = {
        item["statistic_id"]
        for item in await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    }
    assert old_statistic not in ids
    ours = [statistic_id for statistic_id in ids if statistic_id.startswith(f"{DOMAIN}:")]
    assert ours
    assert all(statistic_id.startswith(f"{DOMAIN}:{statistic_key}_") for statistic_id in ours)


async def test_an_entry_from_a_newer_version_is_left_alone(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PortalSimulator
) -> None:
    """Downgrading never half-migrates: the entry waits for the newer version."""
    newer = version_1_entry(simulator)
    newer = MockConfigEntry(
        domain=DOMAIN,
        title=newer.title,
        unique_id=newer.unique_id,
        data=dict(newer.data),
        version=3,
    )
    newer.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(newer.entry_id)
    assert newer.state is ConfigEntryState.MIGRATION_ERROR
    assert newer.version == 3


async def test_migration_without_the_recorder(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PortalSimulator
) -> None:
    """Without the recorder there are no statistics to move: the rest migrates."""
    entry = version_1_entry(simulator)
    entry.add_to_hass(hass)
    host = simulator.base_url.removeprefix("http://")
    devices = dr.async_get(hass)
    main = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(DEMO_MAIN_ACCOUNT_ID))},
        name=DEMO_MAIN_LABEL,
    )
    assert "recorder" not in hass.config.components

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2
    migrated = devices.async_get(main.id)
    assert migrated is not None
    assert migrated.identifiers == {(DOMAIN, f"{host}_{DEMO_MAIN_ACCOUNT_ID}")}


async def test_migration_of_an_entry_that_never_polled(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PortalSimulator
) -> None:
    """A version 1 entry without any device (it never polled) migrates and sets up."""
    entry = version_1_entry(simulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2
    host = simulator.base_url.removeprefix("http://")
    device = find_device(dr.async_get(hass), f"{host}_{DEMO_MAIN_ACCOUNT_ID}")
    assert device is not None


async def test_migration_leaves_the_statistics_of_others_alone(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
) -> None:
    """Only this entry's accounts' statistics move: another login's stay as they are."""
    entry = version_1_entry(simulator)
    entry.add_to_hass(hass)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(DEMO_MAIN_ACCOUNT_ID))},
        name=DEMO_MAIN_LABEL,
    )
    others = (
        f"{DOMAIN}:130001_15_pickups",  # an account of another login, not yet migrated
        f"{DOMAIN}:gueret_ecocito_com_{DEMO_MAIN_ACCOUNT_ID}_15_pickups",  # another portal's
    )
    for statistic_id in others:
        series = Series(statistic_id, "levées", None, None, ((OLD_HOUR, 1.0),))
        async_add_external_statistics(hass, series.metadata(), series.rows(4.0))
    for statistic_id in others:
        assert await sum_rows(hass, statistic_id) == [(OLD_HOUR.timestamp(), 5.0)]

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.version == 2
    for statistic_id in others:
        assert await sum_rows(hass, statistic_id) == [(OLD_HOUR.timestamp(), 5.0)]
