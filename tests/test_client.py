"""The portal library against the portal simulator, over real loopback HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from email.utils import format_datetime
import time

import aiohttp
import pytest

from custom_components.ecocito.api import (
    Account,
    AuthenticationError,
    ClientClosedError,
    EcocitoClient,
    InvalidKeyError,
    InvalidPortalError,
    KeyAlreadyUsedError,
    KeyOtherCommuneError,
    LinkUnavailableError,
    MonthlyCount,
    PortalChangedError,
    PortalConnectionError,
    PortalUserInfoError,
    RateLimitedError,
    SessionRefusedError,
    UnknownAccountError,
    UnknownCommuneError,
    normalize_portal,
)
from custom_components.ecocito.api.parsing import PORTAL_TZ
from custom_components.ecocito.api.portal import UNNUMBERED_ACCOUNT_ID
from custom_components.ecocito.api.transport import DEFAULT_RETRY_AFTER, retry_after_seconds

from .helpers import this_year
from .portal import Fault, FaultKind, PortalSimulator
from .portal.app import MAINTENANCE_MESSAGE
from .portal.scenarios import (
    BORNES_ACCOUNT_ID,
    BORNES_LOGIN,
    BORNES_PASSWORD,
    BORNES_WASTE_TYPES,
    COMMUNE_GUERET,
    DEMO_ACCOUNT_IDS,
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_COMMUNE_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LINKABLE_LABEL,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
    OTHER_COMMUNE_KEY,
    PUBLIC_ACCOUNT_ID,
    PUBLIC_ADDRESS,
    PUBLIC_LOGIN,
    PUBLIC_PASSWORD,
    UNSERVED_COMMUNE_ID,
    USED_KEY,
)
from .portal.state import Account as SimAccount

LOGIN = "/Usager/Profil/Connexion"
HOME = "/Usager/Accueil"
SWITCH = "/Usager/Profil/ChangerCompte"
COLLECTION = "/Usager/Collecte"
PICKUPS = "/Usager/Collecte/GetCollecte"
VISITS = "/Usager/Apport/GetApport"
DROP_OFFS = "/Usager/Json/ObtenirStatistiqueApportPAVMensuel"
BORNES = DROP_OFFS
WIZARD = "/Usager/Profil/AssocierCompte"
SEARCH = "/Usager/Profil/RechercherCommunes"
DEMO_ACCOUNTS = (
    Account(id=DEMO_MAIN_ACCOUNT_ID, label=DEMO_MAIN_LABEL),
    Account(id=DEMO_SECOND_ACCOUNT_ID, label=DEMO_SECOND_LABEL),
)


def portal_pickups(
    sim: PortalSimulator, account_id: int, start: date, end: date
) -> list[tuple[datetime, int, float | None]]:
    """What the simulator holds for an account: (local time, type, weight), by time."""
    return sorted(
        (pickup.when, pickup.type_id, pickup.weight)
        for pickup in sim.state.get_account(account_id).pickups
        if start <= pickup.when.date() <= end
    )


def portal_visit_times(
    sim: PortalSimulator, account_id: int, start: date, end: date
) -> list[datetime]:
    return sorted(
        visit.when
        for visit in sim.state.get_account(account_id).visits
        if start <= visit.when.date() <= end
    )


# --- Addresses ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pilatrhodanien", "https://pilatrhodanien.ecocito.com"),
        (" 69 ", "https://69.ecocito.com"),
        ("CCAC.ecocito.com", "https://ccac.ecocito.com"),
        ("https://univalom.ecocito.com/Usager/Accueil?x=1#top", "https://univalom.ecocito.com"),
        ("https://ecocito.com/Usager/Profil/Connexion", "https://ecocito.com"),
        ("http://127.0.0.1:8099/", "http://127.0.0.1:8099"),
        ("localhost:8099", "http://localhost:8099"),
        ("localhost", "http://localhost"),
        ("https://portail.example.org:8443", "https://portail.example.org:8443"),
    ],
)
def test_normalize_portal(value: str, expected: str) -> None:
    assert normalize_portal(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "Not a valid portal address"),
        ("pilat rhodanien", "Not a valid portal address"),
        ("ftp://ccac.ecocito.com", "Not a valid portal address"),
        ("http://ccac.ecocito.com", "must be reached over https"),
        ("https://ccac.ecocito.com:99999", "Not a valid address"),
    ],
)
def test_normalize_portal_rejects(value: str, reason: str) -> None:
    with pytest.raises(InvalidPortalError, match=reason):
        normalize_portal(value)


@pytest.mark.parametrize(
    "value",
    [
        "https://jeanne:secret@ccac.ecocito.com",
        "jeanne:secret@ccac.ecocito.com",
        "https://:secret@ccac.ecocito.com",
        "https://jeanne@ccac.ecocito.com",
    ],
)
def test_normalize_portal_refuses_user_info_without_echoing_it(value: str) -> None:
    with pytest.raises(PortalUserInfoError) as err:
        normalize_portal(value)

    assert "secret" not in str(err.value)
    assert "jeanne" not in str(err.value)


def test_normalize_portal_does_not_echo_a_long_value() -> None:
    with pytest.raises(InvalidPortalError) as err:
        normalize_portal("x" * 10_000 + " y")

    assert len(str(err.value)) < 120


def test_portal_identity(http_session: aiohttp.ClientSession) -> None:
    client = EcocitoClient(http_session, "CCAC", "a@b.fr", "pw")
    local = EcocitoClient(http_session, "http://127.0.0.1:8099", "a@b.fr", "pw")

    assert client.base_url == "https://ccac.ecocito.com"
    assert client.portal_id == "ccac.ecocito.com"
    assert client.portal_name == "ccac"
    assert local.portal_id == "127.0.0.1:8099"
    assert local.portal_name == "127.0.0.1:8099"
    assert EcocitoClient(http_session, "https://ecocito.com", "a", "b").portal_name == "ecocito.com"


# --- Session ------------------------------------------------------------------


async def test_login_returns_linked_accounts(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    accounts = await client.login()

    assert accounts.accounts == DEMO_ACCOUNTS
    assert accounts.active_id == DEMO_MAIN_ACCOUNT_ID
    assert accounts.listed
    # The log-in post and its redirect to the home page, which lists the accounts.
    assert (simulator.count(LOGIN, "POST"), simulator.count(HOME), simulator.count()) == (1, 1, 2)


async def test_login_case_of_email_does_not_matter(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    client = EcocitoClient(
        http_session, simulator.base_url, DEMO_LOGIN.upper(), "Ecocito-Demo-2026"
    )

    assert (await client.login()).accounts == DEMO_ACCOUNTS


async def test_wrong_password_carries_portal_message(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    client = EcocitoClient(http_session, simulator.base_url, DEMO_LOGIN, "wrong")

    with pytest.raises(AuthenticationError) as err:
        await client.login()

    assert err.value.message == "Identifiant ou mot de passe incorrect."
    assert "wrong" not in str(err.value)


async def test_logout_ends_the_session(client: EcocitoClient, simulator: PortalSimulator) -> None:
    await client.login()

    await client.logout()

    assert simulator.count("/Usager/Profil/Deconnexion") == 1
    assert simulator.session_count() == 0
    # A logged-out client is closed: it never logs in again.
    with pytest.raises(ClientClosedError):
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())
    await client.logout()
    assert simulator.count(LOGIN, "POST") == 1
    assert simulator.count("/Usager/Profil/Deconnexion") == 1
    assert simulator.count(LOGIN, "GET") == 0  # the logout's redirect is not followed


@pytest.mark.parametrize("mode", ["page", "redirect"])
async def test_expired_session_logs_in_again_and_retries(
    client: EcocitoClient, simulator: PortalSimulator, mode: str
) -> None:
    simulator.expired_session_mode = mode
    await client.login()
    simulator.expire_sessions()

    data = await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())

    assert data.account == DEMO_ACCOUNTS[0]
    assert simulator.count(LOGIN, "POST") == 2


async def test_expiry_mid_fetch_switches_back_to_the_right_account(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """After a new login the portal is on the first account: the retry must switch again."""
    start, end = this_year()
    await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, start, end)
    # The second account's first pickup request meets an expired session.
    simulator.add_fault(Fault(kind=FaultKind.SESSION_EXPIRED, path=PICKUPS, count=1))

    second = await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, start, end)

    assert [(p.date.replace(tzinfo=None), p.waste_type_id, p.weight) for p in second.pickups] == (
        portal_pickups(simulator, DEMO_SECOND_ACCOUNT_ID, start, end)
    )
    assert simulator.count(LOGIN, "POST") == 2


@pytest.mark.parametrize("mode", ["page", "redirect"])
async def test_expiry_at_switch_and_in_wizard_is_survived(
    client: EcocitoClient, simulator: PortalSimulator, mode: str
) -> None:
    simulator.expired_session_mode = mode
    await client.login()
    simulator.add_fault(Fault(kind=FaultKind.SESSION_EXPIRED, path=SWITCH, count=1))
    types = (await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())).waste_types
    simulator.add_fault(
        Fault(kind=FaultKind.SESSION_EXPIRED, path="/Usager/Profil/AssocierCompte/Cle", count=1)
    )

    linked = await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)

    assert [t.id for t in types] == [15, 16]
    assert linked == Account(id=DEMO_LINKABLE_ACCOUNT_ID, label=DEMO_LINKABLE_LABEL)
    assert simulator.count(LOGIN, "POST") == 3


async def test_login_page_after_new_login_is_a_temporary_failure(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """Two login pages in a row, and no message from the portal: not a wrong password."""
    await client.login()
    simulator.add_fault(Fault(kind=FaultKind.SESSION_EXPIRED, path=COLLECTION))

    with pytest.raises(SessionRefusedError, match="right after logging in") as err:
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())
    assert not isinstance(err.value, AuthenticationError)
    assert isinstance(err.value, PortalConnectionError)
    assert simulator.count(LOGIN, "POST") == 2


@pytest.mark.parametrize("path", [HOME, LOGIN])
async def test_session_not_kept_after_login(
    client: EcocitoClient, simulator: PortalSimulator, path: str
) -> None:
    """The log-in is accepted but the next page is the login page again, without a message."""
    simulator.add_fault(Fault(kind=FaultKind.LOGIN_PAGE, path=path, count=1))

    with pytest.raises(SessionRefusedError):
        await client.login()

    assert (await client.login()).accounts == DEMO_ACCOUNTS  # the next try works


async def test_password_changed_on_the_portal(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    await client.login()
    simulator.state.set_password(DEMO_LOGIN, "Nouveau-Mot-De-Passe")

    with pytest.raises(AuthenticationError) as err:
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())

    assert err.value.message == "Identifiant ou mot de passe incorrect."


# --- Account data ---------------------------------------------------------------


async def test_full_fetch_of_every_account(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    start, end = this_year()

    accounts = await client.login()
    fetched = [await client.get_account_data(a.id, start, end) for a in accounts.accounts]

    for data, account in zip(fetched, DEMO_ACCOUNTS, strict=True):
        assert data.account == account
        portal = simulator.state.get_account(account.id)
        assert [(t.id, t.label) for t in data.waste_types] == list(portal.waste_types.items())
        assert [(p.date.replace(tzinfo=None), p.waste_type_id, p.weight) for p in data.pickups] == (
            portal_pickups(simulator, account.id, start, end)
        )
        assert all(p.date.tzinfo is PORTAL_TZ for p in data.pickups)
        assert [v.date.replace(tzinfo=None) for v in data.visits] == portal_visit_times(
            simulator, account.id, start, end
        )
        assert client.typed_rows
        assert data.foreign_rows == 0
    main = fetched[0]
    assert {p.bin_number for p in main.pickups if p.waste_type_id == 15} == {
        simulator.state.get_account(DEMO_MAIN_ACCOUNT_ID).bin_number(15)
    }
    assert {p.address for p in main.pickups} == {"12 RUE DES LILAS 23000 GUERET"}
    # Log-in + account list; then the active account: its collection page, one request
    # for the pickups of every type (the rows say their type), one for the visits; the
    # other account: the same after its switch.
    assert simulator.count() == 2 + 3 + (1 + 3)
    pickups = [r for r in simulator.requests if r.path == PICKUPS]
    assert [r.query["idMatiere"] for r in pickups] == ["-1", "-1"]
    assert simulator.count(SWITCH) == 1


async def test_weights_null_zero_and_decimal_comma(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    day = datetime.now(PORTAL_TZ).date() - timedelta(days=1)
    for hour, weight, as_text in ((1, None, False), (2, 0.0, False), (3, 12.5, True)):
        simulator.state.add_pickup(
            DEMO_MAIN_ACCOUNT_ID,
            16,
            datetime(day.year, day.month, day.day, hour),
            weight,
            weight_text=as_text,
        )

    pickups = (await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, day, day)).pickups

    assert [(p.date.hour, p.weight) for p in pickups if p.date.hour in (1, 2, 3)] == [
        (1, None),
        (2, 0.0),
        (3, 12.5),
    ]


async def test_pagination(http_session: aiohttp.ClientSession, simulator: PortalSimulator) -> None:
    client = EcocitoClient(
        http_session, simulator.base_url, DEMO_LOGIN, "Ecocito-Demo-2026", page_size=50
    )
    simulator.max_take = 20
    start = date(datetime.now(PORTAL_TZ).year - 2, 1, 1)
    end = datetime.now(PORTAL_TZ).date()
    expected = portal_pickups(simulator, DEMO_MAIN_ACCOUNT_ID, start, end)
    await client.login()
    simulator.reset_requests()

    pickups = (await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, start, end)).pickups

    assert [(p.date.replace(tzinfo=None), p.waste_type_id, p.weight) for p in pickups] == expected
    assert len(expected) > 100
    assert simulator.count(PICKUPS) == -(-len(expected) // 20)
    skips = [int(r.query["skip"]) for r in simulator.requests if r.path == PICKUPS]
    assert skips == list(range(0, len(expected), 20))


async def test_visits(client: EcocitoClient, simulator: PortalSimulator) -> None:
    start = date(datetime.now(PORTAL_TZ).year - 1, 1, 1)
    end = datetime.now(PORTAL_TZ).date()

    visits = (await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, start, end)).visits

    assert [v.date.replace(tzinfo=None) for v in visits] == portal_visit_times(
        simulator, DEMO_MAIN_ACCOUNT_ID, start, end
    )
    assert all(v.site for v in visits)


async def test_unlinked_account(client: EcocitoClient, simulator: PortalSimulator) -> None:
    await client.login()
    simulator.state.unlink(DEMO_LOGIN, DEMO_SECOND_ACCOUNT_ID)

    with pytest.raises(UnknownAccountError) as err:
        await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())

    assert err.value.account_id == DEMO_SECOND_ACCOUNT_ID
    assert err.value.message == "Ce compte n'est pas associé à votre identifiant."
    assert (await client.login()).accounts == DEMO_ACCOUNTS[:1]


# --- Borne drop-offs ---------------------------------------------------------------


def portal_drop_offs(
    sim: PortalSimulator, account_id: int, type_id: int, year: int
) -> tuple[MonthlyCount, ...]:
    """What the simulator holds: the year's twelve months, counted from its drop-offs."""
    months = [
        drop_off.when.month
        for drop_off in sim.state.get_account(account_id).drop_offs
        if drop_off.type_id == type_id and drop_off.when.year == year
    ]
    return tuple(
        MonthlyCount(year=year, month=month, count=months.count(month)) for month in range(1, 13)
    )


