"""Tests of the portal simulator itself (tests/portal), over real HTTP."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import json
import re
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from .portal import Fault, FaultKind, PortalSimulator, build_scenario
from .portal.app import GARBAGE_JSON
from .portal.scenarios import (
    BORNES_ACCOUNT_ID,
    BORNES_LOGIN,
    BORNES_PASSWORD,
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_COMMUNE_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_PASSWORD,
    DEMO_SECOND_ACCOUNT_ID,
    LARGE_ACCOUNT_IDS,
    OTHER_COMMUNE_KEY,
    RENAMED_NAMES,
    SCENARIOS,
    UNSERVED_COMMUNE_ID,
    USED_KEY,
    rhythm_days,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0)
"""Noon on TODAY, portal time: the scenarios' data ends there."""
COLLECTE = "/Usager/Collecte/GetCollecte"
APPORT = "/Usager/Apport/GetApport"
DROP_OFFS = "/Usager/Json/ObtenirStatistiqueApportPAVMensuel"
LOGIN_FORM = 'action="/Usager/Profil/Connexion"'
ERRORS = 'class="validation-summary-errors"'


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[PortalSimulator]:
    simulator = PortalSimulator.from_scenario("demo", NOW)
    await simulator.start(host="127.0.0.1", port=0)
    yield simulator
    await simulator.stop()


