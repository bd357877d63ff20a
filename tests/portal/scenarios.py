"""Deterministic portal contents: `demo`, `empty`, `large`, `renamed` and `bornes`.

Every scenario is built from a seeded `random.Random` with dates relative to
`now` (default: now in Europe/Paris), so two builds with the same `now` are identical.
Nothing is ever dated after `now`: a pickup of today's round before its hour, a visit
of this afternoon are left out, as the live portal cannot know them yet. The random
draws do not depend on `now`'s hour, so every build of one day holds the same rows up
to that hour.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
import random
from typing import TYPE_CHECKING
import unicodedata

from .state import (
    PARIS,
    Account,
    Commune,
    PortalNames,
    PortalState,
    PortalStyle,
    to_local_naive,
)

if TYPE_CHECKING:
    from collections.abc import Callable

# -- communes (Creuse, served by the simulated portal, plus one that is not) ----

COMMUNES: tuple[tuple[int, str, str, bool], ...] = (
    (1, "AHUN", "23150", True),
    (2, "AUBUSSON", "23200", True),
    (3, "GUÉRET", "23000", True),
    (4, "AUZANCES", "23700", True),
    (5, "BÉNÉVENT-L'ABBAYE", "23210", True),
    (6, "BOURGANEUF", "23400", True),
    (7, "BOUSSAC", "23600", True),
    (8, "CHAMBON-SUR-VOUEIZE", "23170", True),
    (9, "CROCQ", "23260", True),
    (10, "DUN-LE-PALESTEL", "23800", True),
    (11, "ÉVAUX-LES-BAINS", "23110", True),
    (12, "FELLETIN", "23500", True),
    (13, "GOUZON", "23230", True),
    (14, "LA SOUTERRAINE", "23300", True),
    (15, "SAINTE-FEYRE", "23000", True),
    (16, "SAINT-SULPICE-LE-GUÉRETOIS", "23000", True),
    (17, "SAINT-VAURY", "23320", True),
    (18, "SAINT-FIEL", "23000", True),
    (19, "SAINT-LAURENT", "23000", True),
    (20, "SAINT-CHRISTOPHE", "23000", True),
    (21, "SAVENNES", "23000", True),
    (22, "AJAIN", "23380", True),
    (23, "GLÉNIC", "23380", True),
    (24, "JARNAGES", "23140", True),
    (25, "PARSAC-RIMONDEIX", "23140", True),
    (26, "CHÉNÉRAILLES", "23130", True),
    (27, "BONNAT", "23220", True),
    (28, "GENOUILLAC", "23350", True),
    (29, "CHÂTELUS-MALVALEIX", "23270", True),
    (30, "LE GRAND-BOURG", "23240", True),
    (31, "SAINT-ÉTIENNE-DE-FURSAC", "23290", True),
    (32, "FURSAC", "23290", True),
    (33, "AZERABLES", "23160", True),
    (34, "CROZANT", "23160", True),
    (35, "LA COURTINE", "23100", True),
    (36, "ROYÈRE-DE-VASSIVIÈRE", "23460", True),
    (37, "PONTARION", "23250", True),
    (38, "VALLIÈRE", "23120", True),
    (39, "MAINSAT", "23700", True),
    (40, "LIMOGES", "87000", False),
)
COMMUNE_GUERET = 3
COMMUNE_AUBUSSON = 2
COMMUNE_LA_SOUTERRAINE = 14
COMMUNE_BOURGANEUF = 6
COMMUNE_SAINT_VAURY = 17
UNSERVED_COMMUNE_ID = 40  # LIMOGES: known, but not served by this portal.

# -- demo -----------------------------------------------------------------------

DEMO_LOGIN = "jeanne.dupont@example.fr"
DEMO_PASSWORD = "Ecocito-Demo-2026"
DEMO_MAIN_ACCOUNT_ID = 104233
DEMO_MAIN_LABEL = "N° 104233 - 12 RUE DES LILAS 23000 GUERET"
DEMO_SECOND_ACCOUNT_ID = 118871
DEMO_SECOND_LABEL = "N° 118871 - LE BOURG 23200 AUBUSSON"
DEMO_WORKSHOP_ADDRESS = "ZA DU MONTEIL 23200 AUBUSSON"
"""The second account's other site, a workshop: its rows carry this address (two places)."""
DEMO_WORKSHOP_SINCE_WEEKS = 20
"""The workshop's rounds (residual waste on Wednesdays, packaging every other Thursday)
began this many weeks ago."""
DEMO_ACCOUNT_IDS = (DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID)
DEMO_WASTE_TYPES = {15: "Ordures ménagères", 16: "Emballages", 17: "Biodéchets"}
DEMO_MAIN_KEY = "GUER-4233-LL"
DEMO_SECOND_KEY = "AUBU-8871-BG"

