"""A poll, as one step: the entry's state, what was read and the time give the next state.

``step(state, read, now)`` is the whole of a poll's logic, and a pure function: no I/O,
no Home Assistant, no clock of its own, nothing changed in place. It returns the new
state and an ``Outcome``: everything the coordinator then does, in its own order.

A full read (the whole login) brings the account list and each account's data; a look
brings, per account looked at, its count of this year's rows and its pickups if that
count changed; a tick (the day's turn, no read) brings nothing. Then:

1. the accounts: those linked, those missing (believed at the third full read in a
   row: ``confirm.py``), the login's one account given its number once a drop-down
   names it;
2. each account's rows: this year's and the past years', rows that came back short
   kept until believed, the borne openings read once a day;
3. the pickups never seen (by identity: ``models.pickup_key``) and what to check of
   them: the events to tell;
4. the plan: publication delays learnt from the pickups just seen, each waste type's
   rounds, the next poll;
5. the forecasts: each waste type's next expected pickup and the rounds missed (told
   once, at a full read).

The reader (``reader.py``) asks the portal what this module's rules say to ask.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
import logging
import re
from typing import TYPE_CHECKING, Any, Final

from .accounts import Listing, absences, listing
from .api import BORNE_STATISTICS, PORTAL_TZ, Account
from .confirm import CONFIRM_AFTER
from .const import (
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
    EVENT_PICKUP_MISSED,
    EVENT_TYPE_ACCOUNT_LINKED,
    EVENT_TYPE_ACCOUNT_UNLINKED,
    EVENT_TYPE_PICKUP,
)
from .forecast import follow_missed, forecast
from .models import (
    OWN_PLACE,
    AccountState,
    Anomaly,
    EcocitoData,
    Place,
    WasteTypeFigures,
    address_key,
    place_key_of,
    total_weight,
)
from .optional_parts import Note, noted
from .planner import learn_delays, learn_rhythms, recent_times, rounds_of
from .schedule import holiday, plan
from .state import (
    EntryState,
    PastYears,
    Seen,
    renumbered,
    renumbered_types,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from .api import AccountData, AccountList, MonthlyCount, Pickup
    from .forecast import Forecast
    from .models import PickupKey, PlaceKey, TypeKey
    from .schedule import Plan, Rounds

_VISITS: Final = "visits"
_BORNE: Final = "borne_"
DUPLICATE_WINDOW: Final = timedelta(hours=1)
"""A second pickup of a bin within this of the one before is one to check."""


# --- What was read ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """What a full read asks of one account (``ask``)."""

    history_start: date
    """The first day the options keep."""
    today: date
    refresh_past: bool
    """The past years are read again (the day's first full read, or the options changed)."""
    borne_years: tuple[int, ...]
    """The years whose borne openings are asked for (this year's once a day)."""

    @property
    def start(self) -> date:
        """Return the first day read."""
        return self.history_start if self.refresh_past else date(self.today.year, 1, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class FullRead:
    """What a read of the whole login found."""

    linked: AccountList
    accounts: Mapping[int, tuple[Ask, AccountData]]
    """Each account read, what was asked and got (read again once if it came back short).
    An account listed but missing here: the portal refused to switch to it."""
    history_start: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Look:
    """What a look at one account found: its count, and its pickups if that changed."""

    total: int | None
    """This year's rows on the portal (None: the portal gives no total)."""
    pickups: Mapping[int, tuple[Pickup, ...]] | None = None
    """Per waste type, this year's pickups (None: not read, nothing arrived)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Looks:
    """What the looks of a planned poll found (an account refused is missing)."""

    looks: Mapping[int, Look]


type Read = FullRead | Looks | None
"""A full read, looks, or nothing (a tick: the day turned)."""


# --- What follows ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Told:
    """One thing automations are told: a bus event, and the event entity that fires it."""

    event: str
    """The bus event's type."""
    data: Mapping[str, Any]
    """Its data (the coordinator adds the entry's ID)."""
    entity_event: str | None = None
    """The event entity's event type (None: the bus only)."""
    place: PlaceKey | None = None
    """Where: its event entity is that place's, and the event says the place's device
    (None: the login's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """Everything a step asks the coordinator to do."""

    data: EcocitoData
    """What the entities show."""
    told: tuple[Told, ...] = ()
    """What automations are told, in order: accounts linked and unlinked, new pickups,
    rounds missed."""
    unlinked: tuple[int, ...] = ()
    """Accounts whose unlinking is believed: their devices go."""
    places_gone: tuple[PlaceKey, ...] = ()
    """Places whose rows are gone (as believed as any loss): their devices go."""
    renumbered: Mapping[int, int] = field(default_factory=dict)
    """The login's unnumbered account, now that a drop-down names it: its device,
    entities, history and allowance go to that number."""
    rows_changed: frozenset[int] = frozenset()
    """Accounts whose rows changed: their long-term statistics are imported again."""
    plan: Plan[TypeKey] | None = None
    notes: tuple[Note, ...] = ()
    """What to log."""
    failure: str | None = None
    """Why the poll failed though the portal answered (a translation key), if it did."""


# --- The rules the reader follows too ------------------------------------------------


def ask(state: EntryState, account_id: int, today: date, history_start: date) -> Ask:
    """Return what a full read asks of an account: which days, which borne years.

    The past years are read at the day's first full read (or when the options keep
    others); the borne statistics, monthly figures, once a day (once a day too when
    they fail).
    """
    past = state.past.get(account_id)
    refresh_past = history_start.year < today.year and (
        past is None or past.fetched_on != today or past.start != history_start
    )
    first = history_start if refresh_past else date(today.year, 1, 1)
    return Ask(
        history_start=history_start,
        today=today,
        refresh_past=refresh_past,
        borne_years=tuple(
            year
            for year in range(first.year, today.year + 1)
            if year < today.year or state.bornes_read.get(account_id) != today
        ),
    )


def came_back_short(state: EntryState, held_id: int, asked: Ask, fetched: AccountData) -> bool:
    """Return whether a read has fewer rows than the last good one, of any kind.

    ``held_id``: the account's number in the state (the login's unnumbered account
    read under its new number is held under the old one).
    """
    before = _held_this_year(state, held_id, asked.today)
    _past, _rows, short_year, short_past = account_rows(
        before, state.past.get(held_id), state.past_rows.get(held_id), asked, fetched
    )
    return short_year or short_past


def _held_this_year(state: EntryState, account_id: int, today: date) -> AccountState | None:
    """Return an account's data held, as a read of ``today`` compares with (a new year: none)."""
    held = state.held
    if held is None or held.year != today.year:
        return None
    return held.accounts.get(account_id)


