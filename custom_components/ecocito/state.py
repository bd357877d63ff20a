"""The entry's state: everything a poll reads and writes between polls, as one value.

One frozen value, made only by the step (``step.py``) from the one before: nothing
else writes to it. Part of it is kept across restarts, through one codec, in the
entry's store (``store.py``):

* ``seen``: per account, the pickups already seen (each told once, or history), by
  identity (``models.PickupKey``), for the years the options keep: after a restart
  nothing is told again, and a pickup published while Home Assistant was stopped is
  told once at the next poll;
* ``absent``: known accounts missing from the drop-down, full reads in a row
  (``confirm.py``);
* ``past_rows``: per account, the first day and row counts of the last good read of
  the past years, so that a short history read right after a restart is caught too;
* ``primary``: per account whose rows carry addresses, the key of its own place's (the
  one it had first): an address that appears later is a place of its own;
* ``delays``: per account and waste type, the portal's measured publication delays;
* ``missed``: per waste type of each place, the day of the pickup told missed (one day
  at most, forgotten when it shows or the rhythm's next day begins), so that a restart
  does not tell it again.

The rest lives as long as the entry is loaded: the accounts' data held, the past
years read today, the looks, the rhythms learnt today, the plan. Pure and Home
Assistant-free.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

from .api import PORTAL_TZ

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .api import MonthlyCount, Pickup, Visit
    from .models import DelayKey, EcocitoData, PickupKey, TypeKey
    from .schedule import Plan, Rhythm

STORAGE_VERSION: Final = 2
STORAGE_MINOR_VERSION: Final = 2
"""Version 1 kept per account the day from which every pickup was seen and the waste
types seen (``since``, ``types``), or, before that, the newest pickup per waste type
(``marks``); ``migrate`` turns both into the floors of version 2. Version 2.1 knew no
places: its missed rounds are the accounts' own places'."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_AFTER: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    """The pickups of one account already seen."""

    floors: Mapping[int, datetime]
    """Per waste type seen, from when on every pickup of it has been seen: an older
    one is history (the options may keep more years), never new. A waste type with no
    floor was never seen: its pickups are history."""
    counts: Mapping[PickupKey, int]
    """How many rows of each identity were seen (two identical rows are two pickups)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PastYears:
    """The past years of one account, as read at the day's first full read."""

    start: date
    """The first day read: the options may change how many years are kept."""
    fetched_on: date
    pickups: tuple[Pickup, ...]
    visits: tuple[Visit, ...]
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]]


type Learnt = tuple[Rhythm | None, Rhythm | None]
"""A waste type's rounds (weekday rhythm) or, without one, its usual hours."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rhythms:
    """The rhythms learnt today, and yesterday's (an unchanged rhythm keeps its object)."""

    day: date | None = None
    today: Mapping[TypeKey, Learnt] = field(default_factory=dict)
    yesterday: Mapping[TypeKey, Learnt] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryState:
    """Everything one entry's polls carry from one to the next."""

    # --- Kept across restarts ----------------------------------------------------
    seen: Mapping[int, Seen] = field(default_factory=dict)
    absent: Mapping[int, int] = field(default_factory=dict)
    past_rows: Mapping[int, tuple[date, Mapping[str, int]]] = field(default_factory=dict)
    primary: Mapping[int, str] = field(default_factory=dict)
    delays: Mapping[DelayKey, tuple[float, ...]] = field(default_factory=dict)
    missed: Mapping[TypeKey, date] = field(default_factory=dict)

    # --- This run's --------------------------------------------------------------
    known: Mapping[int, str] = field(default_factory=dict)
    """The accounts known, and their labels (at a start: those with a device)."""
    held: EcocitoData | None = None
    """What the last successful poll showed (None: no poll yet)."""
    poll: int = 0
    """Successful steps so far."""
    empty_lists: int = 0
    """Full reads in a row whose drop-down listed no account where some are known."""
    past: Mapping[int, PastYears] = field(default_factory=dict)
    short: Mapping[int, int] = field(default_factory=dict)
    """Accounts whose rows came back short (read twice): full reads in a row."""
    totals: Mapping[int, int] = field(default_factory=dict)
    """Per account, this year's rows on the portal when the data holds another number
    (rows of another type, a short read kept): what a look compares with."""
    bornes_read: Mapping[int, date] = field(default_factory=dict)
    """Per account, the day its borne statistics were last asked for (once a day)."""
    failing: Mapping[int | None, Mapping[str, str]] = field(default_factory=dict)
    """Per account (None: the login), the optional parts failing, and why."""
    foreign_rows: Mapping[int, int] = field(default_factory=dict)
    """Per account, pickup rows of another waste type than asked for at its last read."""
    looked_at: Mapping[int, datetime] = field(default_factory=dict)
    """Per account, its last look or read (one serves all its waste types)."""
    last_full: datetime | None = None
    rhythms: Rhythms = field(default_factory=Rhythms)
    plan: Plan[TypeKey] | None = None
    """The next poll (None: before the first one)."""


