"""Following the portal's forms: the parsers on variants, and the client on a renamed portal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
import logging

import aiohttp
import pytest

from custom_components.ecocito.api import (
    Account,
    EcocitoClient,
    InvalidKeyError,
    PortalChangedError,
    portal,
)
from custom_components.ecocito.api.forms import (
    account_switch_form,
    commune_form,
    commune_search,
    default_switch_form,
    form_fields,
    key_form,
    resolve,
)
from custom_components.ecocito.api.html import parse_html
from custom_components.ecocito.api.parsing import PORTAL_TZ, parse_accounts

from .portal import Fault, FaultKind, PortalSimulator, build_scenario
from .portal.scenarios import (
    DEMO_ACCOUNT_IDS,
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_COMMUNE_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LINKABLE_LABEL,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    RENAMED_NAMES,
)

BASE = "https://ccac.ecocito.com"
LAYOUT = """
<form action="/Usager/Compte/Choisir?retour=1" method="POST">
  <input type="hidden" name="__Jeton" value="TOKEN">
  <input type="hidden" name="ReturnUrl" value="/Usager/Accueil">
  <input type="submit" name="Valider" value="OK">
  <select id="CompteActif" name="Compte.Id">
    <option value="1">A</option><option value="2" selected>B</option>
  </select>
