"""In-memory state of the simulated Ecocito portal.

Plain dataclasses plus the few helpers tests use to change the portal "behind the
integration's back" (link/unlink an account, change a password, add pickups...).
Dates are naive local (Europe/Paris) datetimes, as the portal serves them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import timedelta
import re
from typing import TYPE_CHECKING
import unicodedata
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from datetime import datetime

PARIS = ZoneInfo("Europe/Paris")
DUPLICATE_GAP = timedelta(minutes=20)
"""Between the two lifts of a duplicate pickup (``add_pickups_to_check``)."""


def fold(text: str) -> str:
    """Case- and accent-insensitive form; hyphens/apostrophes become spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    bare = re.sub("[-'\u2019_]", " ", bare.casefold())
    return " ".join(bare.split())


def normalize_key(key: str) -> str:
    """Activation keys compare case-insensitively, ignoring spaces and dashes."""
    return re.sub(r"[\s\-]", "", key).upper()


def to_local_naive(when: datetime) -> datetime:
    """Aware datetimes are converted to Paris time; naive ones are taken as local."""
    if when.tzinfo is not None:
        return when.astimezone(PARIS).replace(tzinfo=None)
    return when


@dataclass
class Commune:
    """A commune the portal knows; only `served` ones can receive an association."""

    id: int
    name: str
    postal_code: str
    served: bool = True


@dataclass
class Pickup:
    """One bin pickup (levée).

    `weight_text` makes the portal serve the weight as a string with a decimal comma
    ("12,5") instead of a JSON number. A non-zero microsecond part makes
    `DATE_DONNEE` carry fractional seconds (milliseconds). `bin_number`: the bin lifted,
    when the account has several of this type (else the account's one bin).
    `published`: when the portal shows it, for a truck that uploads late (else its
    time plus the portal's publication delay). `untyped`: its row lacks ID_MATIERE even
    where the portal's rows carry it (``PortalStyle.typed_rows``).
    """

    when: datetime
    type_id: int
    weight: float | None
    weight_text: bool = False
    id: int = 0
    bin_number: str | None = None
    published: datetime | None = None
    untyped: bool = False
    address: str | None = None
    """The address its row carries, when not the account's (an account of several places)."""


@dataclass
class Visit:
    """One recycling-centre visit (apport en déchèterie)."""

    when: datetime
    site: str
    material: str | None = None
    quantity: float | None = None
    id: int = 0


@dataclass
class DropOff:
    """One opening of a borne (point d'apport volontaire) with the account's badge."""

    when: datetime
    type_id: int


@dataclass
class Account:
    """A production point (compte): what the account drop-down lists."""

    id: int
    label: str
    commune_id: int
    activation_key: str
    waste_types: dict[int, str]
    pickups: list[Pickup] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    drop_offs: list[DropOff] = field(default_factory=list)
    address: str = ""

    def __post_init__(self) -> None:
        if not self.address:
            # "N° 104233 - 12 RUE DES LILAS 23000 GUERET" -> the part after " - ".
            self.address = self.label.split(" - ", 1)[-1]

    def bin_number(self, type_id: int) -> str:
        """Stable bin number (NumeroCuve) of this account's bin of `type_id`."""
        return f"{self.id % 1_000_000:06d}{type_id:02d}"

    def chip_number(self, type_id: int) -> str:
        """Stable chip number (NumeroPuce) of this account's bin of `type_id`."""
        return f"{(self.id * 7919 + type_id * 104729) % 16**8:08X}"


@dataclass
class Login:
    """A portal identity (an e-mail address) and the accounts linked to it.

    `generation` changes with the password: sessions opened before are invalid.
    """

    email: str
    password: str
    account_ids: list[int] = field(default_factory=list)
    generation: int = 0


