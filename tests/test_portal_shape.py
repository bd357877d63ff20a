"""The portal's shape in the diagnostics: enough to make the simulator answer alike, and
nothing personal in the file."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import json
from typing import Any

# Diagnostics import the hassio component, whose library compiles dataclasses with
# datetime fields at import time: that breaks under freezegun, so import it first.
import homeassistant.components.hassio  # noqa: F401
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ecocito.api import UNNUMBERED_ACCOUNT_ID
from custom_components.ecocito.api.html import parse_html
from custom_components.ecocito.api.models import Pickup
from custom_components.ecocito.api.parsing import PORTAL_TZ
from custom_components.ecocito.api.shape import PICKUPS, PortalShape
from custom_components.ecocito.const import DOMAIN
from custom_components.ecocito.models import address_key

from .conftest import FROZEN_NOW
from .helpers import simulator_entry
from .portal import PortalSimulator, build_scenario
from .portal.scenarios import (
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_PASSWORD,
    PUBLIC_ACCOUNT_ID,
    PUBLIC_ADDRESS,
    PUBLIC_LABEL,
    PUBLIC_LOGIN,
    PUBLIC_PASSWORD,
)
from .portal.shape import configure

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")


@pytest.fixture
def scenario() -> str:
    return "public"


async def set_up(hass: HomeAssistant, base_url: str, login: str, password: str) -> MockConfigEntry:
    entry = simulator_entry(base_url, login, password, f"Ecocito {login}")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def diagnostics_file(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> Any:
    """Return the entry's diagnostics as the downloaded file holds them."""
    found = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return json.loads(json.dumps(found))


def personal_values(simulator: PortalSimulator) -> set[str]:
    """What identifies the public portal's user: login, password, label, address,
    account number, bin and chip numbers, session tokens and cookies."""
    account = simulator.state.get_account(PUBLIC_ACCOUNT_ID)
    values = {PUBLIC_LOGIN, PUBLIC_PASSWORD, "marc.bernard", PUBLIC_LABEL, PUBLIC_ADDRESS}
    values |= {PUBLIC_ADDRESS.rsplit(" ", 2)[0], str(PUBLIC_ACCOUNT_ID)}
    for type_id in account.waste_types:
        values |= {account.bin_number(type_id), account.chip_number(type_id)}
    values |= set(simulator._sessions)
    values |= {session.token for session in simulator._sessions.values()}
    return values


async def test_the_public_portals_diagnostics_hold_no_personal_value(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, simulator: PortalSimulator
) -> None:
    entry = await set_up(hass, simulator.base_url, PUBLIC_LOGIN, PUBLIC_PASSWORD)
    text = json.dumps(await diagnostics_file(hass, hass_client, entry), ensure_ascii=False)
    assert "portal_shape" in text
    leaks = sorted(
        value for value in personal_values(simulator) if value.casefold() in text.casefold()
    )
    assert leaks == []