</form>"""


def test_account_switch_form_follows_the_page() -> None:
    page = parse_html(LAYOUT)

    form = account_switch_form(page, "/Usager/Accueil", BASE)

    assert form is not None
    assert (form.method, form.path, form.query, form.field) == (
        "POST",
        "/Usager/Compte/Choisir",
        {"retour": "1"},
        "Compte.Id",
    )
    # Every hidden field goes back, the select carries the chosen account; no button.
    assert form.fill("1") == {"__Jeton": "TOKEN", "ReturnUrl": "/Usager/Accueil", "Compte.Id": "1"}
    assert parse_accounts(page).active_id == 2


def test_account_switch_form_html_defaults() -> None:
    """No method means GET, no action means the page itself, as in a browser."""
    page = parse_html('<form><select name="IdCompte"><option value="7">A</option></select></form>')

    form = account_switch_form(page, "/Usager/Profil", BASE)

    assert form is not None
    assert (form.method, form.path, form.fill("7")) == ("GET", "/Usager/Profil", {"IdCompte": "7"})
    assert account_switch_form(parse_html('<select id="IdCompte"></select>'), "/", BASE) is None


@pytest.mark.parametrize(
    ("action", "page_path", "expected"),
    [
        ("Choisir", "/Usager/Compte/Index", ("/Usager/Compte/Choisir", {})),
        ("../Profil/X?a=b", "/Usager/Compte/Index", ("/Usager/Profil/X", {"a": "b"})),
        ("https://ccac.ecocito.com/Y", "/", ("/Y", {})),
        ("", "/Usager/Accueil", ("/Usager/Accueil", {})),
    ],
)
def test_resolve(action: str, page_path: str, expected: tuple[str, dict[str, str]]) -> None:
    assert resolve(action, page_path, BASE) == expected


@pytest.mark.parametrize(
    "action", ["https://evil.example/steal", "//evil.example/x", "http://ccac.ecocito.com/x"]
)
def test_a_form_leading_off_the_portal_is_refused(action: str) -> None:
    with pytest.raises(PortalChangedError, match="leads off the portal"):
        resolve(action, "/", BASE)


def test_wizard_fields_guessed_when_renamed() -> None:
    """Without the modelled names: the empty hidden input, the only text input."""
    step1 = parse_html(
        LAYOUT
        + """<form action="/Assoc/Etape1" method="post">
          <input type="hidden" name="__Jeton" value="TOKEN">
          <input type="hidden" name="Etape" value="1">
          <input type="text" name="Ville" data-search-url="/Assoc/Villes?pays=fr">
          <input type="hidden" name="Ville.Code" value="">
        </form>"""
    )
    step2 = parse_html(
        LAYOUT
        + """<form action="Etape2" method="post">
          <input type="hidden" name="__Jeton" value="TOKEN2">
          <input name="Code">
        </form>"""
    )

    commune = commune_form(step1, "/Assoc", BASE)
    key = key_form(step2, commune.path, BASE)

    assert (commune.path, commune.field) == ("/Assoc/Etape1", "Ville.Code")
    assert commune.fill("14") == {"__Jeton": "TOKEN", "Etape": "1", "Ville": "", "Ville.Code": "14"}
    assert (key.path, key.field, key.fill("K")) == (
        "/Assoc/Etape2",
        "Code",
        {"__Jeton": "TOKEN2", "Code": "K"},
    )
    assert commune_search(step1, "/Assoc", BASE) == ("/Assoc/Villes", {"pays": "fr"})


def test_commune_search_from_a_script_or_the_default() -> None:
    scripted = parse_html(
        """<form action="/A" method="post"><input type="hidden" name="IdCommune"></form>
        <script>$("#Commune").autocomplete({ source: "/Usager/Lieux/Chercher", minLength: 2 });
        </script>"""
    )
    silent = parse_html('<form action="/A" method="post"><input name="IdCommune"></form>')

    assert commune_search(scripted, "/", BASE) == ("/Usager/Lieux/Chercher", {})
    assert commune_search(silent, "/", BASE) == (portal.PATH_SEARCH_COMMUNES, {})


def test_form_fields_as_a_browser_sends_them() -> None:
    form = parse_html(
        """<form method="post">
          <input type="checkbox" name="Garder" value="true">
          <input type="checkbox" name="Cgu" checked>
          <input type="radio" name="Mode" value="a"><input type="radio" name="Mode" value="b" checked>
          <input name="Ancien" value="x" disabled>
          <select name="Pays"><option value="fr">France</option><option value="be">Belgique</option></select>
          <select name="Vide"></select>
          <textarea name="Note">ligne</textarea>
          <button type="submit" name="Go">Go</button>
        </form>"""
    ).find("form")
    assert form is not None

    assert form_fields(form) == {"Cgu": "on", "Mode": "b", "Pays": "fr", "Note": "ligne"}


def test_commune_search_skips_urls_of_other_sites() -> None:
    page = parse_html(
        """<form action="/A" method="post">
          <input name="Commune" data-map="https://tiles.example/{z}" data-source="/Communes">
          <input type="hidden" name="IdCommune"></form>"""
    )

    assert commune_search(page, "/", BASE) == ("/Communes", {})


def test_wizard_field_named_like_a_hint_among_several() -> None:
    page = parse_html(
        """<form action="/A" method="post">
          <input type="hidden" name="Retour" value="">
          <input type="hidden" name="Commune.Code" value="">
          <input name="Recherche"><input name="CleDeLaCommune">
        </form>"""
    )

    assert commune_form(page, "/", BASE).field == "Commune.Code"
    assert key_form(page, "/", BASE).field == "CleDeLaCommune"


def test_wizard_field_missing_names_what() -> None:
    two_texts = parse_html('<form method="post"><input name="A"><input name="B"></form>')

    with pytest.raises(PortalChangedError, match="activation key field"):
        key_form(two_texts, "/", BASE)
    with pytest.raises(PortalChangedError, match="commune field"):
        commune_form(parse_html(LAYOUT), "/", BASE)


async def test_a_failed_search_reads_the_wizard_page_again(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    simulator.add_fault(Fault(FaultKind.HTML_INSTEAD_OF_JSON, portal.PATH_SEARCH_COMMUNES, count=1))
    with pytest.raises(PortalChangedError):
        await client.search_communes("23300")
    assert len(await client.search_communes("23300")) == 1
    assert await client.search_communes("gueret")

    assert simulator.count(portal.PATH_LINK_START) == 2
    assert simulator.count(portal.PATH_SEARCH_COMMUNES) == 3


# --- The whole journey on a portal that renamed every modelled path and field --------


@pytest.mark.parametrize("scenario", ["renamed"])
async def test_renamed_portal_journey(
    client: EcocitoClient, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Link with a wrong then a right key, switch, poll: portal.py's names never used."""
    caplog.set_level(logging.DEBUG, logger="custom_components.ecocito")
    names = RENAMED_NAMES
    start, today = date(datetime.now(PORTAL_TZ).year, 1, 1), datetime.now(PORTAL_TZ).date()

    accounts = await client.login()
    assert [a.id for a in accounts.accounts] == list(DEMO_ACCOUNT_IDS)
    (commune,) = await client.search_communes("23300")
    assert commune.id == DEMO_LINKABLE_COMMUNE_ID
    with pytest.raises(InvalidKeyError):
        await client.link_account(commune.id, "NOPE-0000-XX")
    linked = await client.link_account(commune.id, DEMO_LINKABLE_KEY)
    assert linked == Account(id=DEMO_LINKABLE_ACCOUNT_ID, label=DEMO_LINKABLE_LABEL)

    for _poll in range(2):
        for account_id in (*DEMO_ACCOUNT_IDS, DEMO_LINKABLE_ACCOUNT_ID):
            data = await client.get_account_data(account_id, start, today)
            assert data.account.id == account_id
            held = simulator.state.get_account(account_id)
            assert sorted(
                (p.date.replace(tzinfo=None), p.waste_type_id) for p in data.pickups
            ) == sorted(
                (p.when, p.type_id) for p in held.pickups if start <= p.when.date() <= today
            )

    assert simulator.count(names.switch_path, "POST") == 6
    assert simulator.count(names.search_path) == 1
    assert simulator.count(names.wizard_commune_path, "POST") == 2
    assert simulator.count(names.wizard_key_path, "POST") == 2
    for modelled in (
        portal.PATH_SWITCH_ACCOUNT,
        portal.PATH_SEARCH_COMMUNES,
        portal.PATH_LINK_COMMUNE,
        portal.PATH_LINK_KEY,
    ):
        assert simulator.count(modelled) == 0
    assert all(record.status < 400 for record in simulator.requests)
    assert client.portal_fingerprints == []
    # The debug log tells a maintainer which forms the client followed.
    assert (
        f"Account switch form: POST {names.switch_path}, fills {names.account_field}, "
        f"sends back {names.token_field}"
    ) in caplog.text
    assert (
        f"Wizard's commune step: POST {names.wizard_commune_path}, fills {names.commune_id_field}"
    ) in caplog.text
    assert f"Commune search: {names.search_path}" in caplog.text


