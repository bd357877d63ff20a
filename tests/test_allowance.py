"""The pay-as-you-throw allowance: options flow, sensors and binary sensor."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ecocito.allowance import year_end_projection
from custom_components.ecocito.const import CONF_ALLOWANCES, CONF_HISTORY_YEARS, DOMAIN

from .conftest import FROZEN_NOW
from .helpers import account_device, scoped
from .portal import PortalSimulator
from .portal.scenarios import (
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_SECOND_ACCOUNT_ID,
)
from .portal.state import PARIS

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]

MAIN = DEMO_MAIN_ACCOUNT_ID
RESIDUAL = 15
PACKAGING = 16


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)


def value(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    found = entity_id(hass, platform, unique_id)
    assert found is not None, unique_id
    state = hass.states.get(found)
    assert state is not None
    return state.state


def used_this_year(simulator: PortalSimulator, type_id: int) -> int:
    today = dt_util.now(PARIS).date()
    return sum(
        1
        for p in simulator.state.get_account(MAIN).pickups
        if p.type_id == type_id and p.when.year == today.year and p.when.date() <= today
    )


async def set_allowance(
    hass: HomeAssistant, entry: MockConfigEntry, account: int | None, form: dict[str, Any]
) -> dict[str, Any]:
    flow = hass.config_entries.options
    result = await flow.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["history", "allowance"]
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "allowance"})
    if account is not None:
        assert result["step_id"] == "allowance"
        options = result["data_schema"].schema["account"].config["options"]
        assert {"value": str(MAIN), "label": DEMO_MAIN_LABEL} in options
        result = await flow.async_configure(result["flow_id"], {"account": str(account)})
    assert result["step_id"] == "allowance_account"
    assert result["description_placeholders"] == {"account": DEMO_MAIN_LABEL}
    result = await flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return result


async def allowance_form_suggests(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the main account's allowance form and return the figures it suggests."""
    flow = hass.config_entries.options
    result = await flow.async_init(entry.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "allowance"})
    result = await flow.async_configure(result["flow_id"], {"account": str(MAIN)})
    return {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if key.description
    }


