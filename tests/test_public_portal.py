"""The portal as its public clients see it: one account, no drop-down, no wizard.

A new user sets the integration up through the config flow against the ``public``
scenario (SPEC: "the integration must work with the known parts alone"); then the borne
statistics come in other shapes, go missing or fail; then a drop-down appears, once a
second account is linked on the portal itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, STATE_UNAVAILABLE, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, UnknownHandler
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ecocito import diagnostics
from custom_components.ecocito.api import portal as portal_names
from custom_components.ecocito.api.portal import UNNUMBERED_ACCOUNT_ID
from custom_components.ecocito.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ACTIVATION_KEY,
    CONF_ALLOWANCES,
    CONF_COMMUNE,
    CONF_HISTORY_YEARS,
    CONF_LINK_WIZARD,
    CONF_PORTAL,
    DOMAIN,
    EVENT_ACCOUNT_LINKED,
    EVENT_PICKUP,
    SERVICE_LINK_PRODUCTION_POINT,
    SUBENTRY_PRODUCTION_POINT,
)
from custom_components.ecocito.statistic_ids import pickups_statistic_id

from .conftest import FROZEN_NOW
from .helpers import account_device, poll, registered, scoped, simulator_entry, statistic_key
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    COMMUNE_GUERET,
    PUBLIC_ACCOUNT_ID,
    PUBLIC_ADDRESS,
    PUBLIC_LOGIN,
    PUBLIC_PASSWORD,
    PUBLIC_SECOND_ADDRESS,
    PUBLIC_WASTE_TYPES,
)
from .portal.state import STATS_SHAPES, Account
from .test_statistics import recorded

# Every test asks for ``enable_custom_integrations`` after the recorder, where it has one:
# the recorder must be set up before Home Assistant.
pytestmark = pytest.mark.freeze_time(FROZEN_NOW)

GLASS = 5
"""The public account's glass goes to a borne: its openings are the borne statistics."""
PICKED_UP = (1, 2)
"""The public account's bins: residual waste and packaging."""
SECOND_ACCOUNT_ID = 500002
SECOND_LABEL = "N° 500002 - 2 RUE DU MOULIN 23000 GUERET"
FAILED_BORNES = "borne statistics could not be read"


@pytest.fixture
def scenario() -> str:
    return "public"


async def set_up_as_a_new_user(hass: HomeAssistant, simulator: PortalSimulator) -> ConfigEntry:
    """Go through the config flow as a new user would: credentials, the accounts, finish."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_PORTAL: simulator.base_url,
            CONF_USERNAME: PUBLIC_LOGIN,
            CONF_PASSWORD: PUBLIC_PASSWORD,
        },
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "accounts_no_link"  # no wizard: no "link another"
    assert result["menu_options"] == ["finish"]
    # One production point; its pages may not name it, the menu still does.
    accounts = result["description_placeholders"]["accounts"].splitlines()
    assert len(accounts) == 1
    assert accounts[0].removeprefix("- ").strip()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


def this_years_pickups(simulator: PortalSimulator, type_id: int, address: str | None = None) -> int:
    """The public account's pickups of a type this year, at its own place (rows without
    an address of their own), else at ``address``."""
    account = simulator.state.get_account(PUBLIC_ACCOUNT_ID)
    now = FROZEN_NOW.replace(tzinfo=None)
    return sum(
        1
        for p in account.pickups
        if p.type_id == type_id
        and p.when.year == now.year
        and p.when <= now
        and p.address == address
    )


def this_years_openings(simulator: PortalSimulator) -> Counter[int]:
    """The public account's glass-borne openings this year, per month."""
    account = simulator.state.get_account(PUBLIC_ACCOUNT_ID)
    return Counter(
        d.when.month
        for d in account.drop_offs
        if d.type_id == GLASS and d.when.year == FROZEN_NOW.year
    )


def sensor(hass: HomeAssistant, account_id: int, key: str) -> str | None:
    """Return a sensor's state by its unique ID's end (None: no such entity)."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, scoped(hass, f"{account_id}_{key}")
    )
    if entity_id is None:
        return None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def assert_pickups_shown(hass: HomeAssistant, simulator: PortalSimulator, account_id: int) -> None:
    """Every pickup sensor shows the portal's figures: none unavailable."""
    for type_id in PICKED_UP:
        assert sensor(hass, account_id, f"pickups_{type_id}") == str(
            this_years_pickups(simulator, type_id)
        )
    pickup_states = [
        hass.states.get(entry.entity_id)
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), hass.config_entries.async_entries(DOMAIN)[0].entry_id
        )
        if "_pickup" in entry.unique_id and entry.disabled_by is None
    ]
    assert pickup_states
    assert [s.entity_id for s in pickup_states if s is None or s.state == STATE_UNAVAILABLE] == []