DEMO_LINKABLE_ACCOUNT_ID = 120456
DEMO_LINKABLE_LABEL = "N° 120456 - 3 PLACE DU MARCHÉ 23300 LA SOUTERRAINE"
DEMO_LINKABLE_KEY = "LSOU-4827-KQ"
DEMO_LINKABLE_COMMUNE = "LA SOUTERRAINE"
DEMO_LINKABLE_COMMUNE_ID = COMMUNE_LA_SOUTERRAINE
DEMO_LINKABLE_POSTAL_CODE = "23300"

OTHER_LOGIN = "paul.martin@example.fr"
OTHER_PASSWORD = "Autre-Foyer-2026"
USED_KEY_ACCOUNT_ID = 130001  # linked to OTHER_LOGIN: its key is "already used".
USED_KEY = "GUER-1111-AA"
USED_KEY_COMMUNE_ID = COMMUNE_GUERET

OTHER_COMMUNE_ACCOUNT_ID = 140002  # unlinked, in BOURGANEUF: "key of another commune".
OTHER_COMMUNE_KEY = "BOUR-2222-BB"
OTHER_COMMUNE_ID = COMMUNE_BOURGANEUF

# -- empty ----------------------------------------------------------------------

EMPTY_LOGIN = "vide@example.fr"
EMPTY_PASSWORD = "Ecocito-Vide-2026"
EMPTY_ACCOUNT_ID = 200001
EMPTY_WASTE_TYPES = {1: "Ordures ménagères", 2: "Emballages"}
EMPTY_LINKABLE_ACCOUNT_ID = 200002
EMPTY_LINKABLE_KEY = "GUER-0002-VD"

# -- large ----------------------------------------------------------------------

LARGE_LOGIN = "grand@example.fr"
LARGE_PASSWORD = "Ecocito-Grand-2026"
LARGE_ACCOUNT_IDS = tuple(range(300001, 300021))
LARGE_WASTE_TYPES = {
    1: "Ordures ménagères",
    2: "Emballages",
    3: "Biodéchets",
    4: "Verre",
    5: "Papiers",
}
LARGE_LINKABLE_ACCOUNT_ID = 300021
LARGE_LINKABLE_KEY = "GRND-0021-XL"

# -- bornes: a flat with no bin, only badge-opened bornes ----------------------------

BORNES_LOGIN = "claire.petit@example.fr"
BORNES_PASSWORD = "Ecocito-Bornes-2026"
BORNES_ACCOUNT_ID = 400001
BORNES_LABEL = "N° 400001 - 4 RESIDENCE LES GENETS APPT 12 23000 GUERET"
BORNES_WASTE_TYPES = {1: "Ordures ménagères", 2: "Emballages", 5: "Verre"}
BORNES_OPENINGS_PER_WEEK = {1: 2.5, 2: 1.0}
"""Openings a week per waste type; glass (5) is listed but never counted."""

# -- public: the portal as its public clients see it: one account, no drop-down ----------

PUBLIC_LOGIN = "marc.bernard@example.fr"
PUBLIC_PASSWORD = "Ecocito-Public-2026"
PUBLIC_ACCOUNT_ID = 500001
PUBLIC_LABEL = "N° 500001 - 7 CHEMIN DES PRES 23000 GUERET"
PUBLIC_ADDRESS = "7 CHEMIN DES PRES 23000 GUERET"
PUBLIC_SECOND_ADDRESS = "15 ROUTE DE LA SOUTERRAINE 23000 GUERET"
"""The public login's other address (a rented house), on the same account: no
drop-down tells them apart, only the rows' LIBELLE_ADRESSE."""
PUBLIC_WASTE_TYPES = {1: "Ordures ménagères", 2: "Tri sélectif", 5: "Verre"}
"""The ids a public client reads its statistics with (1 ordures ménagères, 2 tri
sélectif, 5 verre); glass goes to a borne."""
PUBLIC_STYLE = PortalStyle(drop_down=False, names_account=False, wizard=False, stats="text")
"""No drop-down (and the header does not name the account), no wizard, the borne
statistics as text with French month names; rows carry ID_MATIERE."""