def account_rows(
    before: AccountState | None,
    past: PastYears | None,
    past_rows: tuple[date, Mapping[str, int]] | None,
    asked: Ask,
    fetched: AccountData,
) -> tuple[PastYears, AccountState, bool, bool]:
    """Split a read into the past years and this year; say which part came back short.

    ``before``: this year's data held; ``past``, ``past_rows``: the past years held,
    and their row counts at the last good read. Borne openings not read (not due today,
    or failing) keep their last figures.
    """
    today = asked.today
    year_start = date(today.year, 1, 1)
    bornes = fetched.borne_drop_offs
    this_year = before.drop_offs if before is not None else {}
    past_bornes = past.drop_offs if past is not None else {}
    if bornes is not None:
        if today.year in asked.borne_years:
            this_year = _months(bornes, lambda year: year == today.year)
        if any(year < today.year for year in asked.borne_years):
            past_bornes = _months(bornes, lambda year: year < today.year)
    new_past = PastYears(
        start=asked.history_start,
        fetched_on=today,
        pickups=tuple(p for p in fetched.pickups if p.date.date() < year_start),
        visits=tuple(v for v in fetched.visits if v.date.date() < year_start),
        drop_offs=past_bornes,
    )
    rows = AccountState(
        account=fetched.account,
        waste_types=fetched.waste_types,
        pickups=tuple(p for p in fetched.pickups if p.date.date() >= year_start),
        visits=tuple(v for v in fetched.visits if v.date.date() >= year_start),
        drop_offs=this_year,
    )
    types = {waste_type.id for waste_type in fetched.waste_types}
    reference = (
        past_rows[1]
        if asked.refresh_past and past_rows and past_rows[0] == asked.history_start
        else None
    )
    short_year = before is not None and _shorter(types, _rows(rows), _rows(before))
    short_past = reference is not None and _shorter(types, _rows(new_past), reference)
    return new_past, rows, short_year, short_past