def test_default_switch_form_is_the_modelled_one() -> None:
    """Until a page shows the drop-down's form, the switch posts the SPEC's modelled fields."""
    form = default_switch_form()
    assert (form.path, form.method, form.query) == (portal.PATH_SWITCH_ACCOUNT, "POST", {})
    assert form.fill("118871") == {portal.FIELD_TOKEN: "", portal.FIELD_ACCOUNT: "118871"}


async def test_a_switch_form_sent_with_get(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    """A drop-down whose form says GET: its fields go in the query, as a browser sends them."""
    state = build_scenario("demo")
    state.names = replace(state.names, switch_method="get")
    simulator = PortalSimulator(state)
    await simulator.start(host="127.0.0.1", port=0)
    try:
        client = EcocitoClient(
            http_session, simulator.base_url, DEMO_LOGIN, DEMO_PASSWORD, request_timeout=2
        )
        start, today = date(datetime.now(PORTAL_TZ).year, 1, 1), datetime.now(PORTAL_TZ).date()
        await client.login()
        data = await client.get_account_data(DEMO_ACCOUNT_IDS[1], start, today)
    finally:
        await simulator.stop()
    assert data.account.id == DEMO_ACCOUNT_IDS[1]
    (switch,) = [r for r in simulator.requests if r.path == portal.PATH_SWITCH_ACCOUNT]
    assert switch.method == "GET"
    assert switch.query[portal.FIELD_ACCOUNT] == str(DEMO_ACCOUNT_IDS[1])
    assert portal.FIELD_TOKEN in switch.query
    assert switch.status == 302