@pytest.mark.parametrize("scenario", ["bornes"])
async def test_account_data_with_borne_years(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """A flat with no bin: per year one request for all types, then one per type.

    Its statistics leave out the months without openings: they count 0.
    """
    client = EcocitoClient(http_session, simulator.base_url, BORNES_LOGIN, BORNES_PASSWORD)
    this = datetime.now(PORTAL_TZ).year
    await client.login()
    simulator.reset_requests()

    data = await client.get_account_data(
        BORNES_ACCOUNT_ID,
        date(this - 1, 1, 1),
        datetime.now(PORTAL_TZ).date(),
        borne_years=[this, this - 1],
    )

    assert (data.pickups, data.visits, data.problems) == ((), (), {})
    assert data.borne_drop_offs == {
        type_id: portal_drop_offs(simulator, BORNES_ACCOUNT_ID, type_id, this - 1)
        + portal_drop_offs(simulator, BORNES_ACCOUNT_ID, type_id, this)
        for type_id in BORNES_WASTE_TYPES
    }
    last_year = data.borne_drop_offs[1][:12]
    assert [month.count for month in last_year if month.month != 8] == [
        month.count for month in last_year if month.count
    ]  # every month but August (away) has openings
    assert last_year[7] == MonthlyCount(year=this - 1, month=8, count=0)
    glass = data.borne_drop_offs[5]
    assert all(month.count == 0 for month in glass)
    stats = [record for record in simulator.requests if record.path == DROP_OFFS]
    assert [(r.query["dateDebut"], r.query["dateFin"], r.query["idMatiere"]) for r in stats] == [
        (f"{year}-01-01T00:00:00.000Z", f"{year}-12-31T23:59:59.999Z", type_id)
        for year in (this - 1, this)
        for type_id in ("-1", "1", "2", "5")
    ]
    assert {record.account_id for record in stats} == {BORNES_ACCOUNT_ID}
    assert simulator.count(SWITCH, "POST") == 0  # its only account is the active one


async def test_account_data_without_bornes_costs_one_request_a_year(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """A year without any opening is not read type by type; no year at all, no request.

    The demo lists months without openings at 0; an account without a borne answers [].
    """
    this = datetime.now(PORTAL_TZ).year
    start, end = this_year()
    zeros = tuple(MonthlyCount(year=this - 3, month=m, count=0) for m in range(1, 13))

    plain = await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, start, end)
    assert plain.borne_drop_offs is None
    assert simulator.count(DROP_OFFS) == 0
    main = await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, start, end, borne_years=[this])
    assert main.borne_drop_offs == {}
    assert simulator.state.get_account(DEMO_MAIN_ACCOUNT_ID).drop_offs == []
    assert simulator.count(DROP_OFFS) == 1
    simulator.reset_requests()
    second = await client.get_account_data(
        DEMO_SECOND_ACCOUNT_ID, start, end, borne_years=[this - 3, this]
    )

    assert second.borne_drop_offs == {
        type_id: zeros + portal_drop_offs(simulator, DEMO_SECOND_ACCOUNT_ID, type_id, this)
        for type_id in (15, 16)
    }
    assert any(month.count for month in second.borne_drop_offs[16])
    assert not any(month.count for month in second.borne_drop_offs[15])
    assert [
        (record.query["dateDebut"][:4], record.query["idMatiere"])
        for record in simulator.requests
        if record.path == DROP_OFFS
    ] == [(str(this - 3), "-1"), (str(this), "-1"), (str(this), "15"), (str(this), "16")]