def _months(
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]], keep: Callable[[int], bool]
) -> dict[int, tuple[MonthlyCount, ...]]:
    """Return the monthly borne openings of the years kept, per waste type."""
    return {
        type_id: tuple(month for month in months if keep(month.year))
        for type_id, months in drop_offs.items()
    }


def _rows(read: AccountState | PastYears) -> dict[str, int]:
    """Return how many rows of each kind a read has: pickups per waste type, visits, borne openings.

    A borne's "rows" are its openings: a count going down is a short read too.
    """
    rows: Counter[str] = Counter(str(pickup.waste_type_id) for pickup in read.pickups)
    rows[_VISITS] = len(read.visits)
    for type_id, months in read.drop_offs.items():
        if openings := sum(month.count for month in months):
            rows[f"{_BORNE}{type_id}"] = openings
    return dict(rows)


def _shorter(waste_types: Iterable[int], rows: dict[str, int], before: Mapping[str, int]) -> bool:
    """Return whether a read has fewer rows than the last good one, of any kind.

    A waste type no longer listed has no short rows: its entities go with it.
    """
    listed = {_VISITS} | {
        key for type_id in waste_types for key in (str(type_id), f"{_BORNE}{type_id}")
    }
    return any(rows.get(key, 0) < count for key, count in before.items() if key in listed)


# --- Pickups: their identity, what to check, their figures --------------------------


def pickup_key(pickup: Pickup) -> PickupKey:
    """Return the identity of a pickup (see ``models.PickupKey``)."""
    return (pickup.date, pickup.waste_type_id, pickup.bin_number, pickup.chip_number)


def pickup_anomalies(pickups: Iterable[Pickup]) -> dict[Pickup, Anomaly]:
    """Return the pickups to check, and why, among an account's pickups (oldest first).

    Of two pickups of a bin within the hour, the later one is the duplicate; a
    duplicate weighed at 0 kg is reported as the duplicate. Two bins of one type (a
    business, a building), told apart by their bin and chip numbers, are no duplicate.
    """
    anomalies: dict[Pickup, Anomaly] = {}
    previous: dict[tuple[int, str | None, str | None], Pickup] = {}
    for pickup in pickups:
        bin_key = (pickup.waste_type_id, pickup.bin_number, pickup.chip_number)
        before = previous.get(bin_key)
        previous[bin_key] = pickup
        if before is not None and pickup.date - before.date < DUPLICATE_WINDOW:
            anomalies[pickup] = Anomaly.DUPLICATE
        elif pickup.weight == 0:
            anomalies[pickup] = Anomaly.ZERO_WEIGHT
    return anomalies


def pickup_data(account: AccountState, pickup: Pickup) -> dict[str, Any]:
    """Return a pickup as events and actions give it."""
    return {
        "date": pickup.date.isoformat(),
        "waste_type_id": pickup.waste_type_id,
        "waste_type": account.labels.get(pickup.waste_type_id),
        "weight": pickup.weight,
    }


def waste_type_figures(
    waste_types: Iterable[int], pickups: Iterable[Pickup], past: Iterable[Pickup]
) -> dict[int, WasteTypeFigures]:
    """Return each waste type's figures from this year's and the past years' pickups.

    Both oldest first; one pass over each.
    """
    this_year: dict[int, list[Pickup]] = {}
    before: dict[int, dict[str, list[Pickup]]] = {}
    for pickup in pickups:
        this_year.setdefault(pickup.waste_type_id, []).append(pickup)
    for pickup in past:
        of_type = before.setdefault(pickup.waste_type_id, {})
        of_type.setdefault(str(pickup.date.year), []).append(pickup)
    figures: dict[int, WasteTypeFigures] = {}
    for type_id in waste_types:
        mine, older = this_year.get(type_id, []), before.get(type_id, {})
        every = (*(p for year in sorted(older) for p in older[year]), *mine)
        years = sorted(older, reverse=True)
        figures[type_id] = WasteTypeFigures(
            count=len(mine),
            weight=total_weight(mine),
            last=mine[-1] if mine else None,
            bin_number=next(
                (p.bin_number for p in reversed(every) if p.bin_number is not None), None
            ),
            chip_number=next(
                (p.chip_number for p in reversed(every) if p.chip_number is not None), None
            ),
            counts_before={year: len(older[year]) for year in years},
            weights_before={year: total_weight(older[year]) for year in years},
        )
    return figures