# --- The codec -----------------------------------------------------------------------


def _seconds(when: datetime) -> float | int:
    """Return a time as seconds since the epoch: whole when it is (most portal times)."""
    seconds = (when - _EPOCH).total_seconds()
    return int(seconds) if seconds.is_integer() else round(seconds, 6)


def _time(seconds: float) -> datetime:
    return (_EPOCH + timedelta(seconds=seconds)).astimezone(PORTAL_TZ)


def encode_seen(seen: Seen) -> dict[str, Any]:
    """Return one account's pickups seen as stored: grouped by bin, times in seconds."""
    groups: dict[tuple[int, str | None, str | None], list[float | int]] = {}
    for (when, type_id, bin_number, chip), count in sorted(seen.counts.items()):
        groups.setdefault((type_id, bin_number, chip), []).extend([_seconds(when)] * count)
    return {
        "floors": {str(type_id): _seconds(when) for type_id, when in sorted(seen.floors.items())},
        "pickups": [[*group, times] for group, times in groups.items()],
    }


def decode_seen(stored: Mapping[str, Any]) -> Seen:
    """Return one account's pickups seen from what is stored."""
    counts: Counter[PickupKey] = Counter()
    for type_id, bin_number, chip, times in stored["pickups"]:
        counts.update((_time(seconds), int(type_id), bin_number, chip) for seconds in times)
    return Seen(
        floors={int(type_id): _time(when) for type_id, when in stored["floors"].items()},
        counts=dict(counts),
    )


class StateCodec:
    """Encodes an entry's state as stored; each account's pickups again only when new.

    An account holds thousands of pickups over the years kept: encoding them all at
    every poll would cost for nothing, as most polls change none. The state never
    changes a ``Seen`` in place: a new object is a change.
    """

    def __init__(self) -> None:
        """Start with nothing encoded."""
        self._seen: dict[int, tuple[Seen, dict[str, Any]]] = {}

    def encode(self, state: EntryState) -> dict[str, Any]:
        """Return the part of the state kept across restarts, as stored (JSON)."""
        seen: dict[str, Any] = {}
        for account_id, pickups in state.seen.items():
            cached = self._seen.get(account_id)
            if cached is None or cached[0] is not pickups:
                cached = self._seen[account_id] = (pickups, encode_seen(pickups))
            seen[str(account_id)] = cached[1]
        for gone in set(self._seen) - set(state.seen):
            del self._seen[gone]
        return {
            "seen": seen,
            "absent": {str(key): count for key, count in state.absent.items()},
            "past_rows": {
                str(account_id): {"start": start.isoformat(), "rows": dict(rows)}
                for account_id, (start, rows) in state.past_rows.items()
            },
            "primary": {str(account_id): key for account_id, key in state.primary.items()},
            "delays": _per_account(state.delays, list),
            "missed": [
                [account_id, place, type_id, day.isoformat()]
                for (account_id, place, type_id), day in sorted(state.missed.items())
            ],
        }

    def decode(self, stored: Mapping[str, Any]) -> EntryState:
        """Return the state a store holds (its current version); remember its encodings."""
        state = EntryState(
            seen={int(key): decode_seen(value) for key, value in stored["seen"].items()},
            absent={int(key): int(count) for key, count in stored["absent"].items()},
            past_rows={
                int(account_id): (date.fromisoformat(past["start"]), dict(past["rows"]))
                for account_id, past in stored["past_rows"].items()
            },
            delays={
                (int(account_id), int(type_id)): tuple(samples)
                for account_id, delays in stored["delays"].items()
                for type_id, samples in delays.items()
            },
            missed={
                (int(account_id), str(place), int(type_id)): date.fromisoformat(day)
                for account_id, place, type_id, day in stored["missed"]
            },
            primary={int(account_id): str(key) for account_id, key in stored["primary"].items()},
        )
        self._seen = {
            account_id: (seen, stored["seen"][str(account_id)])
            for account_id, seen in state.seen.items()
        }
        return state