def assert_no_repair(hass: HomeAssistant) -> None:
    assert [i for (domain, i) in ir.async_get(hass).issues if domain == DOMAIN] == []


async def test_a_new_user_sets_up_one_account_of_two_places(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """No drop-down: one account, a device per address its rows carry, each named after
    it, the portal's figures of each (never added up), no switch."""
    entry = await set_up_as_a_new_user(hass, simulator)
    device = account_device(device_registry, UNNUMBERED_ACCOUNT_ID)
    assert device is not None
    assert device.name == PUBLIC_ADDRESS  # the header names no account: its rows do
    places = [
        d
        for d in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        if d.name != entry.title
    ]
    second = next(d for d in places if d.id != device.id)
    assert places == [device, second]
    assert second.name == PUBLIC_SECOND_ADDRESS
    assert second.via_device_id == device.id  # a place of the account
    assert_pickups_shown(hass, simulator, UNNUMBERED_ACCOUNT_ID)
    key = "15_route_de_la_souterraine_23000_gueret"
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, f"{key}_pickups_1") == str(
        this_years_pickups(simulator, 1, PUBLIC_SECOND_ADDRESS)
    )
    assert this_years_pickups(simulator, 1, PUBLIC_SECOND_ADDRESS) > 0
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, f"{key}_pickups_2") is None  # never lifted there
    openings = this_years_openings(simulator)
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, f"borne_openings_{GLASS}") == str(
        sum(openings.values())
    )
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, f"borne_openings_month_{GLASS}") == str(
        openings[FROZEN_NOW.month]
    )
    assert simulator.count(portal_names.PATH_SWITCH_ACCOUNT) == 0
    assert simulator.count(portal_names.PATH_BORNE_DROP_OFFS) > 0
    # Rows carry ID_MATIERE: one read of every type per poll, not one per type.
    types_asked = {
        r.query.get(portal_names.QUERY_WASTE_TYPE)
        for r in simulator.requests
        if r.path == portal_names.PATH_PICKUPS
    }
    assert types_asked == {str(portal_names.ALL_WASTE_TYPES)}
    assert_no_repair(hass)

    # A new pickup fires one event, and still no switch is posted.
    events: list[Event] = []
    hass.bus.async_listen(EVENT_PICKUP, events.append)
    simulator.state.add_pickup(PUBLIC_ACCOUNT_ID, 1, FROZEN_NOW - timedelta(minutes=30), 11.2)
    await poll(hass, entry)
    assert len(events) == 1
    assert events[0].data["weight"] == 11.2
    assert simulator.count(portal_names.PATH_SWITCH_ACCOUNT) == 0
    assert_no_repair(hass)


@pytest.mark.parametrize(
    ("names_account", "address", "expected"),
    [
        (True, None, (PUBLIC_ACCOUNT_ID, PUBLIC_ADDRESS)),
        (False, None, (UNNUMBERED_ACCOUNT_ID, PUBLIC_ADDRESS)),
        (False, "", (UNNUMBERED_ACCOUNT_ID, "Ecocito {portal}")),
    ],
    ids=["home_page", "rows", "portal"],
)
async def test_the_production_point_is_named_as_the_portal_allows(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    names_account: bool,
    address: str | None,
    expected: tuple[int, str],
) -> None:
    """Its number from the home page where it names the account; its name, the rows'
    address (the home page's label without the number, where the rows carry none), else
    the portal."""
    simulator.state.style = replace(simulator.state.style, names_account=names_account)
    account = simulator.state.get_account(PUBLIC_ACCOUNT_ID)
    if address is not None:
        account.address = address
        # Rows with no address at all: the other address's rows go too (an address is
        # a place, and the first one the rows carry would be the account's own).
        account.pickups = [p for p in account.pickups if p.address is None]
    await set_up_as_a_new_user(hass, simulator)
    account_id, name = expected
    device = account_device(device_registry, account_id)
    assert device is not None
    assert device.name == name.format(portal=simulator.base_url.removeprefix("http://"))
    assert_pickups_shown(hass, simulator, account_id)
    assert simulator.count(portal_names.PATH_SWITCH_ACCOUNT) == 0