async def test_allowance_crossing_the_limit(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Set an allowance without a reload; extra pickups make it exceeded and cost."""
    coordinator = init_integration.runtime_data
    assert (
        entity_id(hass, Platform.BINARY_SENSOR, scoped(hass, f"{MAIN}_allowance_exceeded")) is None
    )
    used = used_this_year(simulator, RESIDUAL)
    await set_allowance(hass, init_integration, MAIN, {"Ordures ménagères": used + 1, "price": 3.5})
    assert init_integration.options[CONF_ALLOWANCES] == {
        str(MAIN): {"included": {str(RESIDUAL): used + 1}, "price": 3.5}
    }
    assert init_integration.options[CONF_HISTORY_YEARS] == 2
    assert init_integration.runtime_data is coordinator  # not reloaded
    assert init_integration.state is ConfigEntryState.LOADED

    assert (
        value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_remaining_{RESIDUAL}")) == "1"
    )
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_extra_{RESIDUAL}")) == "0"
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_cost")) == "0.0"
    assert (
        value(hass, Platform.BINARY_SENSOR, scoped(hass, f"{MAIN}_allowance_exceeded")) == STATE_OFF
    )
    # Only the counted waste type has sensors; the other account has none.
    assert (
        entity_id(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_remaining_{PACKAGING}"))
        is None
    )
    assert (
        entity_id(hass, Platform.SENSOR, scoped(hass, f"{DEMO_SECOND_ACCOUNT_ID}_allowance_cost"))
        is None
    )

    now = dt_util.now(PARIS)
    simulator.state.add_pickup(MAIN, RESIDUAL, now - timedelta(minutes=3), 9.0)
    simulator.state.add_pickup(MAIN, RESIDUAL, now - timedelta(minutes=2), 9.5)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert (
        value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_remaining_{RESIDUAL}")) == "0"
    )
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_extra_{RESIDUAL}")) == "1"
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_cost")) == "3.5"
    assert (
        value(hass, Platform.BINARY_SENSOR, scoped(hass, f"{MAIN}_allowance_exceeded")) == STATE_ON
    )

    cost = hass.states.get(
        entity_id(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_cost")) or ""
    )
    assert cost is not None
    assert cost.attributes["unit_of_measurement"] == "EUR"
    assert cost.attributes["device_class"] == "monetary"
    assert cost.attributes["state_class"] == "total"
    exceeded = hass.states.get(
        entity_id(hass, Platform.BINARY_SENSOR, scoped(hass, f"{MAIN}_allowance_exceeded")) or ""
    )
    assert exceeded is not None
    assert exceeded.attributes["extra_pickups"] == 1


async def test_allowance_removed_and_set_again(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Clearing an allowance removes its entities; setting it again brings the same IDs."""
    used = used_this_year(simulator, PACKAGING)
    await set_allowance(hass, init_integration, MAIN, {"Emballages": used, "Biodéchets": 0})
    remaining = entity_id(
        hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_remaining_{PACKAGING}")
    )
    assert remaining is not None
    assert hass.states.get(remaining).state == "0"  # type: ignore[union-attr]
    assert (
        value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_cost")) == "unknown"
    )  # no price
    biowaste = used_this_year(simulator, 17)
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_extra_17")) == str(biowaste)

    # Without the biowaste number, its sensors go; without any number, all go.
    await set_allowance(hass, init_integration, MAIN, {"Emballages": used})
    assert entity_id(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_extra_17")) is None
    await set_allowance(hass, init_integration, MAIN, {})
    assert init_integration.options[CONF_ALLOWANCES] == {}
    assert (
        entity_id(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_remaining_{PACKAGING}"))
        is None
    )
    assert (
        entity_id(hass, Platform.BINARY_SENSOR, scoped(hass, f"{MAIN}_allowance_exceeded")) is None
    )
    assert hass.states.get(remaining) is None

    await set_allowance(hass, init_integration, MAIN, {"Emballages": used + 2, "price": 2})
    assert (
        entity_id(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_remaining_{PACKAGING}"))
        == remaining
    )
    assert hass.states.get(remaining).state == "2"  # type: ignore[union-attr]

    # The form suggests the stored figures.
    suggested = await allowance_form_suggests(hass, init_integration)
    assert suggested == {"Emballages": used + 2, "price": 2.0}


async def test_allowance_survives_a_restart(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Allowances stored in the options give their entities at setup."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            CONF_HISTORY_YEARS: 2,
            CONF_ALLOWANCES: {str(MAIN): {"included": {str(RESIDUAL): 0}, "price": 4}},
        },
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    used = used_this_year(simulator, RESIDUAL)
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_extra_{RESIDUAL}")) == str(
        used
    )
    assert float(
        value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_cost"))
    ) == pytest.approx(4 * used)


async def test_allowance_needs_a_running_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The allowance needs the accounts: the options abort while the entry is not running."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    flow = hass.config_entries.options
    result = await flow.async_init(init_integration.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "allowance"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_single_account_goes_straight_to_the_form(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """With one linked account, the options skip the account choice."""
    simulator.state.unlink(DEMO_LOGIN, DEMO_SECOND_ACCOUNT_ID)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await set_allowance(hass, mock_config_entry, None, {"Ordures ménagères": 52, "price": 0})
    assert value(hass, Platform.SENSOR, scoped(hass, f"{MAIN}_allowance_cost")) == "0.0"


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"Ordures ménagères": 2.5}, {"Ordures ménagères": "whole_number"}),
        ({"Ordures ménagères": "nan"}, {"Ordures ménagères": "whole_number"}),
        ({"Ordures ménagères": 12, "price": "nan"}, {"price": "not_a_number"}),
        ({"visits": 26.5}, {"visits": "whole_number"}),
        ({"visits": 26, "visit_price": "nan"}, {"visit_price": "not_a_number"}),
    ],
)
async def test_allowance_counts_are_whole_numbers(
    hass: HomeAssistant, init_integration: MockConfigEntry, form: dict[str, Any], errors: Any
) -> None:
    """2.5 pickups (or NaN) is refused on its field, then a whole number is stored."""
    flow = hass.config_entries.options
    result = await flow.async_init(init_integration.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "allowance"})
    result = await flow.async_configure(result["flow_id"], {"account": str(MAIN)})
    assert result["step_id"] == "allowance_account"

    result = await flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert CONF_ALLOWANCES not in init_integration.options

    result = await flow.async_configure(result["flow_id"], {"Ordures ménagères": 12})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ALLOWANCES] == {
        str(MAIN): {"included": {"15": 12}, "price": None}
    }


async def test_history_years_are_a_whole_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    flow = hass.config_entries.options
    result = await flow.async_init(init_integration.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "history"})

    result = await flow.async_configure(result["flow_id"], {CONF_HISTORY_YEARS: 1.5})
    assert result["errors"] == {CONF_HISTORY_YEARS: "whole_number"}
    result = await flow.async_configure(result["flow_id"], {CONF_HISTORY_YEARS: 1})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_HISTORY_YEARS] == 1