def _per_account[V](
    values: Mapping[DelayKey, V], encode: Callable[[V], Any]
) -> dict[str, dict[str, Any]]:
    """Return per-waste-type values grouped by account, as stored."""
    grouped: dict[str, dict[str, Any]] = {}
    for (account_id, type_id), value in sorted(values.items()):
        grouped.setdefault(str(account_id), {})[str(type_id)] = encode(value)
    return grouped


def migrate(old_major: int, old_minor: int, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Return a store of an older version as the current version holds it.

    Version 1 kept, per account, ``since`` (every pickup from that day on had been
    seen) and ``types`` (the waste types seen), or, older still, ``marks``: per waste
    type, the newest pickup seen. Both become floors: ``since`` at midnight for each
    type seen, a mark's moment just after it (a later pickup is new).
    """
    if old_major > STORAGE_VERSION:
        raise NotImplementedError(f"store version {old_major}.{old_minor} is newer")
    data = dict(stored)
    if old_major == 1:
        seen: dict[str, Any] = {}
        for account_id, old in (data.get("seen") or {}).items():
            if old.get("marks") is not None:  # not read since the marks were loaded
                floors = _floors_of_marks(old["marks"])
            else:
                start = datetime.combine(date.fromisoformat(old["since"]), time(), PORTAL_TZ)
                floors = {str(type_id): _seconds(start) for type_id in old["types"]}
            seen[account_id] = {"floors": floors, "pickups": old["pickups"]}
        for account_id, marks in (data.pop("marks", None) or {}).items():
            seen.setdefault(account_id, {"floors": _floors_of_marks(marks), "pickups": []})
        data["seen"] = seen
    if (old_major, old_minor) < (2, 2):  # no places: the missed rounds are the own places'
        data["missed"] = [
            [int(account_id), "", int(type_id), day]
            for account_id, days in (data.get("missed") or {}).items()
            for type_id, day in days.items()
        ]
    data.setdefault("seen", {})
    data.setdefault("absent", {})
    data.setdefault("past_rows", {})
    data.setdefault("primary", {})
    data.setdefault("delays", {})
    data.setdefault("missed", [])
    return data


def _floors_of_marks(marks: Mapping[str, str]) -> dict[str, float | int]:
    """Return the floors of version 1's marks: a pickup later than its type's mark is new."""
    return {
        type_id: _seconds(datetime.fromisoformat(when) + _AFTER) for type_id, when in marks.items()
    }


def renumbered[V](values: Mapping[int, V], old: int, new: int) -> dict[int, V]:
    """Return per-account values with an account's moved to its new number."""
    moved = dict(values)
    if old in moved:
        moved[new] = moved.pop(old)
    return moved


def renumbered_types[K: tuple[Any, ...], V](
    values: Mapping[K, V], old: int, new: int
) -> dict[K, V]:
    """Return values keyed by an account first (and a waste type...), one account renumbered."""
    return {
        (cast("K", (new, *key[1:])) if key[0] == old else key): value
        for key, value in values.items()
    }