@pytest.mark.parametrize("shape", [s for s in STATS_SHAPES if s not in ("modelled", "missing")])
async def test_borne_statistics_in_other_shapes(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    shape: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Month names and counts as text, dates, the list's order, the year's total: all read."""
    simulator.state.style = replace(simulator.state.style, stats=shape)
    entry = await set_up_as_a_new_user(hass, simulator)
    assert entry.runtime_data.last_update_success
    openings = this_years_openings(simulator)
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, f"borne_openings_{GLASS}") == str(
        sum(openings.values())
    )
    # The year's total alone says no month: this month's figure is not guessed.
    month = sensor(hass, UNNUMBERED_ACCOUNT_ID, f"borne_openings_month_{GLASS}")
    assert month == ("unknown" if shape == "total" else str(openings[FROZEN_NOW.month]))
    assert_pickups_shown(hass, simulator, UNNUMBERED_ACCOUNT_ID)
    assert FAILED_BORNES not in caplog.text
    assert_no_repair(hass)


def fail_bornes(simulator: PortalSimulator, how: str) -> None:
    if how == "missing":
        simulator.state.style = replace(simulator.state.style, stats="missing")  # 404
    else:
        simulator.add_fault(Fault(FaultKind.SERVER_ERROR, path=portal_names.PATH_BORNE_DROP_OFFS))


@pytest.mark.parametrize("how", ["missing", "failing"])
async def test_borne_statistics_failing_from_the_start(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PortalSimulator, how: str
) -> None:
    """Setup completes without the bornes: every pickup sensor shows the portal's figures."""
    fail_bornes(simulator, how)
    entry = await set_up_as_a_new_user(hass, simulator)
    assert entry.runtime_data.last_update_success
    assert_pickups_shown(hass, simulator, UNNUMBERED_ACCOUNT_ID)
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, f"borne_openings_{GLASS}") is None
    assert_no_repair(hass)


@pytest.mark.parametrize("how", ["missing", "failing"])
async def test_borne_statistics_failing_later_cost_only_their_figures(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    device_registry: dr.DeviceRegistry,
    how: str,
) -> None:
    """Kept at their last value, logged once over several days of polls, in diagnostics."""
    entry = await set_up_as_a_new_user(hass, simulator)
    key = f"borne_openings_{GLASS}"
    before = sensor(hass, UNNUMBERED_ACCOUNT_ID, key)
    assert before == str(sum(this_years_openings(simulator).values()))
    fail_bornes(simulator, how)
    caplog.set_level(logging.INFO)
    for day in (1, 2, 3):
        freezer.move_to(FROZEN_NOW + timedelta(days=day))
        simulator.reset_requests()
        for _ in range(2):
            coordinator = await poll(hass, entry)
            assert coordinator.last_update_success
            assert entry.state is ConfigEntryState.LOADED
            assert sensor(hass, UNNUMBERED_ACCOUNT_ID, key) == before
            assert_pickups_shown(hass, simulator, UNNUMBERED_ACCOUNT_ID)
        # Monthly figures: asked once a day, failing or not (one request: every type).
        assert simulator.count(portal_names.PATH_BORNE_DROP_OFFS) == 1
    told = [r for r in caplog.records if FAILED_BORNES in r.getMessage()]
    assert len(told) == 1
    assert told[0].levelno == logging.WARNING
    assert_no_repair(hass)

    device = account_device(device_registry, UNNUMBERED_ACCOUNT_ID)
    assert device is not None
    found = await diagnostics.async_get_device_diagnostics(hass, entry, device)
    failing = found["optional_parts_failing"]
    assert list(failing) == ["borne_statistics"]
    assert ("404" if how == "missing" else "500") in failing["borne_statistics"]
    whole = await diagnostics.async_get_config_entry_diagnostics(hass, entry)
    assert whole["pickup_rows"] == "typed (ID_MATIERE): one read for every type"
    # What answered (a 404, an error page) is fingerprinted, once a day at most.
    fingerprinted = [
        f["status"]
        for f in whole["portal_fingerprints"]
        if f["request"] == f"GET {portal_names.PATH_BORNE_DROP_OFFS}"
    ]
    assert fingerprinted == [404 if how == "missing" else 500] * 3

    simulator.clear_faults()
    simulator.state.style = replace(simulator.state.style, stats="text")
    freezer.move_to(FROZEN_NOW + timedelta(days=4))
    await poll(hass, entry)
    assert any("borne statistics are read again" in r.getMessage() for r in caplog.records)
    found = await diagnostics.async_get_device_diagnostics(hass, entry, device)
    assert found["optional_parts_failing"] == {}