async def test_borne_drop_offs_after_an_expired_session(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """The usual request path: a new login, the switch again, then the retry."""
    this = datetime.now(PORTAL_TZ).year
    start, end = this_year()
    await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, start, end, borne_years=[this])
    simulator.add_fault(Fault(kind=FaultKind.SESSION_EXPIRED, path=DROP_OFFS, count=1))

    second = await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, start, end, borne_years=[this])

    assert second.borne_drop_offs is not None
    assert second.borne_drop_offs[16] == portal_drop_offs(
        simulator, DEMO_SECOND_ACCOUNT_ID, 16, this
    )
    assert simulator.count(LOGIN, "POST") == 2
    answered = [r for r in simulator.requests if r.path == DROP_OFFS and r.status == 200]
    assert answered[-1].account_id == DEMO_SECOND_ACCOUNT_ID


@pytest.mark.parametrize(
    ("fault", "problem", "fingerprinted"),
    [
        (Fault(FaultKind.GARBAGE), f"{DROP_OFFS} answered malformed JSON", True),
        (Fault(FaultKind.HTML_INSTEAD_OF_JSON), f"{DROP_OFFS} answered text/html, not JSON", True),
        (Fault(FaultKind.MARKUP_CHANGED), f"{DROP_OFFS}: the answer is not a list", True),
        # An error page: a temporary failure, whose page is kept for the diagnostics.
        (Fault(FaultKind.SERVER_ERROR), f"GET {DROP_OFFS}: HTTP 500: 500 - Erreur serveur", True),
        (Fault(FaultKind.PORTAL_MESSAGE), f"{DROP_OFFS}: {MAINTENANCE_MESSAGE}", False),
    ],
    ids=["garbage", "html", "markup", "server_error", "portal_message"],
)
async def test_a_failing_borne_read_costs_only_the_bornes(
    client: EcocitoClient,
    simulator: PortalSimulator,
    fault: Fault,
    problem: str,
    fingerprinted: bool,
) -> None:
    """The borne statistics are an optional part: their failure is told, never raised."""
    this = datetime.now(PORTAL_TZ).year
    start, end = this_year()
    await client.login()
    simulator.add_fault(replace(fault, path=DROP_OFFS, count=1))

    failed = await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, start, end, borne_years=[this])
    again = await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, start, end, borne_years=[this])

    assert failed.borne_drop_offs is None
    assert failed.problems == {"borne_statistics": problem}
    assert failed.pickups == again.pickups
    assert failed.pickups
    assert [fp["request"] for fp in client.portal_fingerprints] == (
        [f"GET {DROP_OFFS}"] if fingerprinted else []
    )
    assert again.problems == {}
    assert again.borne_drop_offs is not None
    assert again.borne_drop_offs[16] == portal_drop_offs(
        simulator, DEMO_SECOND_ACCOUNT_ID, 16, this
    )


