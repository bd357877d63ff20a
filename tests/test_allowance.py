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
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ecocito.allowance import year_end_projection
from custom_components.ecocito.const import CONF_ALLOWANCES, CONF_HISTORY_YEARS, DOMAIN
from custom_components.ecocito.options_flow import RANGES

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


def typed(form: dict[str, Any]) -> dict[str, str]:
    """Return a form's figures as a French resident types them: 3.5 is "3,5"."""
    return {key: str(figure).replace(".", ",") for key, figure in form.items()}


async def set_allowance(
    hass: HomeAssistant, entry: MockConfigEntry, account: int | None, form: dict[str, Any]
) -> dict[str, Any]:
    """Set an account's allowance through the options flow, the figures typed in French."""
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
    assert result["description_placeholders"] == {"account": DEMO_MAIN_LABEL, **RANGES}
    result = await flow.async_configure(result["flow_id"], typed(form))
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
    assert suggested == {"Emballages": str(used + 2), "price": "2.00"}


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
    ("form", "stored"),
    [
        # The form's own examples, with a French decimal comma, a euro sign, spaces.
        ({"price": "5,50", "visits": "26", "visit_price": "40,46"}, (5.5, 26, 40.46)),
        ({"price": " 5,5 € ", "visits": "15", "visit_price": "40.46"}, (5.5, 15, 40.46)),
        ({"price": "1 000", "visits": "0", "visit_price": ",5"}, (1000.0, 0, 0.5)),
        ({"price": "12", "visits": "365", "visit_price": "0"}, (12.0, 365, 0.0)),
    ],
)
async def test_allowance_reads_numbers_as_typed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    form: dict[str, str],
    stored: tuple[float, int, float],
) -> None:
    """A decimal comma is a decimal comma: "5,50" is 5.5 €, never 550."""
    await set_allowance(hass, init_integration, MAIN, {"Ordures ménagères": "12", **form})
    price, visits, visit_price = stored
    assert init_integration.options[CONF_ALLOWANCES] == {
        str(MAIN): {
            "included": {str(RESIDUAL): 12},
            "price": price,
            "visits": visits,
            "visit_price": visit_price,
        }
    }


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"Ordures ménagères": "2,5"}, {"Ordures ménagères": "count_range"}),
        ({"Ordures ménagères": "1.000"}, {"Ordures ménagères": "count_range"}),
        ({"Ordures ménagères": "366"}, {"Ordures ménagères": "count_range"}),
        ({"Ordures ménagères": "-3"}, {"Ordures ménagères": "count_range"}),
        ({"Ordures ménagères": "nan"}, {"Ordures ménagères": "count_range"}),
        ({"Ordures ménagères": "12", "price": "nan"}, {"price": "price_range"}),
        ({"Ordures ménagères": "12", "price": "1.000"}, {"price": "price_range"}),
        ({"Ordures ménagères": "12", "price": "5,555"}, {"price": "price_range"}),
        ({"Ordures ménagères": "12", "price": "1000,01"}, {"price": "price_range"}),
        ({"Ordures ménagères": "12", "price": "cinq"}, {"price": "price_range"}),
        ({"visits": "26,5"}, {"visits": "count_range"}),
        ({"visits": "26", "visit_price": "40;46"}, {"visit_price": "price_range"}),
        (
            {"Ordures ménagères": "x", "price": "y", "visits": "z", "visit_price": "-1"},
            {
                "Ordures ménagères": "count_range",
                "price": "price_range",
                "visits": "count_range",
                "visit_price": "price_range",
            },
        ),
    ],
)
async def test_allowance_refuses_what_does_not_read(
    hass: HomeAssistant, init_integration: MockConfigEntry, form: dict[str, str], errors: Any
) -> None:
    """Each field that does not read is refused on itself, what was typed kept; then it saves."""
    flow = hass.config_entries.options
    result = await flow.async_init(init_integration.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "allowance"})
    result = await flow.async_configure(result["flow_id"], {"account": str(MAIN)})
    assert result["step_id"] == "allowance_account"

    result = await flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == form  # nothing typed is lost
    assert CONF_ALLOWANCES not in init_integration.options

    result = await flow.async_configure(result["flow_id"], {"Ordures ménagères": "12"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ALLOWANCES] == {
        str(MAIN): {"included": {"15": 12}, "price": None}
    }


@pytest.mark.parametrize(
    ("language", "key", "expected"),
    [
        ("en", "count_range", "Enter a whole number from 0 to 365, or leave the field empty."),
        ("fr", "count_range", "Saisissez un nombre entier de 0 à 365, ou laissez le champ vide."),
        ("en", "borne_count_range", "Enter a whole number from 0 to 999"),
        ("fr", "borne_count_range", "Saisissez un nombre entier de 0 à 999"),
        ("en", "price_range", "Enter a price in euros from 0 to 1000, with at most two decimals"),
        (
            "fr",
            "price_range",
            "Saisissez un prix en euros de 0 à 1000, avec deux décimales au plus",
        ),
        ("en", "years_range", "Enter a whole number of years from 0 to 5."),
        ("fr", "years_range", "Saisissez un nombre entier d'années, de 0 à 5."),
    ],
)
async def test_number_errors_say_the_range(
    hass: HomeAssistant, language: str, key: str, expected: str
) -> None:
    """Every error of the options' numbers is translated and names its range."""
    texts = await async_get_translations(hass, language, "options", [DOMAIN])
    shown = texts[f"component.{DOMAIN}.options.error.{key}"].format(**RANGES)
    assert shown.startswith(expected)


@pytest.mark.parametrize("typed_years", ["7", "1,5", "-1", "deux", ""])
async def test_history_years_are_a_whole_number_in_range(
    hass: HomeAssistant, init_integration: MockConfigEntry, typed_years: str
) -> None:
    """7 years (or 1,5, or nothing) is refused with the range; 1 is stored."""
    flow = hass.config_entries.options
    result = await flow.async_init(init_integration.entry_id)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "history"})
    assert result["description_placeholders"] == RANGES

    result = await flow.async_configure(result["flow_id"], {CONF_HISTORY_YEARS: typed_years})
    assert result["errors"] == {CONF_HISTORY_YEARS: "years_range"}
    assert init_integration.options[CONF_HISTORY_YEARS] == 2
    result = await flow.async_configure(result["flow_id"], {CONF_HISTORY_YEARS: " 1 "})
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
        "Ordures ménagères": "46",
        "price": "3,50",
        "visits": "8",
        "visit_price": "40,46",
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