@dataclass(frozen=True)
class PortalStyle:
    """How much of the SPEC's modelled portal this one shows (all of it by default).

    The public clients have only ever seen the known parts: a portal without the
    account drop-down (one account), without the wizard, with borne statistics in
    another shape, is as real as the model.
    """

    drop_down: bool = True
    """Pages carry the account drop-down and its switch form (the switch path exists)."""
    names_account: bool = True
    """Without a drop-down, the header names the account ("N° 104233 - 12 RUE ...")."""
    wizard: bool = True
    """The association wizard's pages exist."""
    typed_rows: bool = True
    """GetCollecte rows carry their waste type (ID_MATIERE)."""
    filters_types: bool = True
    """GetCollecte honours idMatiere (else every type comes back for any)."""
    stats: str = "modelled"
    """Monthly statistics: "modelled" (Annee, Mois, Nombre), "text" (a French month name
    and the count as text), "dates" (an ASP.NET date and a float count), "order" (only
    counts, twelve of them), "total" (one count for the year) or "missing" (404)."""


STATS_SHAPES = ("modelled", "text", "dates", "order", "total", "missing")


@dataclass(frozen=True)
class PortalNames:
    """The modelled paths and form fields the portal uses (the SPEC's by default).

    A scenario may rename them, as the live portal may: the client must follow the
    forms of its pages. ``step_field`` is a hidden field the wizard's forms carry and
    expect back (its value is the step's number).
    """

    switch_path: str = "/Usager/Profil/ChangerCompte"
    switch_method: str = "post"
    """The account switch form's method: "get" sends its fields in the query."""
    account_select_id: str = "IdCompte"
    account_field: str = "IdCompte"
    token_field: str = "__RequestVerificationToken"
    wizard_commune_path: str = "/Usager/Profil/AssocierCompte/Commune"
    wizard_key_path: str = "/Usager/Profil/AssocierCompte/Cle"
    commune_text_field: str = "Commune"
    commune_id_field: str = "IdCommune"
    key_field: str = "CleActivation"
    search_path: str = "/Usager/Profil/RechercherCommunes"
    search_attribute: str = "data-autocomplete"
    step_field: str | None = None


