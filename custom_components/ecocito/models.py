"""The coordinator's data: what is known of each linked account, and the figures it gives.

Frozen data and no Home Assistant import: the step (``step.py``) makes it, and every
entity reads its figure through one of its methods (a sensor's ``value_fn`` is one
call). A poll that changed nothing of an account keeps the very same object, so
entities can tell by identity that they have nothing to write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
import re
from typing import TYPE_CHECKING, Final

from .api import casefold_without_accents

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime

    from .api import Account, MonthlyCount, Pickup, Visit, WasteType
    from .forecast import Forecast

OWN_PLACE: Final = ""
"""The key of an account's own place: the address it had first, and rows without one."""
type PlaceKey = tuple[int, str]
"""A place: (account ID, its address's key; ``OWN_PLACE`` for the account's own)."""
type TypeKey = tuple[int, str, int]
"""A waste type of a place: (account ID, place key, waste type ID)."""
type DelayKey = tuple[int, int]
"""A waste type of an account: (account ID, waste type ID); the portal's publication
delay is the account's, whatever the place."""
type PickupKey = tuple[datetime, int, str | None, str | None]
"""What makes a pickup the same pickup: its time, waste type, bin and chip numbers.

Not its weight (the portal corrects weights) and not its rank in time (trucks upload
late, and two bins of a type can be lifted in the same minute).
"""


@lru_cache(maxsize=256)
def address_key(address: str) -> str:
    """Return the key of an address: its words, lower case, without accents ("7_rue_du_moulin").

    Two spellings of one address ("4 rue de l'Église", "4 RUE DE L'EGLISE") are one key.
    Kept for the last addresses asked: a step asks it of every row of an account, and
    an account's rows carry a few addresses.
    """
    return re.sub(r"[^a-z0-9]+", "_", casefold_without_accents(address)).strip("_")


def place_key_of(address: str | None, primary: str | None) -> str:
    """Return the key of the place of a row with ``address``.

    The account's own place (``primary`` is its address's key; a row without one is
    its too), or the address's.
    """
    if not address or (key := address_key(address)) == primary:
        return OWN_PLACE
    return key


def total_weight(pickups: Iterable[Pickup]) -> float:
    """Return the weight of some pickups, in kg (a pickup not weighed counts 0)."""
    return round(sum(p.weight or 0.0 for p in pickups), 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    """What is known of one linked account: its current year and past years."""

    account: Account
    waste_types: tuple[WasteType, ...]
    pickups: tuple[Pickup, ...]
    """This year's pickups, oldest first."""
    visits: tuple[Visit, ...]
    """This year's recycling-centre visits, oldest first."""
    past_pickups: tuple[Pickup, ...] = ()
    past_visits: tuple[Visit, ...] = ()
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]] = field(default_factory=dict)
    """This year's borne openings per waste type, twelve months (empty: no borne)."""
    past_drop_offs: Mapping[int, tuple[MonthlyCount, ...]] = field(default_factory=dict)
    """The past years' borne openings per waste type, oldest month first."""

    @property
    def all_pickups(self) -> tuple[Pickup, ...]:
        """Return the pickups of every year kept, oldest first."""
        return (*self.past_pickups, *self.pickups)

    @property
    def all_visits(self) -> tuple[Visit, ...]:
        """Return the visits of every year kept, oldest first."""
        return (*self.past_visits, *self.visits)

    @property
    def labels(self) -> dict[int, str]:
        """Return the portal's label of each of the account's waste types, by ID."""
        return {waste_type.id: waste_type.label for waste_type in self.waste_types}

    def has_waste_type(self, waste_type_id: int) -> bool:
        """Return whether the portal still lists this waste type for the account."""
        return any(waste_type.id == waste_type_id for waste_type in self.waste_types)

    # --- Pickups -----------------------------------------------------------------

    def pickups_of(self, waste_type_id: int | None) -> tuple[Pickup, ...]:
        """Return this year's pickups of one waste type, or all."""
        if waste_type_id is None:
            return self.pickups
        return tuple(p for p in self.pickups if p.waste_type_id == waste_type_id)

    def pickup_count(self, waste_type_id: int | None) -> int:
        """Return this year's pickups of a waste type (None: of every type)."""
        return len(self.pickups_of(waste_type_id))

    def pickup_weight(self, waste_type_id: int | None) -> float:
        """Return this year's weight collected, in kg (a pickup not weighed counts 0)."""
        return total_weight(self.pickups_of(waste_type_id))

    def last_pickup(self, waste_type_id: int | None) -> Pickup | None:
        """Return this year's latest pickup of a waste type (None: none yet)."""
        return pickups[-1] if (pickups := self.pickups_of(waste_type_id)) else None

    def last_pickup_date(self, waste_type_id: int | None) -> datetime | None:
        """Return when this year's latest pickup happened."""
        return last.date if (last := self.last_pickup(waste_type_id)) else None

    # --- Visits ------------------------------------------------------------------

    @property
    def visit_count(self) -> int:
        """Return this year's recycling-centre visits."""
        return len(self.visits)

    def visits_per_year(self) -> dict[str, int]:
        """Return the past years' visit counts, most recent year first."""
        counts = Counter(visit.date.year for visit in self.past_visits)
        return {str(year): counts[year] for year in sorted(counts, reverse=True)}

    @property
    def last_visit_date(self) -> datetime | None:
        """Return when this year's latest visit happened."""
        return self.visits[-1].date if self.visits else None

    # --- Borne openings ------------------------------------------------------------

    @property
    def borne_types(self) -> tuple[int, ...]:
        """Return the waste types whose bornes the badge opened in a year kept."""
        return tuple(
            waste_type.id
            for waste_type in self.waste_types
            if any(month.count for month in self.drop_offs_of(waste_type.id, past=True))
        )

    def drop_offs_of(self, waste_type_id: int, *, past: bool = False) -> tuple[MonthlyCount, ...]:
        """Return this year's (with ``past``: every year kept) monthly openings of a type."""
        months = self.drop_offs.get(waste_type_id, ())
        return (*self.past_drop_offs.get(waste_type_id, ()), *months) if past else months

    def openings(self, waste_type_id: int | None, month: int | None = None) -> int:
        """Return this year's borne openings of a waste type, or those of one month."""
        if waste_type_id is None:
            return 0
        return sum(
            entry.count
            for entry in self.drop_offs_of(waste_type_id)
            if month is None or entry.month == month
        )

    def openings_per_year(self, waste_type_id: int | None) -> dict[str, int]:
        """Return the past years' borne openings of a waste type, most recent year first.

        Years without an opening are left out, as years without a pickup are.
        """
        years: Counter[int] = Counter()
        for entry in self.past_drop_offs.get(waste_type_id or 0, ()):
            years[entry.year] += entry.count
        return {str(year): years[year] for year in sorted(years, reverse=True) if years[year]}


