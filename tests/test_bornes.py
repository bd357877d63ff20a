"""Bornes: badge openings per account, waste type and month, as the portal counts them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.ecocito.api import portal as portal_names
from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import DOMAIN

from .conftest import DEMO_TITLE, FROZEN_NOW
from .helpers import poll, registered, scoped, simulator_entry
from .portal import PortalSimulator
from .portal.app import Fault, FaultKind
from .portal.scenarios import (
    BORNES_ACCOUNT_ID,
    BORNES_LOGIN,
    BORNES_PASSWORD,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_PASSWORD,
    DEMO_SECOND_ACCOUNT_ID,
)
from .portal.state import PARIS

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

MONTH = "borne_openings_month"
YEAR = "borne_openings"


@pytest.fixture
def scenario() -> str:
    return "bornes"


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


@pytest.fixture
def mock_config_entry(simulator: PortalSimulator, scenario: str) -> MockConfigEntry:
    """The entry of the scenario's login: the borne-only flat, or the demo."""
    if scenario == "bornes":
        return simulator_entry(simulator.base_url, BORNES_LOGIN, BORNES_PASSWORD, "Ecocito Bornes")
    return simulator_entry(simulator.base_url, DEMO_LOGIN, DEMO_PASSWORD, DEMO_TITLE)


def portal_openings(
    simulator: PortalSimulator, account_id: int, type_id: int
) -> Counter[tuple[int, int]]:
    """Count an account's openings of one type per (year, month), from the portal's data."""
    return Counter(
        (drop_off.when.year, drop_off.when.month)
        for drop_off in simulator.state.get_account(account_id).drop_offs
        if drop_off.type_id == type_id
    )


def borne_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, account_id: int
) -> set[str]:
    """Return the borne sensors' unique IDs of one account."""
    prefix = scoped(hass, f"{account_id}_")
    return {
        entry.unique_id
        for entry in entity_registry.entities.values()
        if entry.unique_id.startswith(prefix) and "_borne_openings" in entry.unique_id
    }


def state_of(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, account_id: int, key: str, type_id: int
) -> tuple[str, dict[str, object]]:
    found = hass.states.get(
        registered(entity_registry, Platform.SENSOR, scoped(hass, f"{account_id}_{key}_{type_id}"))
    )
    assert found is not None
    return found.state, dict(found.attributes)


async def test_openings_per_type_and_month(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    setup_platforms: MockConfigEntry,
) -> None:
    """This month, this year and the past year are the portal's counts, per waste type."""
    this_year = FROZEN_NOW.year
    for type_id, label in ((1, "Ordures ménagères"), (2, "Emballages")):
        counts = portal_openings(simulator, BORNES_ACCOUNT_ID, type_id)
        month, attributes = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, MONTH, type_id)
        assert int(month) == counts[(this_year, FROZEN_NOW.month)]
        assert attributes["friendly_name"].endswith(f"{label}: borne openings this month")
        assert attributes["last_reset"] == datetime(this_year, 11, 1, tzinfo=PARIS).isoformat()
        assert attributes["state_class"] == "total"
        year, attributes = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, type_id)
        this_years = sum(n for (y, _m), n in counts.items() if y == this_year)
        assert int(year) == this_years > int(month)
        assert attributes["friendly_name"].endswith(f"{label}: borne openings this year")
        assert attributes["last_reset"] == datetime(this_year, 1, 1, tzinfo=PARIS).isoformat()
        past = sum(n for (y, _m), n in counts.items() if y == this_year - 1)
        # Two years kept: the year before the first opening counts none, and is left out.
        assert attributes["previous_years"] == {str(this_year - 1): past}
        assert past > 0
        assert counts[(this_year - 1, 8)] == 0  # August away: a month at 0 counts nothing
    # Glass is listed but its borne was never opened: no entity.
    assert state_of(hass, entity_registry, BORNES_ACCOUNT_ID, MONTH, 1)[0] != "0"
    assert borne_entities(hass, entity_registry, BORNES_ACCOUNT_ID) == {
        scoped(hass, f"{BORNES_ACCOUNT_ID}_{key}_{type_id}")
        for key in (MONTH, YEAR)
        for type_id in (1, 2)
    }