# --- Faults ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error(client: EcocitoClient, simulator: PortalSimulator, status: int) -> None:
    await client.login()
    simulator.add_fault(Fault(kind=FaultKind.SERVER_ERROR, status=status, path=PICKUPS, count=1))

    with pytest.raises(PortalConnectionError, match=f"HTTP {status}"):
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())
    data = await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())

    assert data.pickups


async def test_slow_portal_times_out(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    client = EcocitoClient(
        http_session, simulator.base_url, DEMO_LOGIN, "Ecocito-Demo-2026", request_timeout=0.2
    )
    simulator.add_fault(Fault(kind=FaultKind.SLOW, delay=1.0, count=1))

    with pytest.raises(PortalConnectionError, match="no answer in 0 s"):
        await client.login()
    assert (await client.login()).accounts == DEMO_ACCOUNTS


async def test_disconnect(client: EcocitoClient, simulator: PortalSimulator) -> None:
    simulator.add_fault(Fault(kind=FaultKind.DISCONNECT, count=1))

    with pytest.raises(PortalConnectionError, match="POST /Usager/Profil/Connexion"):
        await client.login()


async def test_portal_down(http_session: aiohttp.ClientSession, simulator: PortalSimulator) -> None:
    base_url = simulator.base_url
    await simulator.stop()
    client = EcocitoClient(http_session, base_url, DEMO_LOGIN, "Ecocito-Demo-2026")

    with pytest.raises(PortalConnectionError):
        await client.login()


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        (FaultKind.GARBAGE, "/Usager/Collecte/GetCollecte answered malformed JSON"),
        (
            FaultKind.HTML_INSTEAD_OF_JSON,
            "/Usager/Collecte/GetCollecte answered text/html, not JSON",
        ),
        (FaultKind.MARKUP_CHANGED, "/Usager/Collecte/GetCollecte: no 'data' list in the answer"),
    ],
)
async def test_unexpected_json(
    client: EcocitoClient, simulator: PortalSimulator, kind: FaultKind, what: str
) -> None:
    await client.login()
    simulator.add_fault(Fault(kind=kind, path=PICKUPS, count=1))

    with pytest.raises(PortalChangedError) as err:
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())

    assert err.value.what == what