@pytest.mark.parametrize(
    ("count", "today", "year", "expected"),
    [
        (44, date(2026, 11, 26), 2026, 49),  # day 330 of 365: 44 * 365 / 330 = 48.7
        (0, date(2026, 11, 26), 2026, 0),
        (1, date(2027, 1, 1), 2027, None),  # no pace on 1 January: it would say 365
        (1, date(2027, 1, 6), 2027, None),
        (1, date(2027, 1, 7), 2027, 52),  # 365 / 7 = 52.1
        (3, date(2028, 1, 10), 2028, 110),  # a leap year: 3 * 366 / 10 = 109.8
        (10, date(2026, 12, 31), 2026, 10),
        (10, date(2027, 1, 2), 2026, 10),  # the year is over (not yet polled in the new one)
    ],
)
def test_year_end_projection(count: int, today: date, year: int, expected: int | None) -> None:
    """The pace is the count over the days elapsed, today included; no pace before 7 January."""
    assert year_end_projection(count, today, year) == expected


def named(hass: HomeAssistant, platform: str, unique_id: str) -> State:
    found = hass.states.get(entity_id(hass, platform, scoped(hass, unique_id)) or "")
    assert found is not None, unique_id
    return found


async def test_projection_and_visits_in_french(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """On 26 November, the pace of the year crosses the limits the count so far has not.

    44 residual pickups in 330 days project 49 by 31 December: 3 beyond the 46 included.
    9 visits project 10: 2 beyond the 8 included, 1 of them already made.
    """
    hass.config.language = "fr"
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert used_this_year(simulator, RESIDUAL) == 44
    await set_allowance(
        hass,
        mock_config_entry,
        MAIN,
        {"Ordures ménagères": 46, "price": 3.5, "visits": 8, "visit_price": 40.46},
    )
    assert mock_config_entry.options[CONF_ALLOWANCES] == {
        str(MAIN): {
            "included": {str(RESIDUAL): 46},
            "price": 3.5,
            "visits": 8,
            "visit_price": 40.46,
        }
    }
    shown = {
        key: (state.name, state.state)
        for key in (
            f"{MAIN}_allowance_remaining_{RESIDUAL}",
            f"{MAIN}_allowance_extra_{RESIDUAL}",
            f"{MAIN}_allowance_projected_{RESIDUAL}",
            f"{MAIN}_allowance_projected_extra_{RESIDUAL}",
            f"{MAIN}_visit_quota_remaining",
            f"{MAIN}_visit_quota_extra",
            f"{MAIN}_visit_quota_cost",
            f"{MAIN}_allowance_cost",
            f"{MAIN}_allowance_projected_cost",
        )
        if (state := named(hass, Platform.SENSOR, key))
    }
    device = account_device(dr.async_get(hass), MAIN)
    assert device is not None
    prefix = f"{device.name} "
    assert {key: (name.removeprefix(prefix), value) for key, (name, value) in shown.items()} == {
        f"{MAIN}_allowance_remaining_{RESIDUAL}": (
            "Ordures ménagères : levées restant dans le forfait",
            "2",
        ),
        f"{MAIN}_allowance_extra_{RESIDUAL}": (
            "Ordures ménagères : levées hors forfait cette année",
            "0",
        ),
        f"{MAIN}_allowance_projected_{RESIDUAL}": (
            "Ordures ménagères : levées prévues au 31 décembre",
            "49",
        ),
        f"{MAIN}_allowance_projected_extra_{RESIDUAL}": (
            "Ordures ménagères : levées hors forfait prévues au 31 décembre",
            "3",
        ),
        f"{MAIN}_visit_quota_remaining": ("Passages en déchèterie restant dans le forfait", "0"),
        f"{MAIN}_visit_quota_extra": ("Passages en déchèterie hors forfait cette année", "1"),
        f"{MAIN}_visit_quota_cost": (
            "Coût des passages en déchèterie hors forfait cette année",
            "40.46",
        ),
        # So far: no extra pickup, one extra visit.
        f"{MAIN}_allowance_cost": ("Coût estimé hors forfait cette année", "40.46"),
        # By 31 December: 3 * 3.50 + 2 * 40.46.
        f"{MAIN}_allowance_projected_cost": ("Coût supplémentaire prévu au 31 décembre", "91.42"),
    }
    exceeded = named(hass, Platform.BINARY_SENSOR, f"{MAIN}_allowance_exceeded")
    assert exceeded.name == f"{prefix}Forfait dépassé"
    assert exceeded.state == STATE_ON
    assert (exceeded.attributes["extra_pickups"], exceeded.attributes["extra_visits"]) == (0, 1)

    # A visit today: one more extra visit, and the pace of the year goes up with it.
    simulator.state.add_visit(
        MAIN, dt_util.now(PARIS) - timedelta(hours=1), "Déchèterie de Guéret", "Gravats", 1.0
    )
    await mock_config_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert named(hass, Platform.SENSOR, f"{MAIN}_visit_quota_extra").state == "2"
    assert named(hass, Platform.SENSOR, f"{MAIN}_visit_quota_cost").state == "80.92"
    assert named(hass, Platform.SENSOR, f"{MAIN}_allowance_cost").state == "80.92"
    # 10 visits project 11 (3 extra): 3 * 3.50 + 3 * 40.46.
    assert named(hass, Platform.SENSOR, f"{MAIN}_allowance_projected_cost").state == "131.88"

    # The form suggests the stored quota.
    suggested = await allowance_form_suggests(hass, mock_config_entry)
    assert suggested == {
        "Ordures ménagères": 46,
        "price": 3.5,
        "visits": 8,
        "visit_price": 40.46,
    }


async def test_projection_across_the_new_year(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new year starts with no pace: the projection is unknown until 7 January.

    Visits alone can make an allowance: its cost is theirs.
    """
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            CONF_HISTORY_YEARS: 2,
            CONF_ALLOWANCES: {
                str(MAIN): {"included": {str(RESIDUAL): 40}, "price": 2},
                str(DEMO_SECOND_ACCOUNT_ID): {
                    "included": {},
                    "price": None,
                    "visits": 2,
                    "visit_price": 40.46,
                },
            },
        },
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = mock_config_entry.runtime_data
    projected = named(hass, Platform.SENSOR, f"{MAIN}_allowance_projected_{RESIDUAL}")
    assert projected.name.endswith(" Ordures ménagères: pickups expected by 31 December")
    assert projected.state == "49"
    projected_cost = named(hass, Platform.SENSOR, f"{MAIN}_allowance_projected_cost")
    assert projected_cost.name.endswith(" Extra cost expected by 31 December")
    assert projected_cost.state == "18.0"  # 9 beyond the 40 included, at 2 €
    assert projected_cost.attributes["unit_of_measurement"] == "EUR"

    # The second account counts only its visits: 3 made, 2 included.
    second = DEMO_SECOND_ACCOUNT_ID
    assert {
        key: named(hass, Platform.SENSOR, f"{second}_{key}").state
        for key in ("visit_quota_remaining", "visit_quota_extra", "visit_quota_cost")
    } == {"visit_quota_remaining": "0", "visit_quota_extra": "1", "visit_quota_cost": "40.46"}
    assert named(hass, Platform.SENSOR, f"{second}_allowance_cost").state == "40.46"
    assert named(hass, Platform.SENSOR, f"{second}_visit_quota_remaining").name.endswith(
        " Included recycling-centre visits remaining"
    )
    assert (
        entity_id(hass, Platform.SENSOR, scoped(hass, f"{second}_allowance_projected_{RESIDUAL}"))
        is None
    )

    for day, expected_projection, expected_cost in (
        (3, "unknown", "unknown"),  # no pickup yet, and no pace before 7 January
        (6, "unknown", "unknown"),
        (7, "52", "24.0"),  # one pickup in 7 days: 52 by 31 December, 12 beyond 40
    ):
        freezer.move_to(datetime(2027, 1, day, 12, 0, tzinfo=PARIS))
        if day == 6:
            simulator.state.add_pickup(
                MAIN, RESIDUAL, datetime(2027, 1, 5, 7, 0, tzinfo=PARIS), 9.0
            )
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert coordinator.data.year == 2027
        assert (
            named(hass, Platform.SENSOR, f"{MAIN}_allowance_projected_{RESIDUAL}").state,
            named(hass, Platform.SENSOR, f"{MAIN}_allowance_projected_cost").state,
            named(hass, Platform.SENSOR, f"{MAIN}_allowance_cost").state,
        ) == (expected_projection, expected_cost, "0.0"), day
    # The new year's visits start from zero too.
    assert named(hass, Platform.SENSOR, f"{second}_visit_quota_remaining").state == "2"