@pytest.mark.parametrize("scenario", ["demo"])
async def test_no_borne_entities_without_openings(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, setup_platforms: MockConfigEntry
) -> None:
    """The main account never opened a borne; the second, only its packaging one."""
    assert borne_entities(hass, entity_registry, DEMO_MAIN_ACCOUNT_ID) == set()
    assert borne_entities(hass, entity_registry, DEMO_SECOND_ACCOUNT_ID) == {
        scoped(hass, f"{DEMO_SECOND_ACCOUNT_ID}_{key}_16") for key in (MONTH, YEAR)
    }


async def test_bornes_are_read_once_a_day(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    setup_platforms: MockConfigEntry,
) -> None:
    """Monthly figures: the day's first poll reads them, the day's other polls do not."""
    simulator.reset_requests()
    simulator.state.add_drop_off(BORNES_ACCOUNT_ID, 1, FROZEN_NOW - timedelta(hours=1))
    before, _ = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)

    await poll(hass, setup_platforms)
    assert simulator.count(portal_names.PATH_BORNE_DROP_OFFS) == 0
    assert state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)[0] == before

    freezer.move_to(FROZEN_NOW + timedelta(days=1))
    await poll(hass, setup_platforms)
    assert simulator.count(portal_names.PATH_BORNE_DROP_OFFS) > 0
    assert int(state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)[0]) == int(before) + 1


async def test_a_short_borne_read_keeps_the_figures(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    setup_platforms: MockConfigEntry,
) -> None:
    """Openings going down are kept until the portal has said so CONFIRM_AFTER days in a row."""
    before, _ = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)
    account = simulator.state.get_account(BORNES_ACCOUNT_ID)
    account.drop_offs.remove(
        next(d for d in account.drop_offs if d.type_id == 1 and d.when.year == FROZEN_NOW.year)
    )
    for day in range(1, CONFIRM_AFTER):
        freezer.move_to(FROZEN_NOW + timedelta(days=day))
        coordinator = await poll(hass, setup_platforms)
        assert coordinator.last_update_success
        assert state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)[0] == before
    freezer.move_to(FROZEN_NOW + timedelta(days=CONFIRM_AFTER))
    await poll(hass, setup_platforms)
    assert int(state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)[0]) == int(before) - 1


async def test_a_failed_borne_read_costs_only_the_bornes(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    setup_platforms: MockConfigEntry,
) -> None:
    """A failing borne read fails nothing: the borne figures keep their last value, told once."""
    coordinator = setup_platforms.runtime_data
    before = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 2)[0]
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, path=portal_names.PATH_BORNE_DROP_OFFS))
    for day in (1, 2):
        freezer.move_to(FROZEN_NOW + timedelta(days=day))
        await poll(hass, setup_platforms)
        assert coordinator.last_update_success
        assert state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 2)[0] == before
    # The diagnostics' portal shape says how the borne statistics answered.
    assert coordinator.client.portal_shape["borne_statistics"] == {"http_error": 500}
    told = [r for r in caplog.records if "borne statistics could not be read" in r.getMessage()]
    assert len(told) == 1
    assert told[0].levelname == "WARNING"
    simulator.clear_faults()
    freezer.move_to(FROZEN_NOW + timedelta(days=3))
    await poll(hass, setup_platforms)
    assert state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 2)[0] == before
    assert any("borne statistics are read again" in r.getMessage() for r in caplog.records)