async def test_a_drop_down_appearing_later_keeps_the_production_point(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A second account linked on the portal: the first keeps device, entities, names, history."""
    entry = await set_up_as_a_new_user(hass, simulator)
    device = account_device(device_registry, UNNUMBERED_ACCOUNT_ID)
    assert device is not None
    # The user named the device: its entities' friendly names follow that name.
    device_registry.async_update_device(device.id, name_by_user="Maison")
    await hass.async_block_till_done()
    prefix = scoped(hass, f"{UNNUMBERED_ACCOUNT_ID}_")
    entities = {
        e.unique_id.removeprefix(prefix): e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.unique_id.startswith(prefix) and e.device_id == device.id  # its own place's
    }
    assert len(entities) > 10
    names = {
        end: state.name
        for end, entity_id in entities.items()
        if (state := hass.states.get(entity_id)) is not None  # not disabled
    }
    assert len(names) > 10
    assert all(name.startswith("Maison ") for name in names.values())
    key = statistic_key(hass)
    history = await recorded(hass, pickups_statistic_id(key, UNNUMBERED_ACCOUNT_ID, 1))
    assert len(history) == this_years_pickups(simulator, 1) + sum(
        1
        for p in simulator.state.get_account(PUBLIC_ACCOUNT_ID).pickups
        if p.type_id == 1 and p.when.year < FROZEN_NOW.year
    )
    linked: list[Event] = []
    hass.bus.async_listen(EVENT_ACCOUNT_LINKED, linked.append)
    # The user set an allowance for the production point (the options keep it by number).
    allowance = {"included": {"1": 40}, "price": 2}
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_ALLOWANCES: {str(UNNUMBERED_ACCOUNT_ID): allowance}}
    )
    await hass.async_block_till_done()

    # On the portal itself: a second account, and with it the drop-down.
    simulator.state.add_account(
        Account(SECOND_ACCOUNT_ID, SECOND_LABEL, COMMUNE_GUERET, "GUER-5002-PB", PUBLIC_WASTE_TYPES)
    )
    simulator.state.add_pickup(SECOND_ACCOUNT_ID, 1, FROZEN_NOW - timedelta(days=2), 9.5)
    simulator.state.link(PUBLIC_LOGIN, SECOND_ACCOUNT_ID)
    simulator.state.style = replace(simulator.state.style, drop_down=True)
    await poll(hass, entry)
    await hass.async_block_till_done()  # the entry reloads under the account's number
    assert entry.state is ConfigEntryState.LOADED

    assert account_device(device_registry, UNNUMBERED_ACCOUNT_ID) is None
    kept = account_device(device_registry, PUBLIC_ACCOUNT_ID)
    assert kept is not None
    assert kept.id == device.id
    assert kept.name_by_user == "Maison"
    assert kept.name == PUBLIC_ADDRESS  # its address, as any listed account's
    prefix = scoped(hass, f"{PUBLIC_ACCOUNT_ID}_")
    for end, entity_id in entities.items():
        platform = Platform(entity_id.split(".", 1)[0])
        assert registered(entity_registry, platform, prefix + end) == entity_id
        if end in names:
            state = hass.states.get(entity_id)
            assert state is not None
            assert state.name == names[end]
    assert_pickups_shown(hass, simulator, PUBLIC_ACCOUNT_ID)
    assert entry.options[CONF_ALLOWANCES] == {str(PUBLIC_ACCOUNT_ID): allowance}
    assert await recorded(hass, pickups_statistic_id(key, PUBLIC_ACCOUNT_ID, 1)) == history
    assert await recorded(hass, pickups_statistic_id(key, UNNUMBERED_ACCOUNT_ID, 1)) == []

    second = account_device(device_registry, SECOND_ACCOUNT_ID)
    assert second is not None
    assert second.name == SECOND_LABEL.split(" - ", 1)[1]  # its address
    assert sensor(hass, SECOND_ACCOUNT_ID, "pickups_1") == "1"
    assert [event.data["account_id"] for event in linked] == [SECOND_ACCOUNT_ID]
    assert_no_repair(hass)


async def translated(hass: HomeAssistant, language: str, key: str, **placeholders: str) -> str:
    """Return one of our texts as the frontend shows it in ``language``."""
    category = key.split(".", 1)[0]
    texts = await async_get_translations(hass, language, category, [DOMAIN])
    return texts[f"component.{DOMAIN}.{key}"].format(**placeholders)


@pytest.mark.parametrize(
    ("language", "title", "said"),
    [
        (
            "en",
            "Linked production points",
            "This portal does not offer to link another production point from Home Assistant",
        ),
        (
            "fr",
            "Points de production associés",
            "Ce portail ne permet pas d'associer un autre point de production depuis Home Assistant",
        ),
    ],
)
async def test_setup_never_offers_to_link(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    language: str,
    title: str,
    said: str,
) -> None:
    """Without the wizard's pages, the first menu offers to finish only, and says why."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_PORTAL: simulator.base_url,
            CONF_USERNAME: PUBLIC_LOGIN,
            CONF_PASSWORD: PUBLIC_PASSWORD,
        },
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "accounts_no_link"
    assert result["menu_options"] == ["finish"]
    placeholders = result["description_placeholders"]
    assert placeholders["accounts"] == f"- Ecocito {simulator.base_url.removeprefix('http://')}"
    step = "config.step.accounts_no_link"
    assert await translated(hass, language, f"{step}.title") == title
    assert said in await translated(hass, language, f"{step}.description", **placeholders)
    assert simulator.count(portal_names.PATH_LINK_START) == 1  # asked once, at set-up: 404

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.options == {CONF_HISTORY_YEARS: 2, CONF_LINK_WIZARD: False}
    assert simulator.count(portal_names.PATH_LINK_START) == 1  # never again
    assert_no_repair(hass)