@dataclass
class PortalState:
    """Everything the simulated portal knows."""

    names: PortalNames = field(default_factory=PortalNames)
    style: PortalStyle = field(default_factory=PortalStyle)
    communes: dict[int, Commune] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    logins: dict[str, Login] = field(default_factory=dict)  # key: folded e-mail
    now: datetime | None = None
    """The portal's time (naive local) once set: pickups show only once published."""
    publication_delay: timedelta = timedelta(0)
    """How long after its time a pickup shows, when ``now`` is set (the live portal
    posts a round's pickups some time after the truck's pass)."""
    stats_skip_empty_months: bool = False
    """Monthly statistics leave out the months counting 0 (else they list them)."""
    answer_keys: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """The keys some JSON answers have, with the types their values may take (``shape.py``):
    ``pickups.rows``, ``pickups.envelope``, ``visits.rows``, ``visits.envelope``. Unset:
    the answers as ``data.py`` makes them."""
    _next_row_id: int = 1_000_001

    def is_published(self, pickup: Pickup) -> bool:
        """Return whether the portal shows ``pickup`` yet (always, until ``now`` is set)."""
        if self.now is None:
            return True
        published = pickup.published or pickup.when + self.publication_delay
        return published <= self.now

    # -- building -------------------------------------------------------------

    def add_commune(self, commune: Commune) -> Commune:
        self.communes[commune.id] = commune
        return commune

    def add_account(self, account: Account) -> Account:
        if account.commune_id not in self.communes:
            raise KeyError(f"unknown commune {account.commune_id}")
        self.accounts[account.id] = account
        return account

    def add_login(self, email: str, password: str, account_ids: list[int] | None = None) -> Login:
        login = Login(email=email, password=password)
        self.logins[email.casefold()] = login
        for account_id in account_ids or []:
            self.link(email, account_id)
        return login

    # -- lookups --------------------------------------------------------------

    def find_login(self, email: str) -> Login | None:
        return self.logins.get(email.strip().casefold())

    def get_login(self, email: str) -> Login:
        login = self.find_login(email)
        if login is None:
            raise KeyError(f"unknown login {email}")
        return login

    def get_account(self, account_id: int) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise KeyError(f"unknown account {account_id}") from None

    def account_by_key(self, key: str) -> Account | None:
        wanted = normalize_key(key)
        if not wanted:
            return None
        for account in self.accounts.values():
            if normalize_key(account.activation_key) == wanted:
                return account
        return None

    def logins_of_account(self, account_id: int) -> list[Login]:
        return [login for login in self.logins.values() if account_id in login.account_ids]

    def is_linked(self, account_id: int) -> bool:
        return bool(self.logins_of_account(account_id))

    def linked_accounts(self, email: str) -> list[Account]:
        login = self.get_login(email)
        return [self.accounts[i] for i in login.account_ids if i in self.accounts]

    def search_communes(self, term: str, limit: int = 20) -> list[Commune]:
        """Served communes matching a postal-code prefix or (part of) the name."""
        wanted = fold(term)
        if len(wanted) < 2:
            return []
        digits = term.strip()
        found = [
            commune
            for commune in self.communes.values()
            if commune.served
            and (
                (digits.isdigit() and commune.postal_code.startswith(digits))
                or wanted in fold(commune.name)
            )
        ]
        found.sort(key=lambda c: (not fold(c.name).startswith(wanted), c.name, c.postal_code))
        return found[:limit]

    # -- changes --------------------------------------------------------------

    def link(self, email: str, account_id: int) -> None:
        login = self.get_login(email)
        self.get_account(account_id)
        if account_id not in login.account_ids:
            login.account_ids.append(account_id)

    def unlink(self, email: str, account_id: int) -> None:
        login = self.get_login(email)
        if account_id in login.account_ids:
            login.account_ids.remove(account_id)

    def set_password(self, email: str, password: str) -> None:
        login = self.get_login(email)
        login.password = password
        login.generation += 1

    def _row_id(self) -> int:
        row_id = self._next_row_id
        self._next_row_id += 1
        return row_id

    def add_pickup(
        self,
        account_id: int,
        type_id: int,
        when: datetime,
        weight: float | None,
        *,
        weight_text: bool = False,
        bin_number: str | None = None,
        published: datetime | None = None,
        address: str | None = None,
    ) -> Pickup:
        account = self.get_account(account_id)
        if type_id not in account.waste_types:
            raise ValueError(f"account {account_id} has no waste type {type_id}")
        pickup = Pickup(
            when=to_local_naive(when),
            type_id=type_id,
            weight=weight,
            weight_text=weight_text,
            id=self._row_id(),
            bin_number=bin_number,
            published=None if published is None else to_local_naive(published),
            address=address,
        )
        bisect.insort(account.pickups, pickup, key=lambda p: p.when)
        return pickup

    def add_pickups_to_check(
        self, account_id: int, type_id: int, when: datetime, reason: str
    ) -> list[Pickup]:
        """Add what a resident would dispute: ``zero_weight``, one pickup weighed 0 kg at
        ``when``; ``duplicate``, the same bin lifted twice, at ``when`` and 20 minutes later.
        """
        if reason == "zero_weight":
            return [self.add_pickup(account_id, type_id, when, 0.0)]
        if reason == "duplicate":
            return [
                self.add_pickup(account_id, type_id, when, 9.5),
                self.add_pickup(account_id, type_id, when + DUPLICATE_GAP, 9.5),
            ]
        raise ValueError(f"unknown reason {reason!r}")

    def add_drop_off(self, account_id: int, type_id: int, when: datetime) -> DropOff:
        account = self.get_account(account_id)
        if type_id not in account.waste_types:
            raise ValueError(f"account {account_id} has no waste type {type_id}")
        drop_off = DropOff(when=to_local_naive(when), type_id=type_id)
        bisect.insort(account.drop_offs, drop_off, key=lambda d: d.when)
        return drop_off

    def add_visit(
        self,
        account_id: int,
        when: datetime,
        site: str,
        material: str | None = None,
        quantity: float | None = None,
    ) -> Visit:
        account = self.get_account(account_id)
        visit = Visit(
            when=to_local_naive(when),
            site=site,
            material=material,
            quantity=quantity,
            id=self._row_id(),
        )
        bisect.insort(account.visits, visit, key=lambda v: v.when)
        return visit