# -- renamed: the demo's contents, with every modelled path and field renamed --------

RENAMED_NAMES = PortalNames(
    switch_path="/Usager/Compte/Selectionner",
    account_select_id="CompteActif_Id",
    account_field="CompteActif.Id",
    token_field="__Jeton",
    wizard_commune_path="/Usager/Associer/EtapeLocalite",
    wizard_key_path="/Usager/Associer/EtapeCode",
    commune_text_field="Localite.Libelle",
    commune_id_field="Localite.Code",
    key_field="CodeSecret",
    search_path="/Usager/Associer/Localites",
    search_attribute="data-source",
    step_field="Etape",
)

SCENARIOS = ("demo", "empty", "large", "renamed", "bornes", "public")

_SITES = {
    COMMUNE_GUERET: ("Déchèterie de Guéret", "Déchèterie de Sainte-Feyre"),
    COMMUNE_AUBUSSON: ("Déchèterie d'Aubusson",),
}
_MATERIALS = ("Déchets verts", "Gravats", "Encombrants", "Cartons", "Bois", "Ferraille", None)
_STREETS = (
    "RUE DE LA GARE",
    "AVENUE DE LA SENATORERIE",
    "RUE DES ECOLES",
    "PLACE DE L'EGLISE",
    "CHEMIN DES PRES",
    "ROUTE DE LIMOGES",
    "RUE DU COMMERCE",
    "IMPASSE DES TILLEULS",
)


def paris_now() -> datetime:
    """Now, as the portal writes it: naive local (Europe/Paris) time."""
    return datetime.now(PARIS).replace(tzinfo=None)