async def test_a_diagnostics_file_makes_the_simulator_answer_in_its_shape(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """From the public portal's diagnostics alone, the demo's contents answered in the
    public portal's shape: the integration reads them and sees that same shape."""
    public = await set_up(hass, simulator.base_url, PUBLIC_LOGIN, PUBLIC_PASSWORD)
    shape = (await diagnostics_file(hass, hass_client, public))["portal_shape"]
    # What the public portal is, as the file says it.
    assert shape["drop_down"] == {"present": False, "names_account": False}
    assert shape["pickups"]["rows"]["ID_MATIERE"] == "every row"
    assert sorted(shape["borne_statistics"]["keys"]) == ["Libelle", "Nombre"]
    assert shape["account_rows"] == [{"addresses": 2, "bins": 2}]

    # The demo's contents, in none of those shapes: a drop-down, untyped rows, statistics
    # by ASP.NET dates, three bins. The account opened a borne this month (its data).
    state = build_scenario("demo")
    state.style = replace(state.style, typed_rows=False, stats="dates")
    state.add_drop_off(DEMO_MAIN_ACCOUNT_ID, 16, FROZEN_NOW - timedelta(days=2))
    configure(state, shape, DEMO_LOGIN)
    shaped = PortalSimulator(state)
    portal = (await shaped.start(host="127.0.0.1", port=0)).removeprefix("http://")
    try:
        entry = await set_up(hass, shaped.base_url, DEMO_LOGIN, DEMO_PASSWORD)
        assert (await diagnostics_file(hass, hass_client, entry))["portal_shape"] == shape
    finally:
        await shaped.stop()

    # The integration read them: the one production point's rows carry two addresses, as
    # the file says: two places, each showing its own pickups of this year.
    account = state.get_account(DEMO_MAIN_ACCOUNT_ID)
    addresses = {p.address for p in account.pickups}
    assert len(addresses) == 2
    for type_id in account.waste_types:
        for address in addresses:
            place = address_key(address or "")
            other = entity_registry.async_get_entity_id(
                "sensor", DOMAIN, f"{portal}_{UNNUMBERED_ACCOUNT_ID}_{place}_pickups_{type_id}"
            )
            own = entity_registry.async_get_entity_id(
                "sensor", DOMAIN, f"{portal}_{UNNUMBERED_ACCOUNT_ID}_pickups_{type_id}"
            )
            entity_id = other or own  # the account's own place: the address it had first
            assert entity_id is not None
            state_now = hass.states.get(entity_id)
            assert state_now is not None
            expected = sum(
                1
                for p in account.pickups
                if p.type_id == type_id and p.when.year == FROZEN_NOW.year and p.address == address
            )
            assert state_now.state == str(expected)


def test_parts_left_out_and_shapes_the_simulator_cannot_take_yet() -> None:
    state = build_scenario("demo")
    configure(state, {"wizard_start": {"http_error": 404}}, DEMO_LOGIN)
    assert not state.style.wizard
    shape = {"borne_statistics": {"type": "list", "items": 12, "keys": {"Periode": ["str"]}}}
    with pytest.raises(ValueError, match=r"no statistics answer with keys \('Periode',\)"):
        configure(state, shape, DEMO_LOGIN)
    with pytest.raises(ValueError, match="HTTP 500 is not a shape: inject a Fault"):
        configure(state, {"borne_statistics": {"http_error": 500}}, DEMO_LOGIN)


# -- the library's shapes, on their own -------------------------------------------------


def test_an_answer_is_described_again_only_when_its_shape_changed() -> None:
    """One description per kind: the same shape read again keeps it, another replaces it."""
    shape = PortalShape()
    rows = [{"DATE_DONNEE": "2026-11-25T07:12:00", "ID_MATIERE": 1, "QUANTITE_NETTE": 12.5}]
    shape.rows(PICKUPS, rows)
    first = shape.as_dict([])[PICKUPS]["rows"]
    shape.rows(PICKUPS, [{**rows[0], "QUANTITE_NETTE": 9.0}])
    assert shape.as_dict([])[PICKUPS]["rows"] is first
    shape.rows(PICKUPS, [*rows, {"DATE_DONNEE": "2026-11-26T07:02:00", "QUANTITE_NETTE": None}])
    assert shape.as_dict([])[PICKUPS]["rows"] == {
        "keys": {
            "DATE_DONNEE": ["str"],
            "ID_MATIERE": ["int"],
            "QUANTITE_NETTE": ["float", "null"],
        },
        "ID_MATIERE": "some rows",
        "LIBELLE_ADRESSE": "no row",
    }
    shape.rows(PICKUPS, [])
    assert shape.as_dict([])[PICKUPS]["rows"]["ID_MATIERE"] == "no row read"


def test_envelopes_lists_and_answers_missing() -> None:
    shape = PortalShape()
    shape.envelope("visits", [{"DATE_DONNEE": "2026-11-25T10:00:00"}])
    shape.items("borne_statistics", {"items": []})
    shape.failed("wizard_start", 404)
    assert shape.as_dict([]) == {
        "visits": {"envelope": {"type": "list", "keys": {}}},
        "borne_statistics": {"type": "dict", "items": 0, "keys": {}},
        "wizard_start": {"http_error": 404},
        "account_rows": [],
    }


def test_a_drop_down_outside_any_form_and_the_accounts_rows() -> None:
    """No number, label or address: how many options, addresses and bins, in the accounts'
    order."""
    shape = PortalShape()
    page = parse_html(
        '<select id="IdCompte" name="IdCompte"><option value="104233">N° 104233 - 12 RUE'
        ' DES LILAS</option><option value="118871">N° 118871 - LE BOURG</option></select>'
    )
    shape.drop_down(page)
    when = FROZEN_NOW.astimezone(PORTAL_TZ)
    pickups = [
        Pickup(date=when, waste_type_id=15, weight=1.0, address="12 RUE DES LILAS", bin_number=b)
        for b in ("0104233", "0104234", None)
    ]
    shape.account_rows(118871, pickups[:1])
    shape.account_rows(104233, pickups)
    found = shape.as_dict([104233, 118871, 130001])
    assert found == {
        "drop_down": {
            "present": True,
            "select": {"id": "IdCompte", "name": "IdCompte", "options": 2},
            "form": None,
        },
        "account_rows": [{"addresses": 1, "bins": 2}, {"addresses": 1, "bins": 1}],
    }
    assert "104233" not in json.dumps(found)


def test_a_page_is_described_again_when_the_portal_marks_an_error() -> None:
    """Same fields, but the portal's error mark: described again, its message left out."""
    shape = PortalShape()
    form = (
        '<form action="/Usager/Profil/AssocierCompte/Cle" method="post">'
        '<input name="CleActivation" type="text"></form>'
    )
    path = "/Usager/Profil/AssocierCompte/Commune"
    shape.page("wizard_commune_answer", path, parse_html(form))
    first = shape.as_dict([])["wizard_commune_answer"]
    shape.page("wizard_commune_answer", path, parse_html(form))
    assert shape.as_dict([])["wizard_commune_answer"] is first
    refused = '<div class="validation-summary-errors"><ul><li>Clé 1234 inconnue</li></ul></div>'
    shape.page("wizard_commune_answer", path, parse_html(refused + form))
    found = shape.as_dict([])["wizard_commune_answer"]
    assert found["html"]["error_summary"] is True
    assert found["html"]["forms"] == first["html"]["forms"]
    assert "inconnue" not in json.dumps(found)
    assert "1234" not in json.dumps(found)


def test_a_page_is_described_again_when_a_field_or_its_form_is_renamed() -> None:
    """Same tags and attributes, other values: a form posted elsewhere or a field renamed
    is a new shape."""
    shape = PortalShape()
    path = "/Usager/Profil/AssocierCompte/Commune"

    def form(action: str, name: str) -> str:
        return f'<form action="{action}" method="post"><input name="{name}" type="text"></form>'

    shape.page("wizard_commune_answer", path, parse_html(form("/Cle", "CleActivation")))
    shape.page("wizard_commune_answer", path, parse_html(form("/Cle", "Activation")))
    assert shape.as_dict([])["wizard_commune_answer"]["html"]["forms"] == [
        {"action": "/Cle", "method": "post", "inputs": [["Activation", "text"]]}
    ]
    shape.page("wizard_commune_answer", path, parse_html(form("/Code", "Activation")))
    assert shape.as_dict([])["wizard_commune_answer"]["html"]["forms"][0]["action"] == "/Code"