async def test_a_home_page_without_the_drop_down_is_one_account(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """The drop-down is modelled: without it, the login is the account the page names."""
    simulator.add_fault(Fault(kind=FaultKind.MARKUP_CHANGED, path=HOME))

    accounts = await client.login()

    assert accounts.accounts == DEMO_ACCOUNTS[:1]
    assert not accounts.listed
    with pytest.raises(UnknownAccountError):
        await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())
    assert simulator.count(SWITCH) == 0  # one account: nothing to switch to


@pytest.mark.parametrize("kind", [FaultKind.MARKUP_CHANGED, FaultKind.GARBAGE])
async def test_waste_type_select_missing(
    client: EcocitoClient, simulator: PortalSimulator, kind: FaultKind
) -> None:
    """The collection page lost its type list (a known part): the portal changed."""
    await client.login()
    simulator.add_fault(Fault(kind=kind, path=COLLECTION))

    with pytest.raises(PortalChangedError) as err:
        await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())

    assert err.value.what == "waste type list (select #Filtres_IdMatiere) is missing"


async def test_garbled_switch_answer_is_not_an_unlinked_account(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """A switch that does not take must not read (or drop) the wrong account."""
    await client.login()
    simulator.add_fault(Fault(kind=FaultKind.GARBAGE, path=SWITCH, count=1))

    with pytest.raises(PortalChangedError) as err:
        await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())

    assert err.value.what == f"the portal did not switch to account {DEMO_SECOND_ACCOUNT_ID}"
    assert (
        await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())
    ).account == DEMO_ACCOUNTS[1]