def build_scenario(name: str, now: datetime | None = None) -> PortalState:
    """Build a fresh `PortalState` for scenario `name` (one of `SCENARIOS`) as of `now`.

    `now` is aware, or naive local time; by default the current time in Europe/Paris.
    """
    builders: dict[str, Callable[[date], PortalState]] = {
        "demo": _build_demo,
        "empty": _build_empty,
        "large": _build_large,
        "renamed": _build_renamed,
        "bornes": _build_bornes,
        "public": _build_public,
    }
    try:
        builder = builders[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose one of {SCENARIOS}") from None
    moment = to_local_naive(now) if now is not None else paris_now()
    state = builder(moment.date())
    for account in state.accounts.values():
        account.pickups = [pickup for pickup in account.pickups if pickup.when <= moment]
        account.visits = [visit for visit in account.visits if visit.when <= moment]
        account.drop_offs = [drop_off for drop_off in account.drop_offs if drop_off.when <= moment]
    return state


def _base_state() -> PortalState:
    state = PortalState()
    for commune_id, name, postal_code, served in COMMUNES:
        state.add_commune(Commune(commune_id, name, postal_code, served))
    return state


def _plain(text: str) -> str:
    """Labels on the portal are upper case without accents ("GUERET")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).upper()


# -- generators -----------------------------------------------------------------


def _weekly(start: date, end: date, weekday: int, every: int = 1) -> list[date]:
    """Dates from `start` to `end` (inclusive) on `weekday`, every `every` weeks."""
    first = start + timedelta(days=(weekday - start.weekday()) % 7)
    days: list[date] = []
    current = first
    while current <= end:
        days.append(current)
        current += timedelta(weeks=every)
    return days


FIXED_PUBLIC_HOLIDAYS = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
"""France's fixed-date public holidays (month, day); Easter's are left out."""


def rhythm_days(start: date, end: date, weekday: int, every: int = 1) -> list[date]:
    """A round's days: ``weekday`` every ``every`` weeks; a public holiday moves it a day."""
    return [
        day + timedelta(days=1) if (day.month, day.day) in FIXED_PUBLIC_HOLIDAYS else day
        for day in _weekly(start, end, weekday, every)
    ]


def irregular_days(rng: random.Random, start: date, end: date) -> list[date]:
    """Days with no rhythm: 4 to 12 days apart."""
    days: list[date] = []
    day = start + timedelta(days=rng.randrange(7))
    while day <= end:
        days.append(day)
        day += timedelta(days=rng.randrange(4, 13))
    return days


def add_pickups(
    state: PortalState,
    rng: random.Random,
    account_id: int,
    type_id: int,
    days: list[date],
) -> None:
    """Add one pickup per day (one in twenty missed), weighed as the type usually is."""
    weight = _residual if type_id == 1 else _packaging if type_id == 2 else _biowaste
    _add_pickups(state, rng, account_id, type_id, days, weight)


def _pickup_time(rng: random.Random, day: date) -> datetime:
    """Morning round time; about one in five carries milliseconds."""
    moment = datetime.combine(day, time(5, 30)) + timedelta(seconds=rng.randrange(3 * 3600))
    if rng.random() < 0.2:
        moment = moment.replace(microsecond=rng.randrange(1, 1000) * 1000)
    return moment


def _add_pickups(
    state: PortalState,
    rng: random.Random,
    account_id: int,
    type_id: int,
    days: list[date],
    weight: Callable[[random.Random], float | None],
    *,
    miss_rate: float = 0.05,
    text_rate: float = 0.0,
    keep: Callable[[date], bool] | None = None,
    address: str | None = None,
) -> None:
    for day in days:
        if keep is not None and not keep(day):
            continue
        if rng.random() < miss_rate:
            continue
        kilos = weight(rng)
        as_text = kilos is not None and kilos != 0 and rng.random() < text_rate
        state.add_pickup(
            account_id,
            type_id,
            _pickup_time(rng, day),
            kilos,
            weight_text=as_text,
            address=address,
        )


def _add_visits(
    state: PortalState,
    rng: random.Random,
    account_id: int,
    sites: tuple[str, ...],
    start: date,
    end: date,
    *,
    rate: float,
    keep: Callable[[date], bool] | None = None,
) -> None:
    """At most one visit per month, with probability `rate`."""
    month = date(start.year, start.month, 1)
    while month <= end:
        day = month + timedelta(days=rng.randrange(28))
        if day <= end and (keep is None or keep(day)) and rng.random() < rate:
            moment = datetime.combine(day, time(9)) + timedelta(minutes=rng.randrange(8 * 60))
            material = rng.choice(_MATERIALS)
            quantity = round(rng.uniform(0.2, 3.0), 1) if rng.random() < 0.7 else None
            state.add_visit(account_id, moment, rng.choice(sites), material, quantity)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _add_drop_offs(
    state: PortalState,
    rng: random.Random,
    account_id: int,
    type_id: int,
    start: date,
    end: date,
    per_week: float,
    *,
    keep: Callable[[date], bool] | None = None,
) -> None:
    """Borne openings: each day, one with probability ``per_week / 7``, 7:00 to 21:00."""
    day = start
    while day <= end:
        if (keep is None or keep(day)) and rng.random() < per_week / 7:
            moment = datetime.combine(day, time(7)) + timedelta(seconds=rng.randrange(14 * 3600))
            state.add_drop_off(account_id, type_id, moment)
        day += timedelta(days=1)


def _residual(rng: random.Random) -> float:
    return round(rng.uniform(6, 25), rng.choice((1, 1, 2)))


def _packaging(rng: random.Random) -> float | None:
    roll = rng.random()
    if roll < 0.4:
        return None
    if roll < 0.65:
        return 0
    return round(rng.uniform(1, 6), 1)


def _biowaste(rng: random.Random) -> float | None:
    return round(rng.uniform(1, 6), 1)


def _is_holiday(day: date) -> bool:
    """Second-home season: summer, Christmas and two weeks around Easter-ish April."""
    return (
        day.month in (7, 8)
        or (day.month == 12 and day.day >= 20)
        or (day.month == 1 and day.day <= 3)
        or (day.month == 4 and 10 <= day.day <= 24)
    )


# -- scenarios ------------------------------------------------------------------


def _build_demo(today: date) -> PortalState:
    rng = random.Random(104233)  # noqa: S311 - reproducible test data, not crypto
    state = _base_state()
    start = date(today.year - 2, 1, 1)
    types_main = dict(DEMO_WASTE_TYPES)
    types_second = {15: DEMO_WASTE_TYPES[15], 16: DEMO_WASTE_TYPES[16]}

    state.add_account(
        Account(DEMO_MAIN_ACCOUNT_ID, DEMO_MAIN_LABEL, COMMUNE_GUERET, DEMO_MAIN_KEY, types_main)
    )
    state.add_account(
        Account(
            DEMO_SECOND_ACCOUNT_ID,
            DEMO_SECOND_LABEL,
            COMMUNE_AUBUSSON,
            DEMO_SECOND_KEY,
            types_second,
        )
    )
    state.add_account(
        Account(
            DEMO_LINKABLE_ACCOUNT_ID,
            DEMO_LINKABLE_LABEL,
            COMMUNE_LA_SOUTERRAINE,
            DEMO_LINKABLE_KEY,
            {15: DEMO_WASTE_TYPES[15], 16: DEMO_WASTE_TYPES[16]},
        )
    )
    state.add_account(
        Account(
            USED_KEY_ACCOUNT_ID,
            "N° 130001 - 8 AVENUE DE LA SENATORERIE 23000 GUERET",
            COMMUNE_GUERET,
            USED_KEY,
            dict(DEMO_WASTE_TYPES),
        )
    )
    state.add_account(
        Account(
            OTHER_COMMUNE_ACCOUNT_ID,
            "N° 140002 - 5 RUE DU PONT 23400 BOURGANEUF",
            COMMUNE_BOURGANEUF,
            OTHER_COMMUNE_KEY,
            {15: DEMO_WASTE_TYPES[15]},
        )
    )

    main = DEMO_MAIN_ACCOUNT_ID
    _add_pickups(state, rng, main, 15, _weekly(start, today, 1), _residual)
    _add_pickups(state, rng, main, 16, _weekly(start, today, 3, every=2), _packaging)
    _add_pickups(state, rng, main, 17, _weekly(start, today, 4), _biowaste, text_rate=0.35)
    _add_visits(state, rng, main, _SITES[COMMUNE_GUERET], start, today, rate=0.85)

    second = DEMO_SECOND_ACCOUNT_ID
    _add_pickups(state, rng, second, 15, _weekly(start, today, 0), _residual, keep=_is_holiday)
    _add_pickups(
        state,
        rng,
        second,
        16,
        _weekly(start, today, 2, every=2),
        _packaging,
        keep=lambda d: d.month in (7, 8),
    )
    _add_visits(
        state,
        rng,
        second,
        _SITES[COMMUNE_AUBUSSON],
        start,
        today,
        rate=0.9,
        keep=lambda d: d.month in (4, 7, 8),
    )

    recent = today - timedelta(weeks=12)
    _add_pickups(
        state, rng, DEMO_LINKABLE_ACCOUNT_ID, 15, _weekly(recent, today, 2, every=2), _residual
    )
    _add_pickups(state, rng, USED_KEY_ACCOUNT_ID, 15, _weekly(recent, today, 1), _residual)
    _add_pickups(
        state, rng, OTHER_COMMUNE_ACCOUNT_ID, 15, _weekly(recent, today, 3, every=2), _residual
    )

    # The village's packaging borne, during the holidays; a generator of its own, so
    # that the pickups and visits above stay what they were.
    borne_rng = random.Random(118871)  # noqa: S311 - reproducible test data, not crypto
    _add_drop_offs(state, borne_rng, second, 16, start, today, 3.0, keep=_is_holiday)

    # The second account's workshop, another site with rounds of its own.
    workshop_rng = random.Random(118872)  # noqa: S311 - reproducible test data, not crypto
    opened = today - timedelta(weeks=DEMO_WORKSHOP_SINCE_WEEKS)
    for type_id, days, weight in (
        (15, _weekly(opened, today, 2), _residual),
        (16, _weekly(opened, today, 3, every=2), _packaging),
    ):
        _add_pickups(
            state, workshop_rng, second, type_id, days, weight, address=DEMO_WORKSHOP_ADDRESS
        )

    state.add_login(DEMO_LOGIN, DEMO_PASSWORD, list(DEMO_ACCOUNT_IDS))
    state.add_login(OTHER_LOGIN, OTHER_PASSWORD, [USED_KEY_ACCOUNT_ID])
    return state


def _build_renamed(today: date) -> PortalState:
    """The demo, on a portal whose modelled paths and form fields have other names."""
    state = _build_demo(today)
    state.names = RENAMED_NAMES
    return state


def _build_bornes(today: date) -> PortalState:
    """A flat with no bin: its badge opens bornes, since 1 January last year.

    Its statistics leave out the months without an opening (the demo lists them at 0).
    """
    rng = random.Random(400001)  # noqa: S311 - reproducible test data, not crypto
    state = _base_state()
    state.stats_skip_empty_months = True
    state.add_account(
        Account(
            BORNES_ACCOUNT_ID,
            BORNES_LABEL,
            COMMUNE_GUERET,
            "GUER-0001-PV",
            dict(BORNES_WASTE_TYPES),
        )
    )
    start = date(today.year - 1, 1, 1)
    for type_id, per_week in BORNES_OPENINGS_PER_WEEK.items():
        # August away: no opening, so that a month of the past year counts 0.
        _add_drop_offs(
            state,
            rng,
            BORNES_ACCOUNT_ID,
            type_id,
            start,
            today,
            per_week,
            keep=lambda day: day.month != 8,
        )
    state.add_login(BORNES_LOGIN, BORNES_PASSWORD, [BORNES_ACCOUNT_ID])
    return state


def _build_public(today: date) -> PortalState:
    """One production point on a portal that shows only the known parts (PUBLIC_STYLE)."""
    rng = random.Random(500001)  # noqa: S311 - reproducible test data, not crypto
    state = _base_state()
    state.style = PUBLIC_STYLE
    state.add_account(
        Account(PUBLIC_ACCOUNT_ID, PUBLIC_LABEL, COMMUNE_GUERET, "GUER-5001-PB", PUBLIC_WASTE_TYPES)
    )
    start = date(today.year - 2, 1, 1)
    account = PUBLIC_ACCOUNT_ID
    _add_pickups(state, rng, account, 1, rhythm_days(start, today, 2), _residual)
    _add_pickups(state, rng, account, 2, rhythm_days(start, today, 4, every=2), _packaging)
    _add_visits(state, rng, account, _SITES[COMMUNE_GUERET], start, today, rate=0.6)
    _add_drop_offs(state, rng, account, 5, start, today, 1.0)
    # The other address on the same account: residual waste on Mondays, this year.
    second_rng = random.Random(500002)  # noqa: S311 - reproducible test data, not crypto
    days = rhythm_days(date(today.year, 1, 1), today, 0)
    _add_pickups(state, second_rng, account, 1, days, _residual, address=PUBLIC_SECOND_ADDRESS)
    state.add_login(PUBLIC_LOGIN, PUBLIC_PASSWORD, [account])
    return state


def _build_empty(today: date) -> PortalState:
    state = _base_state()
    state.add_account(
        Account(
            EMPTY_ACCOUNT_ID,
            "N° 200001 - 1 AVENUE DE LA SENATORERIE 23000 GUERET",
            COMMUNE_GUERET,
            "GUER-0001-VD",
            dict(EMPTY_WASTE_TYPES),
        )
    )
    state.add_account(
        Account(
            EMPTY_LINKABLE_ACCOUNT_ID,
            "N° 200002 - 3 RUE DES ECOLES 23000 GUERET",
            COMMUNE_GUERET,
            EMPTY_LINKABLE_KEY,
            dict(EMPTY_WASTE_TYPES),
        )
    )
    state.add_login(EMPTY_LOGIN, EMPTY_PASSWORD, [EMPTY_ACCOUNT_ID])
    return state


def _build_large(today: date) -> PortalState:
    rng = random.Random(300001)  # noqa: S311 - reproducible test data, not crypto
    state = _base_state()
    start = date(today.year - 4, 1, 1)
    served = [c for c in state.communes.values() if c.served]
    for index, account_id in enumerate((*LARGE_ACCOUNT_IDS, LARGE_LINKABLE_ACCOUNT_ID)):
        commune = served[(index * 7) % len(served)]
        street = f"{rng.randrange(1, 80)} {rng.choice(_STREETS)}"
        label = f"N° {account_id} - {street} {commune.postal_code} {_plain(commune.name)}"
        type_ids = [1, *sorted(rng.sample([2, 3, 4, 5], rng.randrange(2, 5)))]
        key = (
            LARGE_LINKABLE_KEY
            if account_id == LARGE_LINKABLE_ACCOUNT_ID
            else f"GRND-{account_id % 10000:04d}-{chr(65 + index % 26)}{chr(90 - index % 26)}"
        )
        state.add_account(
            Account(account_id, label, commune.id, key, {t: LARGE_WASTE_TYPES[t] for t in type_ids})
        )
        if account_id == LARGE_LINKABLE_ACCOUNT_ID:
            continue
        for type_id in type_ids:
            weight = _residual if type_id == 1 else _packaging if type_id == 2 else _biowaste
            _add_pickups(
                state,
                rng,
                account_id,
                type_id,
                _weekly(start, today, rng.randrange(5)),
                weight,
                text_rate=0.2 if type_id >= 3 else 0.0,
            )
        sites = (f"Déchèterie de {commune.name.title()}",)
        _add_visits(state, rng, account_id, sites, start, today, rate=1.0)
    state.add_login(LARGE_LOGIN, LARGE_PASSWORD, list(LARGE_ACCOUNT_IDS))
    return state
