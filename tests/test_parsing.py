"""The parsers on markup variants: order, case, whitespace, wrappers, entities."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from custom_components.ecocito.api import PortalChangedError
from custom_components.ecocito.api.forms import account_switch_form
from custom_components.ecocito.api.html import parse_html
from custom_components.ecocito.api.models import Account, Commune, MonthlyCount, WasteType
from custom_components.ecocito.api.parsing import (
    error_messages,
    has_success_alert,
    is_login_page,
    parse_accounts,
    parse_communes,
    parse_local_datetime,
    parse_monthly_counts,
    parse_number,
    parse_pickup,
    parse_rows,
    parse_visit,
    parse_waste_types,
    portal_messages,
    row_waste_type,
)

PARIS = ZoneInfo("Europe/Paris")

DROP_DOWN_VARIANTS = {
    "as in the SPEC": """
        <form action="/Usager/Profil/ChangerCompte" method="post">
          <input name="__RequestVerificationToken" type="hidden" value="TOKEN">
          <select id="IdCompte" name="IdCompte">
            <option value="104233" selected="selected">N° 104233 - 12 RUE DES LILAS 23000 GUERET</option>
            <option value="118871">N° 118871 - LE BOURG 23200 AUBUSSON</option>
          </select>
        </form>""",
    "reordered attributes, upper-case tags": """
        <FORM METHOD="POST" ACTION="/Usager/Profil/ChangerCompte">
          <INPUT VALUE="TOKEN" TYPE="hidden" NAME="__RequestVerificationToken"/>
          <SELECT NAME="IdCompte" CLASS="form-control" ID="IdCompte">
            <OPTION SELECTED VALUE="104233">N° 104233 - 12 RUE DES LILAS 23000 GUERET</OPTION>
            <OPTION VALUE="118871">N° 118871 - LE BOURG 23200 AUBUSSON</OPTION>
          </SELECT>
        </FORM>""",
    "wrappers, whitespace and entities, no end tags": """
        <div class="navbar"><div class="row"><span>
        <form action='/Usager/Profil/ChangerCompte' method='post'><div>
          <input type='hidden' name='__RequestVerificationToken' value='TOKEN' >
          <label for="IdCompte">Compte&nbsp;:</label>
          <select  id = "IdCompte"
                   name = "IdCompte" >
            <option value="104233" selected>N&deg;   104233 -
                 12 RUE DES LILAS 23000 GUERET
            <option value="118871">N&#176; 118871 - LE BOURG 23200 AUBUSSON
          </select></div></form></span></div></div>""",
}


@pytest.mark.parametrize("markup", DROP_DOWN_VARIANTS.values(), ids=DROP_DOWN_VARIANTS.keys())
def test_account_drop_down_variants(markup: str) -> None:
    page = parse_html(f"<html><body>{markup}</body></html>")

    accounts = parse_accounts(page)

    assert accounts.accounts == (
        Account(id=104233, label="N° 104233 - 12 RUE DES LILAS 23000 GUERET"),
        Account(id=118871, label="N° 118871 - LE BOURG 23200 AUBUSSON"),
    )
    assert accounts.active_id == 104233
    form = account_switch_form(page, "/Usager/Accueil", "https://ccac.ecocito.com")
    assert form is not None
    assert (form.method, form.path, form.fill("118871")) == (
        "POST",
        "/Usager/Profil/ChangerCompte",
        {"__RequestVerificationToken": "TOKEN", "IdCompte": "118871"},
    )
    assert not is_login_page(page)


def test_account_drop_down_selected_later_and_default() -> None:
    chosen = parse_html(
        '<select id="IdCompte"><option value="">Choisir</option><option value="1">A</option>'
        '<option value="2" selected="selected">B</option></select>'
    )
    unselected = parse_html(
        '<select name="idcompte"><option value="7">Seul compte</option></select>'
    )

    assert parse_accounts(chosen).active_id == 2
    assert [account.id for account in parse_accounts(chosen).accounts] == [1, 2]
    assert parse_accounts(unselected).active_id == 7
    assert parse_accounts(parse_html('<select id="IdCompte"></select>')).active_id is None


def test_account_drop_down_changed() -> None:
    markup = '<select id="IdCompte"><option value="abc">?</option></select>'
    with pytest.raises(PortalChangedError) as err:
        parse_accounts(parse_html(markup))
    assert err.value.what == "account drop-down has a non-numeric option"


@pytest.mark.parametrize(
    ("markup", "account"),
    [
        (
            '<header><p class="compte">N°104233 -  12 RUE DES LILAS 23000 GUERET</p></header>',
            Account(id=104233, label="N° 104233 - 12 RUE DES LILAS 23000 GUERET"),
        ),
        (
            "<div><span>Votre compte</span> <b>N° 118871 - LE BOURG</b></div>",
            Account(id=118871, label="N° 118871 - LE BOURG"),
        ),
        ("<html><body><p>Accueil</p></body></html>", Account(id=0, label="")),
        ("<p>Appelez le 05 55 00 00 00 - du lundi au vendredi</p>", Account(id=0, label="")),
    ],
)
def test_a_page_without_drop_down_is_one_account(markup: str, account: Account) -> None:
    """Most logins have one production point: no drop-down, the page names it if it can."""
    accounts = parse_accounts(parse_html(markup))

    assert accounts.accounts == (account,)
    assert accounts.active_id == account.id
    assert not accounts.listed


def test_waste_types_variants() -> None:
    page = parse_html(
        """<DIV><Select Name="Filtres.IdMatiere" Id="Filtres_IdMatiere">
        <option value="-1">Toutes les mati&egrave;res</option>
        <option   value="16"  >Emballages</option>
        <option value="15">Ordures
            m&eacute;nag&egrave;res
        <option value="17"><span>Biod&eacute;chets</span></option>
        </Select></DIV>"""
    )

    assert parse_waste_types(page) == (
        WasteType(id=16, label="Emballages"),
        WasteType(id=15, label="Ordures ménagères"),
        WasteType(id=17, label="Biodéchets"),
    )


def test_waste_types_missing() -> None:
    with pytest.raises(PortalChangedError) as err:
        parse_waste_types(parse_html("<form><select id='Autre'></select></form>"))
    assert err.value.what == "waste type list (select #Filtres_IdMatiere) is missing"


def test_login_page_and_error_messages() -> None:
    page = parse_html(
        """<html><body><FORM Action="https://x.ecocito.com/usager/profil/connexion?ReturnUrl=%2F">
        <DIV class="Validation-Summary-Errors text-danger"><UL>
        <LI>Identifiant ou mot de passe   incorrect.</LI><li>Compte &laquo;verrouill&eacute;&raquo;</li>
        </UL></DIV><input name="Identifiant"></FORM></body></html>"""
    )
    summary_only = parse_html('<div class="validation-summary-errors">Erreur inattendue</div>')

    assert is_login_page(page)
    assert error_messages(page) == [
        "Identifiant ou mot de passe incorrect.",
        "Compte «verrouillé»",
    ]
    assert error_messages(summary_only) == ["Erreur inattendue"]
    assert error_messages(parse_html("<div class='validation-summary-valid'></div>")) == []


def test_success_alert() -> None:
    assert has_success_alert(
        parse_html(
            '<div class="alert  alert-success">Le nouveau compte est maintenant associé !</div>'
        )
    )
    assert not has_success_alert(parse_html('<div class="alert alert-danger">Non</div>'))


def test_stray_end_tags_and_void_elements() -> None:
    page = parse_html(
        "</p><div><br/><img src=x><input name=a value=1></span><p>un<p>deux<span/>trois</div></b>"
    )

    assert [element.text for element in page.find_all("p")] == ["un", "deux trois"]
    assert page.find("span") is not None
    assert page.find("input", name="A") is not None
    assert page.find("div") is not None
    assert repr(page.find("div")) == "<div {}>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-04T06:42:13", datetime(2026, 3, 4, 6, 42, 13, tzinfo=PARIS)),
        ("2026-03-04T06:42:13.517", datetime(2026, 3, 4, 6, 42, 13, 517000, tzinfo=PARIS)),
        ("2026-07-04T06:42:13.5170000", datetime(2026, 7, 4, 6, 42, 13, 517000, tzinfo=PARIS)),
        (" 2026-07-04 06:42 ", datetime(2026, 7, 4, 6, 42, tzinfo=PARIS)),
        ("2026-07-04T04:42:13Z", datetime(2026, 7, 4, 6, 42, 13, tzinfo=PARIS)),
    ],
)
def test_local_datetime(value: str, expected: datetime) -> None:
    parsed = parse_local_datetime(value)

    assert parsed == expected
    assert parsed.tzinfo == PARIS
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", [None, 20260304, "hier", ""])
def test_local_datetime_rejects(value: object) -> None:
    with pytest.raises(PortalChangedError, match="DATE_DONNEE"):
        parse_local_datetime(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (0, 0.0),
        (12, 12.0),
        (12.5, 12.5),
        ("12,5", 12.5),
        (" 1\u00a0012,25 ", 1012.25),
        ("7.75", 7.75),
        (True, None),
    ],
)
def test_number(value: object, expected: float | None) -> None:
    assert parse_number(value, "QUANTITE_NETTE") == expected


@pytest.mark.parametrize("value", ["douze", [1], {"kg": 1}])
def test_number_rejects(value: object) -> None:
    with pytest.raises(PortalChangedError, match="QUANTITE_NETTE is not a number"):
        parse_number(value, "QUANTITE_NETTE")


def test_pickup_row_known_fields_only_required() -> None:
    full = parse_pickup(
        {
            "DATE_DONNEE": "2026-03-04T06:42:13",
            "QUANTITE_NETTE": "12,5",
            "LIBELLE_ADRESSE": "  12 RUE DES   LILAS ",
            "NumeroCuve": 4411,
            "NumeroPuce": "E00401",
            "CODE_TOURNEE": "noise",
        },
        15,
    )
    minimal = parse_pickup({"DATE_DONNEE": "2026-03-04T06:42:13", "NumeroCuve": ""}, 16)

    assert full.waste_type_id == 15
    assert full.weight == 12.5
    assert full.address == "12 RUE DES LILAS"
    assert full.bin_number == "4411"
    assert full.chip_number == "E00401"
    assert minimal.waste_type_id == 16
    assert (minimal.weight, minimal.address, minimal.bin_number, minimal.chip_number) == (
        None,
        None,
        None,
        None,
    )


def test_visit_row() -> None:
    visit = parse_visit(
        {
            "DATE_DONNEE": "2026-05-02T10:15:00",
            "LIBELLE_DECHETERIE": "Déchèterie de Guéret",
            "LIBELLE_MATIERE": "Gravats",
            "QUANTITE": "1,5",
        }
    )
    bare = parse_visit({"DATE_DONNEE": "2026-05-02T10:15:00", "QUANTITE": "beaucoup"})

    assert visit.date == datetime(2026, 5, 2, 10, 15, tzinfo=PARIS)
    assert (visit.site, visit.material, visit.quantity) == ("Déchèterie de Guéret", "Gravats", 1.5)
    assert (bare.site, bare.material, bare.quantity) == (None, None, None)


def test_rows() -> None:
    assert parse_rows({"data": [{"a": 1}], "totalCount": 3}, "x") == ([{"a": 1}], 3)
    assert parse_rows({"data": [], "totalCount": -1}, "x") == ([], None)
    assert parse_rows({"data": [], "totalCount": True}, "x") == ([], None)
    assert parse_rows({"data": []}, "x") == ([], None)


@pytest.mark.parametrize(
    ("payload", "what"),
    [
        ([], "GetCollecte: no 'data' list in the answer"),
        ({"items": []}, "GetCollecte: no 'data' list in the answer"),
        ({"data": "rows"}, "GetCollecte: no 'data' list in the answer"),
        ({"data": [1, 2]}, "GetCollecte: a row is not an object"),
    ],
)
def test_rows_changed(payload: object, what: str) -> None:
    with pytest.raises(PortalChangedError) as err:
        parse_rows(payload, "GetCollecte")
    assert err.value.what == what


def test_communes() -> None:
    communes = parse_communes(
        [
            {"Id": 3, "Libelle": "GUÉRET", "CodePostal": "23000", "Autre": None},
            {"CodePostal": 23200, "Id": "7", "Libelle": " AUBUSSON "},
        ]
    )

    assert communes == (
        Commune(id=7, name="AUBUSSON", postal_code="23200"),
        Commune(id=3, name="GUÉRET", postal_code="23000"),
    )
    assert communes[1].display_name == "GUÉRET (23000)"


def test_communes_in_french_order() -> None:
    """Accents and case aside, as a French list sorts: not after Z, whatever the locale."""
    names = [
        "BOUSSAC",
        "ÉVAUX-LES-BAINS",
        "SAINTE-FEYRE",
        "BÉNÉVENT-L'ABBAYE",
        "Œuilly",
        "SAINT-VAURY",
        "ODENAS",
        "CHÂTELUS-MALVALEIX",
        "CHAMBON-SUR-VOUEIZE",
        "ZONZA",
        "AHUN",
    ]
    payload = [{"Id": i, "Libelle": name, "CodePostal": "23000"} for i, name in enumerate(names)]
    assert [c.name for c in parse_communes(payload)] == [
        "AHUN",
        "BÉNÉVENT-L'ABBAYE",
        "BOUSSAC",
        "CHAMBON-SUR-VOUEIZE",
        "CHÂTELUS-MALVALEIX",
        "ÉVAUX-LES-BAINS",
        "ODENAS",
        "Œuilly",
        "SAINT-VAURY",
        "SAINTE-FEYRE",
        "ZONZA",
    ]
    # One name in two postal codes: by postal code.
    twice = [
        {"Id": 1, "Libelle": "SAINT-LAURENT", "CodePostal": "23000"},
        {"Id": 2, "Libelle": "SAINT-LAURENT", "CodePostal": "01230"},
    ]
    assert [c.id for c in parse_communes(twice)] == [2, 1]


@pytest.mark.parametrize(
    "payload", [{"data": []}, [{"Id": 3}], [{"Id": "x", "Libelle": "A", "CodePostal": "1"}]]
)
def test_communes_changed(payload: object) -> None:
    with pytest.raises(PortalChangedError, match="commune search"):
        parse_communes(payload)


def test_monthly_counts() -> None:
    """Months in any order, missing or at 0, extra keys, the year optional."""
    counts = parse_monthly_counts(
        [
            {"Mois": 3, "Annee": 2026, "Nombre": 4, "Libelle": "Mars"},
            {"Nombre": 0, "Mois": 1},
            {"Annee": 2026, "Mois": 12, "Nombre": 1},
        ],
        2026,
        "PAV",
    )

    assert [(c.month, c.count) for c in counts] == [
        (1, 0),
        (2, 0),
        (3, 4),
        *((m, 0) for m in range(4, 12)),
        (12, 1),
    ]
    assert counts[2] == MonthlyCount(year=2026, month=3, count=4)
    assert parse_monthly_counts([], 2025, "PAV") == tuple(
        MonthlyCount(year=2025, month=m, count=0) for m in range(1, 13)
    )


def twelve(*counts: int) -> list[tuple[int | None, int]]:
    """The (month, count) pairs of a year whose first months count ``counts``."""
    return [(month, counts[month - 1] if month <= len(counts) else 0) for month in range(1, 13)]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            [{"Mois": "2", "Nombre": "3"}, {"Mois": 1, "Nombre": 2.0}],
            twelve(2, 3),
            id="counts-as-text-and-whole-floats",
        ),
        pytest.param(
            [{"Libelle": "Février 2026", "Nombre": "3"}, {"Libelle": "janv.", "Nombre": 1}],
            twelve(1, 3),
            id="french-month-names",
        ),
        pytest.param(
            [
                {"Date": "/Date(1769986800000)/", "Nombre": 4},  # 2 February 2026, Paris
                {"Debut": "2026-01-01T00:00:00", "Nombre": 1},
                {"Periode": "01/03/2026", "Nombre": 2},
            ],
            twelve(1, 4, 2),
            id="dates",
        ),
        pytest.param(
            [{"Nombre": n} for n in (5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 1)],
            [*twelve(5, 4, 3, 2, 1)[:11], (12, 1)],
            id="the-list-order",
        ),
        pytest.param([{"Nombre": 7}], [(None, 7)], id="a-total-alone"),
        pytest.param(
            [{"Mois": 2, "Nombre": 1}, {"Mois": 2, "Nombre": 4}], [(None, 5)], id="a-month-twice"
        ),
        pytest.param([{"Mois": 13, "Nombre": 1}], [(None, 1)], id="no-such-month"),
        pytest.param(
            [{"Mois": 2, "Annee": 2025, "Nombre": 1}, {"Mois": 2, "Annee": "2026", "Nombre": 6}],
            twelve(0, 6),
            id="another-year-left-out",
        ),
    ],
)
def test_monthly_counts_read_tolerantly(
    payload: list[dict[str, object]], expected: list[tuple[int | None, int]]
) -> None:
    """Read as a tolerant client would: whatever says the count and the month."""
    counts = parse_monthly_counts(payload, 2026, "PAV")

    assert [(c.month, c.count) for c in counts] == expected
    assert {c.year for c in counts} == {2026}


@pytest.mark.parametrize(
    ("payload", "what"),
    [
        ({"data": []}, "PAV: the answer is not a list"),
        ([3], "PAV: an item is not an object"),
        ([{"Mois": 1, "Nombre": 2.5}], "PAV: Nombre is not a count: 2.5"),
        ([{"Mois": 1, "Nombre": True}], "PAV: Nombre is not a count: True"),
        ([{"Mois": 1}], "PAV: Nombre is not a count: None"),
        ([{"Mois": 1, "Nombre": "trois"}], "PAV: Nombre is not a count: 'trois'"),
        ([{"Mois": 2, "Nombre": -1}], "PAV: Nombre is not a count: -1"),
    ],
)
def test_monthly_counts_changed(payload: object, what: str) -> None:
    with pytest.raises(PortalChangedError) as err:
        parse_monthly_counts(payload, 2026, "PAV")
    assert err.value.what == what


def test_portal_messages_once_each() -> None:
    """The portal's message, once: a div.error repeating the summary, or empty, adds nothing."""
    page = parse_html(
        """<div class="validation-summary-errors"><ul><li>Maintenance en cours.</li></ul></div>
        <div class="error">Maintenance en cours.</div><div class="error">  </div>
        <div class="error">Revenez plus tard.</div>"""
    )
    assert portal_messages(page) == ["Maintenance en cours.", "Revenez plus tard."]
    assert portal_messages(parse_html("<h1>Erreur 503</h1>"), heading=True) == ["Erreur 503"]
    assert portal_messages(parse_html("<h1>Erreur 503</h1>")) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(15, 15), (" 16 ", 16), ("-1", -1), (True, None), ("Verre", None), (None, None), (1.0, None)],
)
def test_row_waste_type(value: object, expected: int | None) -> None:
    """ID_MATIERE as an integer or numeric text is the row's type; anything else is none."""
    assert row_waste_type({"ID_MATIERE": value}) == expected
    assert row_waste_type({}) is None


def test_monthly_counts_of_another_year_are_left_out() -> None:
    """``Annee`` as an integer or as text is checked; one that says no year is not."""
    payload = [
        {"Annee": "2025", "Mois": 1, "Nombre": 9},  # another year, as text
        {"Annee": 2026, "Mois": 1, "Nombre": 2},
        {"Annee": True, "Mois": 2, "Nombre": 3},  # no year to read: kept
        {"Annee": "deux mille", "Mois": 3, "Nombre": 4},
    ]
    counts = parse_monthly_counts(payload, 2026, "PAV")
    assert [(c.month, c.count) for c in counts][:4] == [(1, 2), (2, 3), (3, 4), (4, 0)]