class Anomaly(StrEnum):
    """Why a pickup is worth checking with the collectivité (residents dispute these)."""

    DUPLICATE = "duplicate"
    """A second pickup of the same bin within ``step.DUPLICATE_WINDOW`` of the one before
    (of the same waste type where the portal gives no bin numbers)."""
    ZERO_WEIGHT = "zero_weight"
    """Weighed at 0 kg (a pickup not weighed at all is not one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WasteTypeFigures:
    """One waste type's pickups this year, and the same figures for the past years kept."""

    count: int
    weight: float
    """In kg; a pickup not weighed counts 0."""
    last: Pickup | None
    """This year's latest pickup (None: none yet)."""
    bin_number: str | None
    """The bin number of the latest pickup that gives one (past years too)."""
    chip_number: str | None
    counts_before: Mapping[str, int]
    """The past years' counts, most recent year first (years without a pickup left out)."""
    weights_before: Mapping[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """A place: an account and an address its rows carry; its own device."""

    account_id: int
    key: str
    """``OWN_PLACE``, or the key of its address (``address_key``)."""
    name: str
    """Its address as the portal writes it (the account number added where two accounts
    share one); the account's own place without an address: the account's label."""
    address: str | None
    """The address its rows carry (None: the account's own place, whose rows carry none)."""
    waste_types: tuple[int, ...]
    """The waste types lifted there in the years kept, in the portal's order."""
    pickups: tuple[Pickup, ...]
    """This year's pickups there, oldest first."""
    past_pickups: tuple[Pickup, ...] = ()

    @property
    def all_pickups(self) -> tuple[Pickup, ...]:
        """Return the pickups there of every year kept, oldest first."""
        return (*self.past_pickups, *self.pickups)


@dataclass(frozen=True, slots=True, kw_only=True)
class EcocitoData:
    """The coordinator's data: linked accounts in the drop-down's order, and their forecasts."""

    accounts: Mapping[int, AccountState]
    year: int
    first_day: date
    """The first day the data covers (1 January of the first year the options kept)."""
    today: date
    """The day the data is of (portal time): day-dependent figures read it."""
    places: Mapping[PlaceKey, Place] = field(default_factory=dict)
    """Each account's places: its own first, then the other addresses its rows carry."""
    figures: Mapping[TypeKey, WasteTypeFigures] = field(default_factory=dict)
    """Per waste type of each place, its pickups' figures."""
    anomalies: Mapping[int, Mapping[Pickup, Anomaly]] = field(default_factory=dict)
    """Per account, its pickups to check (of every year kept), and why."""
    forecasts: Mapping[TypeKey, Forecast] = field(default_factory=dict)
    """Per waste type of each place, its next expected pickup and missed round."""
    next_poll: datetime | None = None
    """When the step planned the next poll."""

    def places_of(self, account_id: int) -> list[Place]:
        """Return an account's places: its own first, then its other addresses'."""
        return [place for (owner, _key), place in self.places.items() if owner == account_id]