@pytest.fixture
async def browser(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield session


async def login(
    browser: aiohttp.ClientSession,
    sim: PortalSimulator,
    email: str = DEMO_LOGIN,
    password: str = DEMO_PASSWORD,
) -> aiohttp.ClientResponse:
    form = {
        "Identifiant": email,
        "MotDePasse": password,
        "MaintenirConnexion": "false",
        "FranceConnectActif": "False",
    }
    async with browser.post(
        f"{sim.base_url}/Usager/Profil/Connexion", data=form, allow_redirects=False
    ) as response:
        await response.read()
        return response


async def get_text(browser: aiohttp.ClientSession, sim: PortalSimulator, path: str) -> str:
    async with browser.get(f"{sim.base_url}{path}") as response:
        assert response.status == 200
        return await response.text()


def token_of(html: str) -> str:
    match = re.search(r'name="__RequestVerificationToken" type="hidden" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def dropdown(html: str) -> tuple[list[int], int | None]:
    select = re.search(r'<select id="IdCompte" name="IdCompte".*?</select>', html, re.S)
    assert select is not None, "no account drop-down"
    options = re.findall(r'<option value="(\d+)"( selected="selected")?>', select.group(0))
    ids = [int(value) for value, _ in options]
    active = next((int(value) for value, chosen in options if chosen), None)
    return ids, active


def data_query(
    start: date,
    end: date,
    type_id: int = -1,
    skip: int = 0,
    take: int = 100,
    *,
    desc: bool = False,
    total: bool = True,
) -> dict[str, str]:
    return {
        "charger": "true",
        "skip": str(skip),
        "take": str(take),
        "requireTotalCount": "true" if total else "false",
        "idMatiere": str(type_id),
        "sort": json.dumps([{"selector": "DATE_DONNEE", "desc": desc}]),
        "dateDebut": f"{start.isoformat()}T00:00:00.000Z",
        "dateFin": f"{end.isoformat()}T23:59:59.999Z",
    }


async def get_json(
    browser: aiohttp.ClientSession, sim: PortalSimulator, path: str, params: dict[str, str]
) -> Any:
    async with browser.get(f"{sim.base_url}{path}", params=params) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        return await response.json()


async def switch(
    browser: aiohttp.ClientSession, sim: PortalSimulator, account_id: int | str, token: str
) -> aiohttp.ClientResponse:
    form = {"__RequestVerificationToken": token, "IdCompte": str(account_id)}
    async with browser.post(
        f"{sim.base_url}/Usager/Profil/ChangerCompte", data=form, allow_redirects=False
    ) as response:
        await response.read()
        return response


async def test_login_success_and_failure(
    sim: PortalSimulator, browser: aiohttp.ClientSession
) -> None:
    bad = await login(browser, sim, password="wrong")
    assert bad.status == 200
    page = await get_text(browser, sim, "/Usager/Profil/Connexion")
    assert LOGIN_FORM in page
    async with browser.post(
        f"{sim.base_url}/Usager/Profil/Connexion",
        data={"Identifiant": DEMO_LOGIN, "MotDePasse": "wrong"},
    ) as response:
        text = await response.text()
    assert "<li>Identifiant ou mot de passe incorrect.</li>" in text
    assert LOGIN_FORM in text

    good = await login(browser, sim, email=DEMO_LOGIN.upper())
    assert good.status == 302
    assert good.headers["Location"] == "/Usager/Accueil"
    assert "ASP.NET_SessionId" in good.cookies
    home = await get_text(browser, sim, "/Usager/Accueil")
    assert dropdown(home) == ([DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID], DEMO_MAIN_ACCOUNT_ID)
    assert LOGIN_FORM not in home

    collecte = await get_text(browser, sim, "/Usager/Collecte")
    assert '<option value="-1">Toutes les matières</option>' in collecte
    assert re.findall(r'<option value="(\d+)">', collecte.split("Filtres_IdMatiere")[2]) == [
        "15",
        "16",
        "17",
    ]

    async with browser.get(f"{sim.base_url}/Usager/Profil/Deconnexion") as response:
        assert LOGIN_FORM in await response.text()
    assert LOGIN_FORM in await get_text(browser, sim, "/Usager/Accueil")


async def test_session_expiry_modes(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    params = data_query(TODAY, TODAY)
    async with browser.get(f"{sim.base_url}{COLLECTE}", params=params) as response:
        assert response.status == 200
        assert LOGIN_FORM in await response.text()

    sim.expired_session_mode = "redirect"
    async with browser.get(
        f"{sim.base_url}{COLLECTE}", params=params, allow_redirects=False
    ) as response:
        assert response.status == 302
        assert response.headers["Location"].startswith(
            "/Usager/Profil/Connexion?ReturnUrl=%2FUsager%2FCollecte%2FGetCollecte%3F"
        )

    await login(browser, sim)
    await get_json(browser, sim, COLLECTE, params)
    sim.expire_sessions()
    async with browser.get(f"{sim.base_url}{COLLECTE}", params=params) as response:
        assert LOGIN_FORM in await response.text()  # redirect followed to the login page

    sim.expired_session_mode = "page"
    await login(browser, sim)
    sim.session_lifetime = 60
    sim.clock = lambda: time.monotonic() + 61  # idle for longer than the lifetime
    assert LOGIN_FORM in await get_text(browser, sim, "/Usager/Accueil")

    sim.session_lifetime = None
    sim.clock = time.monotonic
    await login(browser, sim)
    sim.state.set_password(DEMO_LOGIN, "Nouveau-2026")  # old sessions die with the password
    assert LOGIN_FORM in await get_text(browser, sim, "/Usager/Accueil")
    assert (await login(browser, sim)).status == 200
    assert (await login(browser, sim, password="Nouveau-2026")).status == 302


async def test_switch_and_collecte_for_two_accounts(
    sim: PortalSimulator, browser: aiohttp.ClientSession
) -> None:
    await login(browser, sim)
    token = token_of(await get_text(browser, sim, "/Usager/Accueil"))
    year = data_query(date(2025, 1, 1), date(2025, 12, 31), type_id=15, take=1000)

    main = await get_json(browser, sim, COLLECTE, year)
    assert main["totalCount"] == len(main["data"]) > 40
    assert {row["LIBELLE_ADRESSE"] for row in main["data"]} == {"12 RUE DES LILAS 23000 GUERET"}
    assert all(
        {"DATE_DONNEE", "QUANTITE_NETTE", "NumeroCuve", "NumeroPuce"} <= set(row)
        for row in main["data"]
    )

    assert (await switch(browser, sim, DEMO_SECOND_ACCOUNT_ID, "not-the-token")).status == 400
    switched = await switch(browser, sim, DEMO_SECOND_ACCOUNT_ID, token)
    assert switched.status == 302
    assert switched.headers["Location"] == "/Usager/Accueil"
    home = await get_text(browser, sim, "/Usager/Accueil")
    assert dropdown(home)[1] == DEMO_SECOND_ACCOUNT_ID

    second = await get_json(browser, sim, COLLECTE, year)
    assert 0 < second["totalCount"] < main["totalCount"]
    assert {row["LIBELLE_ADRESSE"] for row in second["data"]} == {"LE BOURG 23200 AUBUSSON"}
    assert all(
        int(row["DATE_DONNEE"][5:7]) in (1, 4, 7, 8, 12) for row in second["data"]
    )  # a second home: holidays only
    biowaste = data_query(date(2025, 1, 1), date(2025, 12, 31), type_id=17)
    assert (await get_json(browser, sim, COLLECTE, biowaste))["data"] == []

    for bad_id in ("130001", "abc"):
        refused = await switch(browser, sim, bad_id, token)
        assert refused.status == 200
    async with browser.post(
        f"{sim.base_url}/Usager/Profil/ChangerCompte",
        data={"__RequestVerificationToken": token, "IdCompte": "130001"},
    ) as response:
        text = await response.text()
    assert "Ce compte n&#x27;est pas associé à votre identifiant." in text
    assert ERRORS in text
    assert dropdown(await get_text(browser, sim, "/Usager/Accueil"))[1] == DEMO_SECOND_ACCOUNT_ID


async def test_pagination_total_count_and_rows(
    sim: PortalSimulator, browser: aiohttp.ClientSession
) -> None:
    await login(browser, sim)
    start, end = date(2024, 1, 1), TODAY
    everything = await get_json(browser, sim, COLLECTE, data_query(start, end, take=5000))
    rows = everything["data"]
    assert everything["totalCount"] == len(rows) > 300
    assert [row["DATE_DONNEE"] for row in rows] == sorted(row["DATE_DONNEE"] for row in rows)

    weights = [row["QUANTITE_NETTE"] for row in rows]
    assert None in weights
    assert 0 in weights
    assert any(isinstance(w, str) and re.fullmatch(r"\d+,\d+", w) for w in weights)
    assert any(isinstance(w, float) for w in weights)
    assert any(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", r["DATE_DONNEE"]) for r in rows
    )
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r["DATE_DONNEE"]) for r in rows)

    sim.max_take = 50
    pages: list[dict[str, Any]] = []
    skip = 0
    while True:
        answer = await get_json(
            browser, sim, COLLECTE, data_query(start, end, skip=skip, take=5000, desc=True)
        )
        assert answer["totalCount"] == len(rows)
        assert len(answer["data"]) <= 50
        pages.extend(answer["data"])
        skip += len(answer["data"])
        if not answer["data"] or skip >= answer["totalCount"]:
            break
    assert pages == list(reversed(rows))

    no_total = await get_json(browser, sim, COLLECTE, data_query(start, end, total=False))
    assert no_total["totalCount"] == -1

    # The date range is inclusive, on the row's local calendar date.
    day = rows[10]["DATE_DONNEE"][:10]
    one_day = await get_json(
        browser, sim, COLLECTE, data_query(date.fromisoformat(day), date.fromisoformat(day))
    )
    assert one_day["data"]
    assert {row["DATE_DONNEE"][:10] for row in one_day["data"]} == {day}

    visits = await get_json(browser, sim, APPORT, data_query(start, end))
    assert visits["totalCount"] > 15
    assert all("DATE_DONNEE" in row for row in visits["data"])

    stats = await get_json(
        browser,
        sim,
        "/Usager/Json/ObtenirStatistiqueLeveesMensuel",
        {
            "dateDebut": "2025-01-01T00:00:00.000Z",
            "dateFin": "2025-12-31T23:59:59.999Z",
            "idMatiere": "15",
        },
    )
    assert [(s["Annee"], s["Mois"]) for s in stats] == [(2025, m) for m in range(1, 13)]
    assert all(3 <= s["Nombre"] <= 5 for s in stats)


def year_query(year: int, type_id: int) -> dict[str, str]:
    return {
        "dateDebut": f"{year}-01-01T00:00:00.000Z",
        "dateFin": f"{year}-12-31T23:59:59.999Z",
        "idMatiere": str(type_id),
    }


async def test_borne_drop_offs(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    """Openings per month from the state: [] without a borne, months at 0 listed."""
    await login(browser, sim)
    assert await get_json(browser, sim, DROP_OFFS, year_query(2026, 16)) == []  # main account

    await switch(
        browser,
        sim,
        DEMO_SECOND_ACCOUNT_ID,
        token_of(await get_text(browser, sim, "/Usager/Accueil")),
    )
    packaging = await get_json(browser, sim, DROP_OFFS, year_query(2026, 16))
    residual = await get_json(browser, sim, DROP_OFFS, year_query(2026, 15))

    held = [d for d in sim.state.get_account(DEMO_SECOND_ACCOUNT_ID).drop_offs if d.type_id == 16]
    assert [(s["Annee"], s["Mois"]) for s in packaging] == [(2026, m) for m in range(1, 13)]
    assert [s["Nombre"] for s in packaging] == [
        sum(1 for d in held if (d.when.year, d.when.month) == (2026, m)) for m in range(1, 13)
    ]
    assert packaging[6]["Nombre"] > 0 == packaging[5]["Nombre"]  # July (holidays), not June
    assert [s["Nombre"] for s in residual] == [0] * 12

    async with browser.post(
        f"{sim.base_url}/_sim/accounts/{DEMO_SECOND_ACCOUNT_ID}/drop_offs",
        json={"type_id": 15, "date": "2026-03-04T18:30:00"},
    ) as response:
        assert response.status == 200
    async with browser.post(
        f"{sim.base_url}/_sim/accounts/{DEMO_SECOND_ACCOUNT_ID}/drop_offs",
        json={"type_id": 99, "date": "2026-03-04T18:30:00"},
    ) as response:
        assert response.status == 400  # not one of the account's waste types
    residual = await get_json(browser, sim, DROP_OFFS, year_query(2026, 15))
    assert [s["Nombre"] for s in residual] == [0, 0, 1] + [0] * 9
    async with browser.get(
        f"{sim.base_url}/_sim/accounts/{DEMO_SECOND_ACCOUNT_ID}/years"
    ) as response:
        assert (await response.json())["2026"]["drop_offs"]["15"] == {"3": 1}

    sim.add_fault(Fault(kind=FaultKind.GARBAGE, path=DROP_OFFS, count=1))
    async with browser.get(f"{sim.base_url}{DROP_OFFS}", params=year_query(2026, 15)) as response:
        assert await response.text() == GARBAGE_JSON
    sim.add_fault(Fault(kind=FaultKind.MARKUP_CHANGED, path=DROP_OFFS, count=1))
    changed = await get_json(browser, sim, DROP_OFFS, year_query(2026, 15))
    assert changed == {"items": residual}


async def test_bornes_scenario(browser: aiohttp.ClientSession, socket_enabled: None) -> None:
    """A flat with no bin: only borne openings, this year and last, months at 0 left out."""
    state = build_scenario("bornes", NOW)
    assert build_scenario("bornes", NOW).accounts == state.accounts
    account = state.get_account(BORNES_ACCOUNT_ID)
    assert (account.pickups, account.visits) == ([], [])
    assert {d.type_id for d in account.drop_offs} == {1, 2}
    assert account.drop_offs[0].when.date() >= date(2025, 1, 1)
    assert account.drop_offs[-1].when.date() <= TODAY
    assert {d.when.year for d in account.drop_offs} == {2025, 2026}

    sim = PortalSimulator(state)
    await sim.start(host="127.0.0.1", port=0)
    try:
        await login(browser, sim, BORNES_LOGIN, BORNES_PASSWORD)
        last_year = await get_json(browser, sim, DROP_OFFS, year_query(2025, 1))
        glass = await get_json(browser, sim, DROP_OFFS, year_query(2026, 5))
        pickups = await get_json(browser, sim, COLLECTE, data_query(date(2025, 1, 1), TODAY))
    finally:
        await sim.stop()
    assert [s["Mois"] for s in last_year] == [m for m in range(1, 13) if m != 8]
    assert all(s["Nombre"] > 0 and s["Annee"] == 2025 for s in last_year)
    assert glass == []
    assert pickups["data"] == []


async def test_faults(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    await login(browser, sim)
    url = f"{sim.base_url}{COLLECTE}"
    params = data_query(date(2026, 1, 1), TODAY)

    sim.add_fault(Fault(kind=FaultKind.SERVER_ERROR, status=503, path=COLLECTE, count=2))
    for _ in range(2):
        async with browser.get(url, params=params) as response:
            assert response.status == 503
            assert response.content_type == "text/html"
    assert sim.faults == []
    await get_json(browser, sim, COLLECTE, params)

    sim.add_fault(Fault(kind=FaultKind.RATE_LIMITED, retry_after=7, count=1))
    async with browser.get(url, params=params) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"

    sim.add_fault(Fault(kind=FaultKind.GARBAGE, count=1))
    async with browser.get(url, params=params) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        with pytest.raises(ValueError, match="Expecting|Unterminated"):
            json.loads(await response.text())

    sim.add_fault(Fault(kind=FaultKind.HTML_INSTEAD_OF_JSON, count=1))
    async with browser.get(url, params=params) as response:
        assert response.content_type == "text/html"
        assert LOGIN_FORM not in await response.text()

    sim.add_fault(Fault(kind=FaultKind.MARKUP_CHANGED, count=3))
    assert "data" not in await get_json(browser, sim, COLLECTE, params)
    home = await get_text(browser, sim, "/Usager/Accueil")
    assert 'id="IdCompte"' not in home
    assert LOGIN_FORM not in home
    assert "Filtres_IdMatiere" not in await get_text(browser, sim, "/Usager/Collecte")

    sim.add_fault(Fault(kind=FaultKind.DISCONNECT, path=COLLECTE, count=1))
    with pytest.raises(aiohttp.ClientConnectionError):
        async with browser.get(url, params=params) as response:
            await response.read()

    sim.add_fault(Fault(kind=FaultKind.SLOW, delay=0.3, count=1))
    started = time.monotonic()
    await get_json(browser, sim, COLLECTE, params)
    assert time.monotonic() - started >= 0.3

    sim.add_fault(Fault(kind=FaultKind.SESSION_EXPIRED, count=1))
    async with browser.get(url, params=params) as response:
        assert LOGIN_FORM in await response.text()
    assert LOGIN_FORM in await get_text(browser, sim, "/Usager/Accueil")  # really gone

    await login(browser, sim)
    sim.set_random_faults(rate=0.5, seed=1, kinds=[FaultKind.SERVER_ERROR])
    statuses = []
    for _ in range(20):
        async with browser.get(url, params=params) as response:
            statuses.append(response.status)
    assert 3 < statuses.count(200) < 17
    assert set(statuses) <= {200, 500, 503}
    sim.clear_faults()
    await get_json(browser, sim, COLLECTE, params)


async def test_request_log(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    await login(browser, sim)
    token = token_of(await get_text(browser, sim, "/Usager/Accueil"))
    params = data_query(TODAY, TODAY)
    await get_json(browser, sim, COLLECTE, params)
    await switch(browser, sim, DEMO_SECOND_ACCOUNT_ID, token)
    await get_json(browser, sim, COLLECTE, params)
    async with browser.get(f"{sim.base_url}/_sim/state") as response:
        assert response.status == 200

    assert sim.count() == 5
    assert sim.count(COLLECTE) == 2
    assert sim.count("/Usager/Profil/Connexion", method="POST") == 1
    collecte = [record for record in sim.requests if record.path == COLLECTE]
    assert [record.account_id for record in collecte] == [
        DEMO_MAIN_ACCOUNT_ID,
        DEMO_SECOND_ACCOUNT_ID,
    ]
    assert collecte[0].query["idMatiere"] == "-1"
    assert collecte[0].status == 200
    assert collecte[0].at <= collecte[1].at
    sim.reset_requests()
    assert sim.count() == 0


async def test_admin_endpoints(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    base = sim.base_url

    async def admin(method: str, path: str, body: Any = None) -> Any:
        async with browser.request(method, f"{base}/_sim{path}", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    state = await admin("GET", "/state")
    demo = next(login for login in state["logins"] if login["email"] == DEMO_LOGIN)
    assert demo["account_ids"] == [DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID]
    linkable = next(a for a in state["accounts"] if a["id"] == DEMO_LINKABLE_ACCOUNT_ID)
    assert linkable["key_used"] is False
    assert linkable["commune"] == "LA SOUTERRAINE"

    await login(browser, sim)
    await admin("POST", f"/accounts/{DEMO_LINKABLE_ACCOUNT_ID}/link", {"login": DEMO_LOGIN})
    await admin("POST", f"/accounts/{DEMO_SECOND_ACCOUNT_ID}/unlink", {"login": DEMO_LOGIN})
    home = await get_text(browser, sim, "/Usager/Accueil")
    assert dropdown(home) == (
        [DEMO_MAIN_ACCOUNT_ID, DEMO_LINKABLE_ACCOUNT_ID],
        DEMO_MAIN_ACCOUNT_ID,
    )

    await admin(
        "POST",
        f"/accounts/{DEMO_MAIN_ACCOUNT_ID}/pickups",
        {"type_id": 15, "date": "2026-11-26T06:30:00", "weight": 12.5},
    )
    await admin(
        "POST",
        f"/accounts/{DEMO_MAIN_ACCOUNT_ID}/visits",
        {"date": "2026-11-26T10:00:00", "site": "X"},
    )
    rows = await get_json(browser, sim, COLLECTE, data_query(TODAY, TODAY, type_id=15))
    added = rows["data"][-1]
    assert (added["DATE_DONNEE"], added["QUANTITE_NETTE"]) == ("2026-11-26T06:30:00", 12.5)

    await admin(
        "POST", "/faults", {"kind": "server_error", "status": 503, "path": None, "count": 1}
    )
    async with browser.get(f"{base}/Usager/Accueil") as response:
        assert response.status == 503
    await admin("POST", "/faults", {"kind": "slow", "delay": 5})
    await admin("DELETE", "/faults")
    await admin("POST", "/random_faults", {"rate": 0, "seed": 1})
    await admin("POST", "/latency", {"seconds": 0.01})
    assert sim.latency == 0.01
    await admin("POST", "/session_lifetime", {"seconds": None})
    assert sim.session_lifetime is None

    requests = await admin("GET", "/requests")
    assert requests["total"] == sim.count() == 4  # login, 2 x Accueil, GetCollecte
    assert requests["by_path"]["/Usager/Accueil"] == 2
    await admin("POST", "/requests/reset")
    assert (await admin("GET", "/requests"))["total"] == 0

    await admin("POST", "/sessions/expire")
    assert LOGIN_FORM in await get_text(browser, sim, "/Usager/Accueil")
    await admin("POST", f"/logins/{DEMO_LOGIN}/password", {"password": "Changé-2026"})
    assert (await login(browser, sim)).status == 200
    assert (await login(browser, sim, password="Changé-2026")).status == 302

    async with browser.post(f"{base}/_sim/faults", json={"kind": "nope"}) as response:
        assert response.status == 400
    async with browser.post(
        f"{base}/_sim/accounts/999/link", json={"login": DEMO_LOGIN}
    ) as response:
        assert response.status == 404


async def test_search_communes(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    await login(browser, sim)

    async def search(term: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await get_json(
            browser, sim, "/Usager/Profil/RechercherCommunes", {"term": term}
        )
        return found

    gueret = await search("gueret")
    assert gueret[0] == {"Id": 3, "Libelle": "GUÉRET", "CodePostal": "23000"}
    assert "SAINT-SULPICE-LE-GUÉRETOIS" in [c["Libelle"] for c in gueret]
    assert [c["Libelle"] for c in await search("benevent l'abbaye")] == ["BÉNÉVENT-L'ABBAYE"]
    assert [c["Libelle"] for c in await search("Évaux les")] == ["ÉVAUX-LES-BAINS"]
    assert {c["CodePostal"] for c in await search("230")} == {"23000"}
    assert len(await search("23")) == 20
    assert await search("g") == []
    assert await search("limoges") == []
    assert await search("87000") == []


async def test_association_wizard(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    await login(browser, sim)
    step1 = await get_text(browser, sim, "/Usager/Profil/AssocierCompte")
    assert 'action="/Usager/Profil/AssocierCompte/Commune"' in step1
    token = token_of(step1)

    async def post(path: str, **fields: str) -> str:
        data = {"__RequestVerificationToken": token, **fields}
        async with browser.post(
            f"{sim.base_url}/Usager/Profil/AssocierCompte/{path}", data=data
        ) as response:
            assert response.status == 200
            return await response.text()

    no_commune = await post("Cle", CleActivation=DEMO_LINKABLE_KEY)
    assert 'name="IdCommune"' in no_commune
    assert ERRORS not in no_commune

    for bad in (str(UNSERVED_COMMUNE_ID), "9999", "abc"):
        refused = await post("Commune", IdCommune=bad)
        assert "inconnue ou n&#x27;est pas desservie" in refused
        assert 'name="IdCommune"' in refused

    step2 = await post("Commune", IdCommune=str(DEMO_LINKABLE_COMMUNE_ID))
    assert 'name="CleActivation"' in step2
    assert "LA SOUTERRAINE" in step2
    for key, message in (
        ("ZZZZ-0000-ZZ", "La clé d&#x27;activation est invalide."),
        (OTHER_COMMUNE_KEY, "ne correspond pas à la commune sélectionnée."),
    ):
        text = await post("Cle", CleActivation=key)
        assert ERRORS in text
        assert message in text
        assert 'name="CleActivation"' in text

    async with browser.post(
        f"{sim.base_url}/Usager/Profil/AssocierCompte/Cle",
        data={"__RequestVerificationToken": "bad", "CleActivation": DEMO_LINKABLE_KEY},
    ) as response:
        assert response.status == 400

    done = await post("Cle", CleActivation=" " + DEMO_LINKABLE_KEY.lower().replace("-", " "))
    assert (
        '<div class="alert alert-success">Le nouveau compte est maintenant associé !</div>' in done
    )
    assert dropdown(done) == (
        [DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID, DEMO_LINKABLE_ACCOUNT_ID],
        DEMO_LINKABLE_ACCOUNT_ID,
    )
    rows = await get_json(browser, sim, COLLECTE, data_query(date(2026, 1, 1), TODAY))
    assert {row["LIBELLE_ADRESSE"] for row in rows["data"]} == {
        "3 PLACE DU MARCHÉ 23300 LA SOUTERRAINE"
    }

    # The wizard state is reset, and both keys are now "already used".
    assert 'name="IdCommune"' in await post("Cle", CleActivation=DEMO_LINKABLE_KEY)
    await post("Commune", IdCommune=str(DEMO_LINKABLE_COMMUNE_ID))
    assert "déjà été utilisée" in await post("Cle", CleActivation=DEMO_LINKABLE_KEY)
    await post("Commune", IdCommune="3")
    assert "déjà été utilisée" in await post("Cle", CleActivation=USED_KEY)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_hold_nothing_after_now(name: str) -> None:
    """A build at 00:20 holds no pickup of the morning's round yet: only what came before."""
    night = NOW.replace(hour=0, minute=20)
    early, noon = build_scenario(name, night), build_scenario(name, NOW)
    for account_id, account in early.accounts.items():
        later = noon.accounts[account_id]
        for rows, all_rows in (
            (account.pickups, later.pickups),
            (account.visits, later.visits),
            (account.drop_offs, later.drop_offs),
        ):
            assert all(row.when <= night for row in rows)
            assert rows == [row for row in all_rows if row.when <= night]
    assert any(
        pickup.when.date() == NOW.date() for a in noon.accounts.values() for pickup in a.pickups
    ) == (name in ("demo", "renamed", "large"))


def test_scenarios_are_deterministic() -> None:
    first = build_scenario("demo", NOW)
    again = build_scenario("demo", NOW)
    assert (
        first.accounts[DEMO_MAIN_ACCOUNT_ID].pickups == again.accounts[DEMO_MAIN_ACCOUNT_ID].pickups
    )
    pickups = first.accounts[DEMO_MAIN_ACCOUNT_ID].pickups
    assert pickups[0].when.date() >= date(2024, 1, 1)
    assert pickups[-1].when <= NOW

    empty = build_scenario("empty", NOW)
    assert [a.pickups for a in empty.linked_accounts("vide@example.fr")] == [[]]

    large = build_scenario("large", NOW)
    accounts = large.linked_accounts("grand@example.fr")
    assert [a.id for a in accounts] == list(LARGE_ACCOUNT_IDS)
    assert all(3 <= len(a.waste_types) <= 5 for a in accounts)
    assert min(a.pickups[0].when for a in accounts).year == 2022


async def test_hostile_faults(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    """The faults beyond the SPEC's table, switched on through the admin endpoint."""
    base = sim.base_url
    await login(browser, sim)

    async def fault(**body: Any) -> None:
        async with browser.post(f"{base}/_sim/faults", json=body) as response:
            assert response.status == 200, await response.text()

    await fault(kind="redirect", path=COLLECTE, count=1, status=307, location="http://x.test")
    async with browser.get(f"{base}{COLLECTE}?skip=5", allow_redirects=False) as response:
        assert response.status == 307
        assert response.headers["Location"] == f"http://x.test{COLLECTE}?skip=5"

    query = data_query(date(2000, 1, 1), TODAY, type_id=15) | {"skip": "3", "take": "2"}
    honoured = await get_json(browser, sim, COLLECTE, query)
    await fault(kind="ignore_skip", path=COLLECTE, count=1)
    ignored = await get_json(browser, sim, COLLECTE, query)
    first = await get_json(browser, sim, COLLECTE, query | {"skip": "0"})
    assert ignored["data"] == first["data"] != honoured["data"]
    assert ignored["totalCount"] > honoured["totalCount"]

    await fault(kind="huge_body", path="/Usager/Accueil", count=1, size=3 * 2**20)
    async with browser.get(f"{base}/Usager/Accueil") as response:
        assert response.content_length is None  # streamed, no length announced
        body = await response.text()
    assert len(body) > 3 * 2**20
    assert dropdown(body)[0] == [DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID]

    await fault(kind="deep_nesting", path="/Usager/Accueil", count=1, depth=50)
    assert (await get_text(browser, sim, "/Usager/Accueil")).startswith("<div>" * 50)

    await fault(kind="rate_limited", count=1, retry_after="inf")
    async with browser.get(f"{base}/Usager/Accueil") as response:
        assert (response.status, response.headers["Retry-After"]) == (429, "inf")

    await fault(kind="login_page", path="/Usager/Accueil", count=1)
    assert LOGIN_FORM in await get_text(browser, sim, "/Usager/Accueil")
    assert LOGIN_FORM not in await get_text(browser, sim, "/Usager/Accueil")  # session kept


async def test_renamed_portal_answers_only_to_its_own_names(
    browser: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """The `renamed` scenario serves and expects other names than the SPEC's."""
    sim = PortalSimulator.from_scenario("renamed", NOW)
    await sim.start(host="127.0.0.1", port=0)
    try:
        names = RENAMED_NAMES
        await login(browser, sim)
        home = await get_text(browser, sim, "/Usager/Accueil")
        assert f'<form action="{names.switch_path}" method="post"' in home
        assert f'id="{names.account_select_id}" name="{names.account_field}"' in home
        token = re.search(rf'name="{names.token_field}" type="hidden" value="([^"]+)"', home)
        assert token is not None
        assert "__RequestVerificationToken" not in home

        async def post(path: str, data: dict[str, str]) -> int:
            async with browser.post(
                f"{sim.base_url}{path}", data=data, allow_redirects=False
            ) as response:
                return response.status

        spec = {"__RequestVerificationToken": token.group(1), "IdCompte": "118871"}
        assert await post("/Usager/Profil/ChangerCompte", spec) == 404
        assert await post(names.switch_path, spec) == 400
        own = {names.token_field: token.group(1), names.account_field: "118871"}
        assert await post(names.switch_path, own) == 302

        step1 = await get_text(browser, sim, "/Usager/Profil/AssocierCompte")
        assert f'action="{names.wizard_commune_path}"' in step1
        assert f'{names.search_attribute}="{names.search_path}"' in step1
        commune = {names.token_field: token.group(1), names.commune_id_field: "14"}
        assert await post(names.wizard_commune_path, commune) == 400  # no step field
        assert await post(names.wizard_commune_path, {**commune, "Etape": "1"}) == 200
        assert await post("/Usager/Profil/AssocierCompte/Commune", commune) == 404
        async with browser.get(f"{sim.base_url}{names.search_path}?term=23300") as response:
            assert [c["Id"] for c in await response.json()] == [14]
    finally:
        await sim.stop()


async def test_publication_delay(sim: PortalSimulator, browser: aiohttp.ClientSession) -> None:
    """Once the portal has a time, a pickup shows only its publication delay after its own."""
    sim.state.now = datetime(2026, 11, 26, 9, 0)
    sim.state.publication_delay = timedelta(hours=2)
    sim.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 15, datetime(2026, 11, 26, 6, 30), 9.5)
    sim.state.add_pickup(DEMO_MAIN_ACCOUNT_ID, 16, datetime(2026, 11, 26, 7, 30), 1.5)
    await login(browser, sim)
    day = data_query(TODAY, TODAY, type_id=-1)
    rows = (await get_json(browser, sim, COLLECTE, day))["data"]
    assert [row["DATE_DONNEE"][11:16] for row in rows] == ["06:30"]
    sim.state.now = datetime(2026, 11, 26, 9, 30)
    rows = (await get_json(browser, sim, COLLECTE, day))["data"]
    assert [row["DATE_DONNEE"][11:16] for row in rows] == ["06:30", "07:30"]


def test_rhythm_days_move_on_public_holidays() -> None:
    """Fridays every other week; Christmas Friday 2026 moves to Saturday."""
    days = rhythm_days(date(2026, 12, 11), date(2027, 1, 8), 4, every=2)
    assert days == [date(2026, 12, 11), date(2026, 12, 26), date(2027, 1, 8)]