async def test_borne_allowance_crossing_the_limit(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    setup_platforms: MockConfigEntry,
) -> None:
    """Openings included per year and a price per extra one, in the pickups' options step."""
    entry = setup_platforms
    opened = sum(
        n
        for (year, _month), n in portal_openings(simulator, BORNES_ACCOUNT_ID, 1).items()
        if year == FROZEN_NOW.year
    )
    flow = hass.config_entries.options
    result = await flow.async_init(entry.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "allowance"})
    assert result["step_id"] == "allowance_account"  # a single account: straight on
    fields = [str(key) for key in result["data_schema"].schema]
    # Glass is listed but its borne never opened: no field for it.
    assert fields == [
        "Ordures ménagères",
        "Emballages",
        "Verre",
        "price",
        "Ordures ménagères (borne)",
        "Emballages (borne)",
        "borne_price",
        "visits",
        "visit_price",
    ]
    result = await flow.async_configure(
        result["flow_id"], {"Ordures ménagères (borne)": "2,5", "borne_price": "0,50"}
    )
    assert result["errors"] == {"Ordures ménagères (borne)": "borne_count_range"}
    result = await flow.async_configure(
        result["flow_id"], {"Ordures ménagères (borne)": "1000", "borne_price": "0,50"}
    )
    assert result["errors"] == {"Ordures ménagères (borne)": "borne_count_range"}
    result = await flow.async_configure(
        result["flow_id"], {"Ordures ménagères (borne)": str(opened - 2), "borne_price": "0,50"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["allowances"] == {
        str(BORNES_ACCOUNT_ID): {
            "included": {},
            "price": None,
            "borne_included": {"1": opened - 2},
            "borne_price": 0.5,
        }
    }

    def figure(key: str) -> str:
        found = hass.states.get(
            registered(entity_registry, Platform.SENSOR, scoped(hass, f"{BORNES_ACCOUNT_ID}_{key}"))
        )
        assert found is not None
        return found.state

    assert figure("borne_allowance_remaining_1") == "0"
    assert figure("borne_allowance_extra_1") == "2"
    assert figure("allowance_cost") == "1.0"
    # At the year's pace (26 November, day 330 of 365): the openings expected by the end.
    expected = math.floor(opened * 365 / 330 + 0.5)
    assert figure("borne_allowance_projected_1") == str(expected)
    assert figure("borne_allowance_projected_extra_1") == str(expected - (opened - 2))
    assert figure("allowance_projected_cost") == str((expected - (opened - 2)) * 0.5)
    remaining = hass.states.get(
        registered(
            entity_registry,
            Platform.SENSOR,
            scoped(hass, f"{BORNES_ACCOUNT_ID}_borne_allowance_remaining_1"),
        )
    )
    assert remaining is not None
    assert remaining.attributes["friendly_name"].endswith(
        "Ordures ménagères: included borne openings remaining"
    )
    # Only the counted waste type has sensors.
    assert (
        entity_registry.async_get_entity_id(
            Platform.SENSOR,
            DOMAIN,
            scoped(hass, f"{BORNES_ACCOUNT_ID}_borne_allowance_extra_2"),
        )
        is None
    )

    simulator.state.add_drop_off(BORNES_ACCOUNT_ID, 1, FROZEN_NOW - timedelta(hours=1))
    freezer.move_to(FROZEN_NOW + timedelta(days=1))  # the next day's first poll reads them
    await poll(hass, entry)
    assert figure("borne_allowance_extra_1") == "3"
    assert figure("allowance_cost") == "1.5"


async def test_this_month_starts_again_on_the_first(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """At midnight on the 1st (Paris), this month's openings start again, without a poll.

    Polling is off from the start: no poll is ever planned (one planned before it was
    turned off would still run once).
    """
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, pref_disable_polling=True)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, entity_registry, BORNES_ACCOUNT_ID, MONTH, 1)[0] != "0"
    simulator.reset_requests()
    december = datetime(FROZEN_NOW.year, 12, 1, 0, 0, 1, tzinfo=PARIS)
    freezer.move_to(december)
    async_fire_time_changed(hass, december)
    await hass.async_block_till_done()
    month, attributes = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, MONTH, 1)
    assert month == "0"
    assert attributes["last_reset"] == datetime(FROZEN_NOW.year, 12, 1, tzinfo=PARIS).isoformat()
    year, _ = state_of(hass, entity_registry, BORNES_ACCOUNT_ID, YEAR, 1)
    assert int(year) == sum(
        n
        for (y, _m), n in portal_openings(simulator, BORNES_ACCOUNT_ID, 1).items()
        if y == FROZEN_NOW.year
    )
    assert simulator.requests == []
