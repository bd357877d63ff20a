"""Fingerprints of misunderstood answers: what differs, and nothing personal."""

from __future__ import annotations

from datetime import date
import json
import logging
from typing import Any

import pytest

from custom_components.ecocito.api import (
    EcocitoClient,
    InvalidKeyError,
    PortalChangedError,
)
from custom_components.ecocito.api.fingerprint import answer_fingerprint, json_shape
from custom_components.ecocito.api.transport import MAX_FINGERPRINTS

from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    DEMO_ACCOUNT_IDS,
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_COMMUNE_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LOGIN,
    DEMO_PASSWORD,
)

WRONG_KEY = "ZQXW-9876-PL"
DROP_OFFS = "/Usager/Json/ObtenirStatistiqueApportPAVMensuel"
COLLECTION = "/Usager/Collecte"
PICKUPS = "/Usager/Collecte/GetCollecte"
LINK_KEY = "/Usager/Profil/AssocierCompte/Cle"


def canaries(simulator: PortalSimulator, tokens: set[str]) -> set[str]:
    """Every personal value the portal showed or was sent during the test."""
    values = {DEMO_LOGIN, "jeanne.dupont", DEMO_PASSWORD, DEMO_LINKABLE_KEY, WRONG_KEY, *tokens}
    for account_id in (*DEMO_ACCOUNT_IDS, DEMO_LINKABLE_ACCOUNT_ID):
        account = simulator.state.get_account(account_id)
        street = account.address.rsplit(" ", 2)[0]
        values |= {str(account_id), account.label, account.address, street}
        for type_id in account.waste_types:
            values |= {account.bin_number(type_id), account.chip_number(type_id)}
    return values


def leaks(text: str, values: set[str]) -> list[str]:
    folded = text.casefold()
    return sorted(value for value in values if value.casefold() in folded)


def test_html_fingerprint_is_structure_only() -> None:
    body = """<html><body><p>Connecté en tant que jeanne@example.fr</p>
      <form action="/Usager/Compte/104233/Choisir?jeton=SECRET" method="POST">
        <input type="hidden" name="__Jeton" value="SECRET">
        <select id="Comptes_104233" name="Comptes[104233]">
          <option value="104233">N° 104233 - 12 RUE DES LILAS</option><option>B</option>
        </select>
      </form>
      <table><tr><th>Date</th><th>Poids (kg)</th></tr><tr><td>12 RUE DES LILAS</td></tr></table>
      <div data-compte="104233" data-url="/x?mail=jeanne@example.fr"></div></body></html>"""

    fingerprint = answer_fingerprint(
        method="GET",
        path="/Usager/Accueil",
        status=200,
        content_type="text/html",
        body=body,
        problem="account drop-down has a value '12 RUE DES LILAS' for 104233",
    )

    assert fingerprint["html"] == {
        "forms": [
            {
                "action": "/Usager/Compte/#/Choisir",
                "method": "post",
                "inputs": [["__Jeton", "hidden"], ["Comptes[#]", "select"]],
            }
        ],
        "selects": [{"id": "Comptes_#", "name": "Comptes[#]", "options": 2}],
        "tables": [["Date", "Poids (kg)"]],
        "data_attributes": ["div[data-compte]", "div[data-url]"],
        "error_summary": False,
        "success_alert": False,
    }
    assert fingerprint["problem"] == "account drop-down has a value '…' for #"
    assert leaks(json.dumps(fingerprint), {"jeanne", "SECRET", "LILAS", "104233"}) == []


def test_json_shape_is_keys_and_types() -> None:
    payload = {
        "items": [{"DATE_DONNEE": "2026-03-04T06:40:00", "QUANTITE_NETTE": 12.5, "X": None}],
        "totalCount": 1,
        "104233": {"ok": True},
    }

    assert json_shape(payload) == {
        "items": {
            "list": 1,
            "first": {"DATE_DONNEE": "str", "QUANTITE_NETTE": "float", "X": "null"},
        },
        "totalCount": "int",
        "#": {"ok": "bool"},
    }
    assert json_shape([]) == {"list": 0, "first": None}