# --- The step ------------------------------------------------------------------------


def step(state: EntryState, read: Read, now: datetime) -> tuple[EntryState, Outcome]:
    """Return the state after a poll that read ``read`` at ``now``, and what follows."""
    work = _Step(state, now)
    if isinstance(read, FullRead):
        if (failure := work.full_read(read)) is not None:
            return work.failed(failure)
    elif isinstance(read, Looks):
        work.looks(read)
    return work.finish(full=isinstance(read, FullRead), polled=read is not None)


class _Step:
    """One step's work, on copies of the state's parts: the state itself is never changed."""

    def __init__(self, state: EntryState, now: datetime) -> None:
        self.state = state
        self.now = now
        held = state.held
        today = now.astimezone(PORTAL_TZ).date()
        # The same day keeps its object: entities compare what they show by identity.
        self.today = held.today if held is not None and held.today == today else today
        self.accounts: dict[int, AccountState] = dict(held.accounts) if held else {}
        self.first_day = held.first_day if held else date(self.today.year, 1, 1)
        self.known = dict(state.known)
        self.seen = dict(state.seen)
        self.absent = dict(state.absent)
        self.past_rows = dict(state.past_rows)
        self.delays = dict(state.delays)
        self.missed = dict(state.missed)
        self.past = dict(state.past)
        self.short = dict(state.short)
        self.totals = dict(state.totals)
        self.bornes_read = dict(state.bornes_read)
        self.failing = dict(state.failing)
        self.foreign_rows = dict(state.foreign_rows)
        self.looked_at = dict(state.looked_at)
        self.empty_lists = state.empty_lists
        self.looked: set[int] = set()
        self.told: list[Told] = []
        self.unlinked: list[int] = []
        self.renumbered: dict[int, int] = {}
        self.notes: list[Note] = []
        self.anomalies: dict[int, Mapping[Pickup, Anomaly]] = {}
        self.figures: dict[TypeKey, WasteTypeFigures] = {}
        self.places: dict[PlaceKey, Place] = {}
        self.primary = dict(state.primary)

    def note(self, level: int, message: str, *args: object) -> None:
        self.notes.append(Note(level, message, args))

    # --- A full read ---------------------------------------------------------------

    def full_read(self, read: FullRead) -> str | None:
        """Take a read of the whole login; return why it fails, if it does."""
        if read.linked.accounts or not self.known:
            self.empty_lists = 0
        else:
            self.empty_lists += 1
            if self.empty_lists < CONFIRM_AFTER:
                self.note(
                    logging.DEBUG, "The portal listed no account (%s in a row)", self.empty_lists
                )
                return "no_accounts"
        listed = listing(read.linked, self.known)
        self._fail(None, listed.problems)
        for old, new in listed.renumbered.items():
            self._renumber(old, new)
        held = self.state.held
        previous = self.accounts
        this_year = held is not None and held.year == self.today.year
        self.accounts = {}
        for account in listed.read:
            if (got := read.accounts.get(account.id)) is None:
                # Listed, yet the portal refused to switch to it: a failed read.
                if account.id in previous:
                    self.accounts[account.id] = previous[account.id]
                continue
            self._account(account.id, previous.get(account.id) if this_year else None, *got)
        for account_id in listed.kept:
            if account_id in previous:
                self.accounts.setdefault(account_id, previous[account_id])
        self._follow_accounts(listed, previous, new_login=held is None)
        self.past_rows = {k: v for k, v in self.past_rows.items() if k in self.known}
        self.past = {k: v for k, v in self.past.items() if k in self.accounts}
        self.short = {k: v for k, v in self.short.items() if k in self.accounts}
        self.totals = {}  # what a look compares with is the data just read
        self.looked = set(self.accounts)
        self.first_day = read.history_start
        return None

    def _follow_accounts(
        self, listed: Listing, previous: Mapping[int, AccountState], *, new_login: bool
    ) -> None:
        """Tell the accounts linked and unlinked; keep the last data of those missing.

        ``new_login``: the first read since a start, where no account is "linked".
        """
        self.absent, unlinked = absences(self.known, listed, self.absent)
        for account_id, count in self.absent.items():
            self.note(
                logging.INFO,
                "Account %s is missing from the portal's list (%s of %s polls)",
                account_id,
                count,
                CONFIRM_AFTER,
            )
            if account_id in previous:
                self.accounts[account_id] = previous[account_id]
        for account in listed.read:
            if not new_login and account.id not in self.known:
                self._tell_account(EVENT_ACCOUNT_LINKED, EVENT_TYPE_ACCOUNT_LINKED, account)
        for account_id in unlinked:
            before = previous.get(account_id)
            account = (
                before.account if before else Account(id=account_id, label=self.known[account_id])
            )
            self._tell_account(EVENT_ACCOUNT_UNLINKED, EVENT_TYPE_ACCOUNT_UNLINKED, account)
            self._forget(account_id)
        self.unlinked = unlinked
        self.known = {
            **{account_id: self.known[account_id] for account_id in self.absent},
            **listed.listed,
        }

    def _tell_account(self, event: str, entity_event: str, account: Account) -> None:
        self.told.append(
            Told(
                event=event,
                data={"account_id": account.id, "label": account.label},
                entity_event=entity_event,
            )
        )

    def _account(
        self, account_id: int, before: AccountState | None, asked: Ask, fetched: AccountData
    ) -> None:
        """Take one account's read; fewer rows than at the last good read are not taken.

        It was read again once; still short, the previous figures are kept until it has
        come back short CONFIRM_AFTER full reads in a row (the portal does correct
        mistakes). The same goes for the past years.
        """
        new_past, rows, short_year, short_past = account_rows(
            before, self.past.get(account_id), self.past_rows.get(account_id), asked, fetched
        )
        if short_year or short_past:
            count = self.short[account_id] = self.short.get(account_id, 0) + 1
            if count >= CONFIRM_AFTER:
                del self.short[account_id]
                self.note(
                    logging.INFO,
                    "Account %s has fewer pickups or visits (or borne openings) on the portal",
                    account_id,
                )
                short_year = short_past = False
            elif count == 1:
                self.note(
                    logging.WARNING,
                    "The portal returned fewer pickups or visits (or borne openings) for "
                    "account %s than at the last poll; the previous figures are kept until "
                    "it has done so %s polls in a row",
                    account_id,
                    CONFIRM_AFTER,
                )
        else:
            self.short.pop(account_id, None)
        today = asked.today
        if today.year in asked.borne_years and (
            fetched.borne_drop_offs is not None or BORNE_STATISTICS in fetched.problems
        ):
            self.bornes_read[account_id] = today
        problems = dict(fetched.problems)
        failing = self.failing.get(account_id, {})
        if today.year not in asked.borne_years and BORNE_STATISTICS in failing:
            # Not asked again today: failing still, until the day's read says otherwise.
            problems[BORNE_STATISTICS] = failing[BORNE_STATISTICS]
        self._fail(account_id, problems)
        if fetched.foreign_rows:
            self.foreign_rows[account_id] = fetched.foreign_rows
        else:
            self.foreign_rows.pop(account_id, None)
        past = self.past.get(account_id)
        if asked.refresh_past and not short_past:
            past = self.past[account_id] = new_past
            self.past_rows[account_id] = (asked.history_start, _rows(new_past))
        elif asked.refresh_past and (past is None or past.start != asked.history_start):
            # Short, with nothing read before it since a restart: shown, read again.
            past = self.past[account_id] = replace(new_past, fetched_on=date.min)
        if short_year and before is not None:
            rows = replace(before, account=fetched.account)  # its figures, the portal's label
        history = asked.history_start.year < today.year
        kept = past if past and history else None
        rows = replace(
            rows,
            past_pickups=kept.pickups if kept else (),
            past_visits=kept.visits if kept else (),
            past_drop_offs=kept.drop_offs if kept else {},
        )
        # The previous object when nothing changed: entities compare states by
        # identity and write nothing for an account the poll left as it was.
        self.accounts[account_id] = before if before == rows else rows

    def _fail(self, account_id: int | None, problems: Mapping[str, str]) -> None:
        self.failing, notes = noted(self.failing, account_id, problems)
        self.notes.extend(notes)

    def _renumber(self, old: int, new: int) -> None:
        """Keep what is known of an account under its number, now that the portal says it."""
        self.note(
            logging.INFO, "The portal names the login's account now: it becomes account %s", new
        )
        self.renumbered[old] = new
        self.accounts = renumbered(self.accounts, old, new)
        self.seen = renumbered(self.seen, old, new)
        self.past_rows = renumbered(self.past_rows, old, new)
        self.past = renumbered(self.past, old, new)
        self.short = renumbered(self.short, old, new)
        self.bornes_read = renumbered(self.bornes_read, old, new)
        self.failing = {(new if key == old else key): value for key, value in self.failing.items()}
        self.foreign_rows = renumbered(self.foreign_rows, old, new)
        self.looked_at = renumbered(self.looked_at, old, new)
        self.delays = renumbered_types(self.delays, old, new)
        self.missed = renumbered_types(self.missed, old, new)
        self.primary = renumbered(self.primary, old, new)
        self.absent.pop(old, None)
        self.known = renumbered(self.known, old, new)

    def _forget(self, account_id: int) -> None:
        """Forget an account whose unlinking is believed."""
        self.accounts.pop(account_id, None)
        self.seen.pop(account_id, None)
        self.past_rows.pop(account_id, None)
        self.primary.pop(account_id, None)
        self.delays = {key: v for key, v in self.delays.items() if key[0] != account_id}
        self.missed = {key: v for key, v in self.missed.items() if key[0] != account_id}

    # --- Looks ---------------------------------------------------------------------

    def looks(self, read: Looks) -> None:
        """Take the looks of a planned poll: the pickups of the accounts where some came.

        Pickups that came back fewer than held are left as they were: the next full
        read confirms it (or not) as any short read.
        """
        for account_id, look in read.looks.items():
            if (before := self.accounts.get(account_id)) is None:
                continue
            self.looked.add(account_id)
            if look.pickups is None:
                continue
            pickups = before.pickups
            for type_id, fresh in look.pickups.items():
                if len(fresh) >= len(before.pickups_of(type_id)):
                    others = (p for p in pickups if p.waste_type_id != type_id)
                    pickups = tuple(sorted((*others, *fresh), key=lambda p: p.date))
            if pickups != before.pickups:
                self.accounts[account_id] = replace(before, pickups=pickups)
            # Rows the data does not hold (of another type, or short and kept): what the
            # next look is to compare with.
            if look.total is not None and look.total != len(pickups):
                self.totals[account_id] = look.total
            else:
                self.totals.pop(account_id, None)

    # --- What every step does ------------------------------------------------------

    def finish(self, *, full: bool, polled: bool) -> tuple[EntryState, Outcome]:
        """Find the new pickups, plan the next poll, follow the rounds; return all.

        ``full``: a full read; ``polled``: the portal was asked (not the day's turn).
        """
        state, now = self.state, self.now
        held = state.held
        previous = held.accounts if held else {}
        changed = [
            account_id
            for account_id, account in self.accounts.items()
            if previous.get(account_id) is not account
        ]
        kept = {account_id for account_id in self.accounts if account_id not in changed}
        self.places = {k: v for k, v in (held.places if held else {}).items() if k[0] in kept}
        self.figures = {k: v for k, v in (held.figures if held else {}).items() if k[0] in kept}
        self.anomalies = {k: v for k, v in (held.anomalies if held else {}).items() if k in kept}
        for account_id in changed:
            self._changed(account_id)
        places_gone = tuple(
            key
            for key in (held.places if held else {})
            if key[0] in changed and key not in self.places and key[1] != OWN_PLACE
        )
        for account_id in self.looked:
            self.looked_at[account_id] = now
        self.looked_at = {k: v for k, v in self.looked_at.items() if k in self.accounts}
        data = EcocitoData(
            accounts=self.accounts,
            year=self.today.year if held is None or full else held.year,
            first_day=self.first_day,
            today=self.today,
            places=self.places,
            figures=self.figures,
            anomalies=self.anomalies,
        )
        recent = recent_times(data, now)
        rhythms = learn_rhythms(state.rhythms, recent, now)
        found = rounds_of(self.delays, recent, rhythms, self.looked_at, now)
        last_full = now if full else state.last_full
        # The day's turn plans nothing: the poll planned stays the one planned.
        planned = plan(found, last_full=last_full, now=now, tz=PORTAL_TZ) if polled else state.plan
        self.missed, newly = follow_missed(self.missed, found, now, PORTAL_TZ, confirmed=full)
        for (account_id, place, type_id), day in newly:
            account = self.accounts[account_id]
            self.told.append(
                Told(
                    event=EVENT_PICKUP_MISSED,
                    data={
                        "account_id": account_id,
                        "address": data.places[(account_id, place)].address,
                        "waste_type_id": type_id,
                        "waste_type": account.labels.get(type_id),
                        "expected_date": day.isoformat(),
                        "holiday": holiday(day),
                    },
                    place=(account_id, place),
                )
            )
        data = replace(
            data,
            forecasts=_forecasts(data, found, recent, self.missed, held, now),
            next_poll=planned.at if planned else None,
        )
        new_state = replace(
            state,
            seen=self.seen,
            absent=self.absent,
            past_rows=self.past_rows,
            delays=self.delays,
            missed=self.missed,
            primary=self.primary,
            known=self.known,
            held=data,
            poll=state.poll + (1 if polled else 0),
            empty_lists=self.empty_lists,
            past=self.past,
            short=self.short,
            totals=self.totals,
            bornes_read=self.bornes_read,
            failing=self.failing,
            foreign_rows=self.foreign_rows,
            looked_at=self.looked_at,
            last_full=last_full,
            rhythms=rhythms,
            plan=planned,
        )
        return new_state, Outcome(
            data=data,
            told=tuple(self.told),
            unlinked=tuple(self.unlinked),
            places_gone=places_gone,
            renumbered=self.renumbered,
            rows_changed=frozenset(changed),
            plan=planned if polled else None,
            notes=tuple(self.notes),
        )

    def failed(self, failure: str) -> tuple[EntryState, Outcome]:
        """Return the state of a poll that failed, and why (nothing else changes)."""
        held = self.state.held
        data = held or EcocitoData(
            accounts={}, year=self.today.year, first_day=self.first_day, today=self.today
        )
        return replace(self.state, empty_lists=self.empty_lists), Outcome(
            data=data, notes=tuple(self.notes), failure=failure
        )

    def _changed(self, account_id: int) -> None:
        """Work out what an account whose rows changed shows, and what it tells.

        Its places, their waste types' figures, its pickups to check; its pickups never
        seen before, each told once, and the publication delays they measure. Not new:
        the pickups of a waste type seen for the first time, and those older than its
        floor (the options now keep more years). A pickup the portal no longer shows
        stays seen: if it comes back, it is not new. What is older than the first day
        kept is forgotten.
        """
        account = self.accounts[account_id]
        every = account.all_pickups
        place_of = self._places(account_id, account, every)
        for place in place_of.values():
            self.places[(account_id, place.key)] = place
            for type_id, figures in waste_type_figures(
                place.waste_types, place.pickups, place.past_pickups
            ).items():
                self.figures[(account_id, place.key, type_id)] = figures
        anomalies = self.anomalies[account_id] = pickup_anomalies(every)
        seen = self.seen.get(account_id) or Seen(floors={}, counts={})
        shown: Counter[PickupKey] = Counter()
        new: list[Pickup] = []
        for pickup in every:
            key = pickup_key(pickup)
            shown[key] += 1
            floor = seen.floors.get(pickup.waste_type_id)
            if floor is not None and pickup.date >= floor and shown[key] > seen.counts.get(key, 0):
                new.append(pickup)
                place = place_of[self._place_key(account_id, pickup)]
                self.told.append(
                    Told(
                        event=EVENT_PICKUP,
                        data={
                            "account_id": account_id,
                            "address": place.address,
                            **pickup_data(account, pickup),
                            "anomaly": anomalies.get(pickup),
                        },
                        entity_event=EVENT_TYPE_PICKUP,
                        place=(account_id, place.key),
                    )
                )
        first = datetime.combine(self.first_day, time(), PORTAL_TZ)
        counts = Counter(seen.counts) | shown
        self.seen[account_id] = Seen(
            floors=dict.fromkeys(
                {*seen.floors, *(waste_type.id for waste_type in account.waste_types)}, first
            ),
            counts={key: n for key, n in counts.items() if key[0] >= first},
        )
        self.delays = learn_delays(
            self.delays, self.looked_at.get(account_id), account_id, new, self.now
        )

    def _place_key(self, account_id: int, pickup: Pickup) -> str:
        """Return the key of a pickup's place: its address's, or the account's own."""
        return place_key_of(pickup.address, self.primary.get(account_id))

    def _places(
        self, account_id: int, account: AccountState, every: Iterable[Pickup]
    ) -> dict[str, Place]:
        """Return an account's places: its own, then one per other address its rows carry.

        The account's own place is the address it had first: where its rows carry
        several the first time, the one its label names, else that of its oldest pickup;
        rows without an address are the own place's too. An address that appears later
        is a place of its own; the own place keeps everything it had. ``every``: its
        pickups of every year kept.
        """
        written: dict[str, str] = {}
        for pickup in every:
            if pickup.address:
                written.setdefault(address_key(pickup.address), pickup.address)
        if account_id not in self.primary and written:
            label = address_key(account.account.label)
            named = [key for key in written if key and key in label]
            self.primary[account_id] = named[0] if named else next(iter(written))
        this_year: dict[str, list[Pickup]] = {OWN_PLACE: []}
        past: dict[str, list[Pickup]] = {OWN_PLACE: []}
        for pickups, into in ((account.pickups, this_year), (account.past_pickups, past)):
            for pickup in pickups:
                into.setdefault(self._place_key(account_id, pickup), []).append(pickup)
        own = written.get(self.primary.get(account_id, OWN_PLACE))
        places: dict[str, Place] = {}
        for key in sorted({*this_year, *past}, key=lambda key: (key != OWN_PLACE, key)):
            mine, before = this_year.get(key, []), past.get(key, [])
            lifted = {pickup.waste_type_id for pickup in (*before, *mine)}
            single = key == OWN_PLACE and len(this_year) == len(past) == 1
            places[key] = Place(
                account_id=account_id,
                key=key,
                name=(own or _without_number(account.account.label))
                if key == OWN_PLACE
                else written[key],
                address=own if key == OWN_PLACE else written[key],
                waste_types=tuple(t.id for t in account.waste_types if t.id in lifted),
                # One place: its pickups are the account's (the same tuples).
                pickups=account.pickups if single else tuple(mine),
                past_pickups=account.past_pickups if single else tuple(before),
            )
        return places


def _without_number(label: str) -> str:
    """Return an account's label without its number ("N° 104233 - 12 RUE…": "12 RUE…")."""
    return re.sub(r"^N°\s*\d+\s*[-\u2013]\s*", "", label) or label


def _forecasts(
    data: EcocitoData,
    found: Mapping[TypeKey, Rounds],
    recent: Mapping[TypeKey, list[datetime]],
    missed: Mapping[TypeKey, date],
    held: EcocitoData | None,
    now: datetime,
) -> dict[TypeKey, Forecast]:
    """Return each waste type's forecast; one the same as before keeps its object."""
    before = held.forecasts if held else {}
    found_now: dict[TypeKey, Forecast] = {}
    for key, rounds in found.items():
        account = data.accounts[key[0]]
        new = forecast(
            rounds.rhythm,
            recent.get(key, ()),
            now,
            PORTAL_TZ,
            borne=key[2] in account.borne_types,
            missed=missed.get(key),
        )
        old = before.get(key)
        found_now[key] = old if old == new and old is not None else new
    return found_now