async def test_stale_form_token(client: EcocitoClient, simulator: PortalSimulator) -> None:
    await client.login()
    form = client._session.switch_form
    assert form is not None
    client._session.switch_form = replace(form, fields={"__RequestVerificationToken": "stale"})

    with pytest.raises(PortalChangedError) as err:
        await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, *this_year())

    assert err.value.what == "POST /Usager/Profil/ChangerCompte answered HTTP 400"
    assert err.value.fingerprint is not None
    assert err.value.fingerprint["request"] == "POST /Usager/Profil/ChangerCompte"
    assert err.value.fingerprint["status"] == 400
    assert client.portal_fingerprints == [err.value.fingerprint]


async def test_rate_limited_honours_retry_after(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    simulator.add_fault(Fault(kind=FaultKind.RATE_LIMITED, retry_after=120, count=1))

    with pytest.raises(RateLimitedError) as first:
        await client.login()
    with pytest.raises(RateLimitedError) as second:
        await client.login()

    assert first.value.retry_after == 120
    assert 119 < second.value.retry_after <= 120
    assert simulator.count() == 1  # the second call never reached the portal


def test_retry_after_header_forms() -> None:
    in_a_minute = format_datetime(
        datetime.fromtimestamp(time.time() + 60).astimezone(), usegmt=False
    )

    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("-5") == 0
    assert 55 <= retry_after_seconds(in_a_minute) <= 60
    assert retry_after_seconds(None) == DEFAULT_RETRY_AFTER
    assert retry_after_seconds("soon") == DEFAULT_RETRY_AFTER


# --- The association wizard -----------------------------------------------------


async def test_search_communes(client: EcocitoClient, simulator: PortalSimulator) -> None:
    by_postal_code = await client.search_communes("23000")
    by_name = await client.search_communes("  la   souterraine ")
    accents_ignored = await client.search_communes("gueret")
    too_short = await client.search_communes("g")
    too_long = await client.search_communes("Z" * 10_000)

    assert {c.postal_code for c in by_postal_code} == {"23000"}
    assert len(by_postal_code) > 1
    assert [(c.id, c.display_name) for c in by_name] == [
        (DEMO_LINKABLE_COMMUNE_ID, "LA SOUTERRAINE (23300)")
    ]
    assert "GUÉRET" in {c.name for c in accents_ignored}
    assert too_short == ()
    assert too_long == ()
    assert simulator.count("/Usager/Profil/RechercherCommunes") == 3


async def test_link_account(client: EcocitoClient, simulator: PortalSimulator) -> None:
    linked = await client.link_account(DEMO_LINKABLE_COMMUNE_ID, f" {DEMO_LINKABLE_KEY.lower()} ")

    assert linked == Account(id=DEMO_LINKABLE_ACCOUNT_ID, label=DEMO_LINKABLE_LABEL)
    assert [a.id for a in (await client.login()).accounts] == [
        *DEMO_ACCOUNT_IDS,
        DEMO_LINKABLE_ACCOUNT_ID,
    ]
    assert DEMO_LINKABLE_ACCOUNT_ID in simulator.state.get_login(DEMO_LOGIN).account_ids
    # The key is used now.
    with pytest.raises(KeyAlreadyUsedError):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)


@pytest.mark.parametrize(
    ("commune_id", "key", "error", "message"),
    [
        (99999, DEMO_LINKABLE_KEY, UnknownCommuneError, "La commune sélectionnée est inconnue"),
        (UNSERVED_COMMUNE_ID, DEMO_LINKABLE_KEY, UnknownCommuneError, "pas desservie"),
        (
            DEMO_LINKABLE_COMMUNE_ID,
            "ABCD-0000-ZZ",
            InvalidKeyError,
            "La clé d'activation est invalide.",
        ),
        (DEMO_LINKABLE_COMMUNE_ID, OTHER_COMMUNE_KEY, KeyOtherCommuneError, "ne correspond pas"),
        (3, USED_KEY, KeyAlreadyUsedError, "a déjà été utilisée"),
    ],
)
async def test_link_rejections_carry_portal_message(
    client: EcocitoClient,
    simulator: PortalSimulator,
    commune_id: int,
    key: str,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error) as err:
        await client.link_account(commune_id, key)

    assert message in str(err.value)
    assert len((await client.login()).accounts) == 2


async def test_link_confirmation_missing(client: EcocitoClient, simulator: PortalSimulator) -> None:
    simulator.add_fault(Fault(kind=FaultKind.GARBAGE, path="/Usager/Profil/AssocierCompte/Cle"))

    with pytest.raises(PortalChangedError, match="without a confirmation"):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)