async def test_failures_leave_fingerprints_with_nothing_personal(
    client: EcocitoClient, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A journey with failures at each kind of step; the fingerprints and DEBUG logs."""
    caplog.set_level(logging.DEBUG, logger="custom_components.ecocito")
    tokens: set[str] = set()

    def keep_tokens() -> None:
        form = client._session.switch_form
        if form is not None:
            tokens.update(value for value in form.fields.values() if len(value) > 20)

    await client.login()
    keep_tokens()
    with pytest.raises(InvalidKeyError):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, WRONG_KEY)
    simulator.add_fault(Fault(FaultKind.GARBAGE, LINK_KEY, count=1))
    with pytest.raises(PortalChangedError):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)
    simulator.add_fault(Fault(FaultKind.MARKUP_CHANGED, COLLECTION, count=1))
    with pytest.raises(PortalChangedError):
        await client.get_account_data(DEMO_ACCOUNT_IDS[1], date(2026, 1, 1), date(2026, 11, 26))
    simulator.add_fault(Fault(FaultKind.MARKUP_CHANGED, PICKUPS, count=1))
    with pytest.raises(PortalChangedError):
        await client.get_account_data(DEMO_ACCOUNT_IDS[0], date(2026, 1, 1), date(2026, 11, 26))
    keep_tokens()
    simulator.expire_sessions()
    # The borne statistics are optional: not understood, they are fingerprinted all the same.
    simulator.add_fault(Fault(FaultKind.MARKUP_CHANGED, DROP_OFFS, count=1))
    data = await client.get_account_data(
        DEMO_ACCOUNT_IDS[1], date(2026, 1, 1), date(2026, 11, 26), borne_years=[2026]
    )
    assert data.problems == {"borne_statistics": f"{DROP_OFFS}: the answer is not a list"}
    keep_tokens()
    simulator.clear_faults()
    assert (await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)).id == (
        DEMO_LINKABLE_ACCOUNT_ID
    )

    fingerprints = client.portal_fingerprints
    by_request = {fp["request"]: fp for fp in fingerprints}
    assert list(by_request) == [
        f"POST {LINK_KEY}",
        f"GET {COLLECTION}",
        f"GET {PICKUPS}",
        f"GET {DROP_OFFS}",
    ]
    assert by_request[f"POST {LINK_KEY}"]["problem"] == (
        "the activation key step ended without a confirmation"
    )
    assert by_request[f"GET {COLLECTION}"]["html"]["selects"] == []  # no drop-down, no types
    assert "span[data-id]" in by_request[f"GET {COLLECTION}"]["html"]["data_attributes"]
    pickups = by_request[f"GET {PICKUPS}"]
    assert pickups["problem"] == f"{PICKUPS}: no 'data' list in the answer".replace("'data'", "'…'")
    assert pickups["json"]["items"]["first"]["LIBELLE_ADRESSE"] == "str"
    assert pickups["json"]["totalCount"] == "int"
    drop_offs = by_request[f"GET {DROP_OFFS}"]
    assert drop_offs["json"]["items"]["first"] == {"Annee": "int", "Mois": "int", "Nombre": "int"}

    assert tokens
    values = canaries(simulator, tokens)
    assert leaks(json.dumps(fingerprints, ensure_ascii=False), values) == []
    ours = [r for r in caplog.records if r.name.startswith("custom_components.ecocito")]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "POST /Usager/Profil/AssocierCompte/Cle -> 200" in logged
    assert "Unexpected answer to GET /Usager/Collecte/GetCollecte: {" in logged
    assert (
        "Account switch form: POST /Usager/Profil/ChangerCompte, fills IdCompte, "
        "sends back __RequestVerificationToken"
    ) in logged
    assert (
        "Wizard's key step: POST /Usager/Profil/AssocierCompte/Cle, fills CleActivation" in logged
    )
    assert leaks(logged, values) == []


async def test_only_the_last_fingerprints_are_kept(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    simulator.add_fault(Fault(FaultKind.MARKUP_CHANGED, COLLECTION))
    for _attempt in range(MAX_FINGERPRINTS + 2):
        with pytest.raises(PortalChangedError) as err:
            await client.get_account_data(DEMO_ACCOUNT_IDS[0], date(2026, 1, 1), date(2026, 11, 26))
    fingerprints: list[dict[str, Any]] = client.portal_fingerprints
    assert len(fingerprints) == MAX_FINGERPRINTS
    assert fingerprints[-1] is err.value.fingerprint


def test_json_shape_is_cut_at_its_depth() -> None:
    """Keys and types down to MAX_DEPTH levels; deeper, an ellipsis."""
    nested: Any = {"Nombre": 3}
    for level in range(8):
        nested = {f"k{level}": nested}
    shape = json_shape(nested)
    for key in ("k#",) * 6:
        shape = shape[key]
    assert shape == "…"
    assert json_shape([{"Mois": 1, "Nombre": "3"}]) == {
        "list": 1,
        "first": {"Mois": "int", "Nombre": "str"},
    }
