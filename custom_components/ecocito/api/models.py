"""Typed, frozen views of what the portal returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """A production point linked to the login (an option of the account drop-down)."""

    id: int
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountList:
    """The linked accounts and the one the session is currently on."""

    accounts: tuple[Account, ...]
    active_id: int | None
    listed: bool = True
    """The page showed the account drop-down; without one, the login is one account."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WasteType:
    """A waste stream (matière) of an account."""

    id: int
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pickup:
    """A bin pickup (levée)."""

    date: datetime
    waste_type_id: int
    weight: float | None = None
    """Net weight in kg; None when the portal gives none."""
    address: str | None = None
    bin_number: str | None = None
    chip_number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """A recycling-centre visit (apport)."""

    date: datetime
    site: str | None = None
    material: str | None = None
    quantity: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthlyCount:
    """How many times an account's badge opened a borne of one waste type in a month."""

    year: int
    month: int | None
    """1 to 12; None when the portal's answer said no month: the count is the year's."""
    count: int
    """0 when the portal lists the month with no drop-off, or leaves it out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Commune:
    """A commune the association wizard offers."""

    id: int
    name: str
    postal_code: str

    @property
    def display_name(self) -> str:
        """Return the name as the portal lists it: ``NAME (postal code)``."""
        return f"{self.name} ({self.postal_code})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountData:
    """Everything fetched for one account over one date range."""

    account: Account
    waste_types: tuple[WasteType, ...]
    pickups: tuple[Pickup, ...]
    visits: tuple[Visit, ...]
    borne_drop_offs: Mapping[int, tuple[MonthlyCount, ...]] | None = None
    """Borne openings per waste type id: twelve months per year asked for, oldest first
    (or one count per year, when the portal gave no month).

    Empty when the account had no opening in any year asked for; None when no year
    was asked for, or when the portal's statistics could not be read (``problems``).
    """
    problems: Mapping[str, str] = field(default_factory=dict)
    """Optional parts of the portal that failed for this read (``borne_statistics``), and
    why (the error's words: no value of the user's)."""
    foreign_rows: int = 0
    """Pickup rows of another waste type than asked for (``ID_MATIERE``), left out."""