async def test_integration_page_never_offers_to_link(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PortalSimulator
) -> None:
    """No "link a production point" button; the action says why; the entry goes on."""
    entry = await set_up_as_a_new_user(hass, simulator)
    assert entry.supported_subentry_types == {}
    with pytest.raises(UnknownHandler):
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
        )

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_LINK_PRODUCTION_POINT,
            {ATTR_CONFIG_ENTRY_ID: entry.entry_id, CONF_COMMUNE: "23000", CONF_ACTIVATION_KEY: "K"},
            blocking=True,
            return_response=True,
        )
    assert not isinstance(raised.value, ServiceValidationError)  # not the user's input
    assert raised.value.translation_key == "link_unavailable"
    assert "link it on the portal itself" in str(raised.value)
    assert "associez-le sur le portail lui-même" in await translated(
        hass, "fr", "exceptions.link_unavailable.message"
    )
    assert entry.options[CONF_LINK_WIZARD] is False
    # The rest goes on: the entry polls, no repair, no reauth.
    coordinator = await poll(hass, entry)
    assert coordinator.last_update_success
    assert entry.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress() == []
    assert_no_repair(hass)


async def test_an_entry_made_before_learns_there_is_no_wizard(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PortalSimulator
) -> None:
    """An entry that never asked: the button works once, says why and is gone after a restart.

    Home Assistant keeps an entry's answer until it stops: meanwhile the button stays and
    its flow still starts, to say the same.
    """
    entry = simulator_entry(simulator.base_url, PUBLIC_LOGIN, PUBLIC_PASSWORD, "Ecocito public")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert SUBENTRY_PRODUCTION_POINT in entry.supported_subentry_types
    for _ in range(2):
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "link_unavailable"
        key = "config_subentries.production_point.abort.link_unavailable"
        assert "on the portal itself" in await translated(hass, "en", key)
        assert "sur le portail lui-même" in await translated(hass, "fr", key)
        assert entry.options == {CONF_HISTORY_YEARS: 2, CONF_LINK_WIZARD: False}
    assert entry.state is ConfigEntryState.LOADED  # learning it reloads nothing

    # After a restart (the entry read again from storage): no button.
    assert await hass.config_entries.async_unload(entry.entry_id)
    restarted = MockConfigEntry(
        domain=DOMAIN, entry_id=entry.entry_id, data=dict(entry.data), options=dict(entry.options)
    )
    assert restarted.supported_subentry_types == {}


async def test_a_restart_keeps_the_production_point_and_its_pickups_seen(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """After a restart the unnumbered account is the same device; old pickups stay old,
    and one published while Home Assistant was stopped fires once."""
    entry = await set_up_as_a_new_user(hass, simulator)
    device = account_device(device_registry, UNNUMBERED_ACCOUNT_ID)
    assert device is not None
    before = sensor(hass, UNNUMBERED_ACCOUNT_ID, "pickups_1")
    events: list[Event] = []
    hass.bus.async_listen(EVENT_PICKUP, events.append)

    assert await hass.config_entries.async_unload(entry.entry_id)
    simulator.state.add_pickup(PUBLIC_ACCOUNT_ID, 2, FROZEN_NOW - timedelta(hours=2), 2.5)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    again = account_device(device_registry, UNNUMBERED_ACCOUNT_ID)
    assert again is not None
    assert (again.id, again.name) == (device.id, PUBLIC_ADDRESS)
    assert sensor(hass, UNNUMBERED_ACCOUNT_ID, "pickups_1") == before
    assert [(e.data["waste_type_id"], e.data["weight"]) for e in events] == [(2, 2.5)]
    await poll(hass, entry)
    assert len(events) == 1
    assert simulator.count(portal_names.PATH_SWITCH_ACCOUNT) == 0