async def test_link_key_step_missing(client: EcocitoClient, simulator: PortalSimulator) -> None:
    simulator.add_fault(Fault(kind=FaultKind.GARBAGE, path="/Usager/Profil/AssocierCompte/Commune"))

    with pytest.raises(PortalChangedError, match="CleActivation"):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)


# --- The portal as its public clients see it: one account, no drop-down, no wizard --------


def public_client(http_session: aiohttp.ClientSession, simulator: PortalSimulator) -> EcocitoClient:
    return EcocitoClient(
        http_session, simulator.base_url, PUBLIC_LOGIN, PUBLIC_PASSWORD, request_timeout=2
    )


@pytest.mark.parametrize("scenario", ["public"])
async def test_one_account_keeps_the_number_it_is_known_by(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """Pages that never name the account: it goes by the number given, named by its rows."""
    client = public_client(http_session, simulator)
    client.unnumbered_id = PUBLIC_ACCOUNT_ID
    assert client.unnumbered_id == PUBLIC_ACCOUNT_ID
    login = await client.login()
    assert login.accounts == (Account(id=PUBLIC_ACCOUNT_ID, label=""),)
    assert not login.listed
    data = await client.get_account_data(PUBLIC_ACCOUNT_ID, *this_year())
    assert data.account == Account(id=PUBLIC_ACCOUNT_ID, label=PUBLIC_ADDRESS)
    assert client.typed_rows
    # A new login remembers the label its rows gave.
    assert (await client.login()).accounts[0].label == PUBLIC_ADDRESS
    assert simulator.count(SWITCH) == 0


@pytest.mark.parametrize("scenario", ["public"])
async def test_no_switch_is_posted_to_a_one_account_login(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """The session lost mid-read, the new login's one account is another: refused, unposted."""
    client = public_client(http_session, simulator)
    assert (await client.login()).accounts[0].id == UNNUMBERED_ACCOUNT_ID
    # The portal now names its account, and the session expires between two requests.
    simulator.state.style = replace(simulator.state.style, names_account=True)
    simulator.add_fault(Fault(FaultKind.SESSION_EXPIRED, "/Usager/Collecte/GetCollecte", count=1))
    with pytest.raises(UnknownAccountError):
        await client.get_account_data(UNNUMBERED_ACCOUNT_ID, *this_year())
    assert simulator.count(SWITCH) == 0
    assert (await client.login()).accounts[0].id == PUBLIC_ACCOUNT_ID


@pytest.mark.parametrize("scenario", ["public"])
async def test_linking_without_the_wizard_is_unavailable(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    client = public_client(http_session, simulator)
    with pytest.raises(LinkUnavailableError, match="no association wizard"):
        await client.open_wizard()
    with pytest.raises(LinkUnavailableError, match="no association wizard"):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)
    with pytest.raises(LinkUnavailableError, match="no association wizard"):
        await client.search_communes("23300")


async def test_a_wizard_without_commune_search_or_step_is_unavailable(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """The wizard's page shown, its search missing (404) or its commune step not there."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, SEARCH, count=1, status=404))
    with pytest.raises(LinkUnavailableError, match="no commune search"):
        await client.search_communes("23300")
    assert [c.id for c in await client.search_communes("23300")] == [DEMO_LINKABLE_COMMUNE_ID]

    simulator.add_fault(Fault(FaultKind.GARBAGE, WIZARD, count=1))
    with pytest.raises(LinkUnavailableError, match="no commune step"):
        await client.link_account(DEMO_LINKABLE_COMMUNE_ID, DEMO_LINKABLE_KEY)
    assert DEMO_LINKABLE_ACCOUNT_ID not in simulator.state.get_login(DEMO_LOGIN).account_ids


@pytest.mark.parametrize("scenario", ["public"])
async def test_a_link_on_a_portal_without_drop_down_is_not_shown(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """The wizard links, but no drop-down shows the new account: a change, not a guess."""
    simulator.state.style = replace(simulator.state.style, wizard=True)
    simulator.state.add_account(
        SimAccount(
            500002, "N° 500002 - 2 RUE DU MOULIN 23000 GUERET", COMMUNE_GUERET, "GUER-5002-PB", {}
        )
    )
    client = public_client(http_session, simulator)
    with pytest.raises(PortalChangedError, match="not in the account drop-down"):
        await client.link_account(COMMUNE_GUERET, "GUER-5002-PB")
    assert 500002 in simulator.state.get_login(PUBLIC_LOGIN).account_ids


async def test_the_session_moved_to_another_account_is_switched_back(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """The portal put the session on another account: switched back before any read."""
    await client.login()
    for session in simulator._sessions.values():
        session.active_id = DEMO_SECOND_ACCOUNT_ID
    simulator.reset_requests()
    data = await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())
    assert data.account.id == DEMO_MAIN_ACCOUNT_ID
    assert simulator.count(SWITCH, "POST") == 1
    reads = {r.account_id for r in simulator.requests if r.path.startswith("/Usager/Collecte/")}
    assert reads == {DEMO_MAIN_ACCOUNT_ID}


async def test_a_look_switches_without_a_page_and_the_read_after_it_checks(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """A look reads only a count: its switch is not checked by a page (one request
    saved). The read of rows that follows checks it first, and switches back when the
    portal left the session on another account."""
    start, today = this_year()
    second = await client.get_account_data(DEMO_SECOND_ACCOUNT_ID, start, today)
    await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, start, today)
    assert client.active_account == DEMO_MAIN_ACCOUNT_ID
    simulator.reset_requests()
    total = await client.count_pickups(DEMO_SECOND_ACCOUNT_ID, start, today)
    assert total == len(portal_pickups(simulator, DEMO_SECOND_ACCOUNT_ID, start, today))
    assert [(r.method, r.path) for r in simulator.requests] == [("POST", SWITCH), ("GET", PICKUPS)]
    assert client.active_account == DEMO_SECOND_ACCOUNT_ID
    for session in simulator._sessions.values():
        session.active_id = DEMO_MAIN_ACCOUNT_ID  # the switch was lost after all
    simulator.reset_requests()
    tables = await client.get_pickups(DEMO_SECOND_ACCOUNT_ID, second.waste_types, start, today)
    assert [(r.method, r.path) for r in simulator.requests][:3] == [
        ("GET", COLLECTION),
        ("POST", SWITCH),
        ("GET", COLLECTION),
    ]
    assert {r.account_id for r in simulator.requests if r.path == PICKUPS} == {
        DEMO_SECOND_ACCOUNT_ID
    }
    assert tables == {
        t.id: tuple(p for p in second.pickups if p.waste_type_id == t.id)
        for t in second.waste_types
    }


async def test_an_account_the_collection_page_leaves_out_is_unknown(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    await client.login()
    simulator.add_fault(
        Fault(
            FaultKind.ACCOUNT_HIDDEN, "/Usager/Collecte", count=1, account_id=DEMO_MAIN_ACCOUNT_ID
        )
    )
    with pytest.raises(UnknownAccountError):
        await client.get_account_data(DEMO_MAIN_ACCOUNT_ID, *this_year())


@pytest.mark.parametrize("scenario", ["public"])
async def test_a_rate_limit_on_the_borne_statistics_stops_the_read(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """An optional part fails alone, except for what stops every request: a back-off."""
    client = public_client(http_session, simulator)
    await client.login()
    simulator.add_fault(Fault(FaultKind.RATE_LIMITED, BORNES, count=1, retry_after=30))
    with pytest.raises(RateLimitedError):
        await client.get_account_data(UNNUMBERED_ACCOUNT_ID, *this_year(), borne_years=[2026])


@pytest.mark.parametrize("scenario", ["public"])
async def test_rows_read_per_type_where_they_carry_none(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """Rows without ID_MATIERE: one read per waste type, each row under the type asked."""
    simulator.state.style = replace(simulator.state.style, typed_rows=False)
    client = public_client(http_session, simulator)
    await client.login()
    simulator.reset_requests()
    data = await client.get_account_data(UNNUMBERED_ACCOUNT_ID, *this_year())
    assert client.typed_rows is False
    asked = sorted(
        r.query["idMatiere"] for r in simulator.requests if r.path == "/Usager/Collecte/GetCollecte"
    )
    assert asked == ["-1", "1", "2", "5"]  # the first read shows untyped rows
    account = simulator.state.get_account(PUBLIC_ACCOUNT_ID)
    start, end = this_year()
    for type_id in (1, 2, 5):
        expected = sum(
            1 for p in account.pickups if p.type_id == type_id and start <= p.when.date() <= end
        )
        assert sum(1 for p in data.pickups if p.waste_type_id == type_id) == expected


@pytest.mark.parametrize("scenario", ["public"])
async def test_a_portal_ignoring_id_matiere_counts_no_typed_row_twice(
    http_session: aiohttp.ClientSession, simulator: PortalSimulator
) -> None:
    """One row without its type: read per type; the portal ignores ``idMatiere``, so each
    read brings every row, and a typed row is counted under its own type only.
    """
    simulator.state.style = replace(simulator.state.style, filters_types=False)
    start, end = this_year()
    untyped = simulator.state.add_pickup(
        PUBLIC_ACCOUNT_ID, 2, datetime.combine(end, datetime.min.time()), 3.0
    )
    untyped.untyped = True
    client = public_client(http_session, simulator)
    await client.login()
    data = await client.get_account_data(UNNUMBERED_ACCOUNT_ID, start, end)
    assert client.typed_rows is False
    typed = [
        p
        for p in simulator.state.get_account(PUBLIC_ACCOUNT_ID).pickups
        if not p.untyped and start <= p.when.date() <= end
    ]
    types = (1, 2, 5)
    for type_id in types:
        own = sum(1 for p in typed if p.type_id == type_id)
        # Its own typed rows, and the one row that says no type (under every type asked).
        assert sum(1 for p in data.pickups if p.waste_type_id == type_id) == own + 1
    assert data.foreign_rows == len(typed) * (len(types) - 1)
