"""Reading the portal into the coordinator's data: the whole login, or only the tables due.

A read of the whole login logs in (a fresh session), lists the linked accounts and reads
each one: its waste types, this year's pickups, visits and borne openings, and once a
day the past years the options keep. What the portal says of a loss is believed only
once repeated (``confirm.py``): an account missing from the drop-down keeps its device
and last data, a table with fewer rows than the last good read keeps its figures, until
CONFIRM_AFTER polls in a row agree. Home Assistant-free: it is given the client, the
entry's memory, the time and the options.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
import logging
from typing import TYPE_CHECKING, Final

from .api import (
    PORTAL_TZ,
    UNNUMBERED_ACCOUNT_ID,
    Account,
    UnknownAccountError,
    casefold_without_accents,
)
from .confirm import CONFIRM_AFTER, Streak
from .models import AccountState, EcocitoData

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime

    from .api import AccountData, AccountList, EcocitoClient, MonthlyCount, Pickup, Visit
    from .memory import Memory
    from .planner import TableKey

_LOGGER = logging.getLogger(__package__)

_VISITS: Final = "visits"
_BORNE: Final = "borne_"


ACCOUNT_DROP_DOWN: Final = "account_drop_down"
BORNE_STATISTICS: Final = "borne_statistics"
_FAILING: Final = {
    ACCOUNT_DROP_DOWN: "The portal's pages show no account drop-down: the accounts it listed "
    "before keep their last data until it shows again",
    BORNE_STATISTICS: "The portal's borne statistics could not be read (%s): only the borne "
    "figures are affected, and they keep their last value",
}
_BACK: Final = {
    ACCOUNT_DROP_DOWN: "The portal's pages show the account drop-down again",
    BORNE_STATISTICS: "The portal's borne statistics are read again",
}


class NoAccountsError(Exception):
    """The drop-down listed no account where accounts were linked: not believed yet."""


@dataclass(slots=True)
class _Listing:
    """What the login's account list says, and what the reader makes of it."""

    read: list[Account]
    """The accounts to read."""
    listed: dict[int, str]
    """The accounts the list shows (or that it says nothing against), and their labels."""
    kept: list[int] = field(default_factory=list)
    """Known accounts the list says nothing of: their last data stays."""
    renumbered: dict[int, int] = field(default_factory=dict)
    """The unnumbered account's number, now that a drop-down names it."""
    problems: dict[str, str] = field(default_factory=dict)


def _listing(linked: AccountList, known: Mapping[int, str]) -> _Listing:
    """Read the account list against the accounts already known.

    A login whose pages show no drop-down is one account. But where several accounts
    are known, a missing drop-down says nothing of them: they keep their last data,
    and the account the page names (if known) is read. Once a drop-down appears, the
    unnumbered account of such a login is the one it names alike (by address), else
    the one it selects.
    """
    listed = {account.id: account.label for account in linked.accounts}
    if not linked.listed and len(known) > 1:
        named = [account for account in linked.accounts if account.id in known]
        return _Listing(
            read=named,
            listed={**known, **{account.id: account.label for account in named}},
            kept=[account_id for account_id in known if account_id not in listed],
            problems={ACCOUNT_DROP_DOWN: "the pages show no account drop-down"},
        )
    renumbered: dict[int, int] = {}
    if linked.listed and UNNUMBERED_ACCOUNT_ID in known and UNNUMBERED_ACCOUNT_ID not in listed:
        label = casefold_without_accents(known[UNNUMBERED_ACCOUNT_ID])
        new = [account for account in linked.accounts if account.id not in known]
        same = [a for a in new if label and label in casefold_without_accents(a.label)]
        chosen = same or [a for a in new if a.id == linked.active_id] or new[:1]
        if chosen:
            renumbered[UNNUMBERED_ACCOUNT_ID] = chosen[0].id
    return _Listing(read=list(linked.accounts), listed=listed, renumbered=renumbered)


@dataclass(slots=True)
class Read:
    """What one successful read found."""

    data: EcocitoData
    tables: set[TableKey]
    """The tables read (one account's pickups of one waste type)."""
    full: bool
    """The whole login was read (accounts, visits, borne openings)."""
    linked: list[Account] = field(default_factory=list)
    """Accounts never seen before (not at the first read after a start)."""
    unlinked: list[Account] = field(default_factory=list)
    """Accounts whose unlinking is now confirmed."""
    renumbered: dict[int, int] = field(default_factory=dict)
    """The login's unnumbered account (``UNNUMBERED_ACCOUNT_ID``), now that a drop-down
    names it: its device, entities and history go to that number."""


@dataclass(slots=True)
class _PastYears:
    start: date
    """The first day read: the options may change how many years are kept."""
    fetched_on: date
    pickups: tuple[Pickup, ...]
    visits: tuple[Visit, ...]
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]]


class Reader:
    """Read one login's accounts from the portal."""

    def __init__(
        self, client: EcocitoClient, memory: Memory, devices: Callable[[], dict[int, str]]
    ) -> None:
        """Read through ``client``; ``devices`` lists the accounts that have a device."""
        self._client = client
        self._memory = memory
        self._devices = devices
        self._known: dict[int, str] | None = None
        """Accounts known so far, and their labels (those with a device, at first)."""
        self._past: dict[int, _PastYears] = {}
        self._short: Streak[int] = Streak()
        """Accounts whose tables came back short: polls in a row."""
        self._empty: Streak[None] = Streak()
        self._bornes_read: dict[int, date] = {}
        """Per account, the day its borne statistics were last read (once a day)."""
        self.problems: dict[int | None, dict[str, str]] = {}
        """Per account (None: the login), the optional parts of the portal that fail, and why."""

    async def read_login(self, held: EcocitoData | None, history_years: int, now: datetime) -> Read:
        """Log in (a fresh session), then read every linked account.

        An empty drop-down where accounts were linked raises NoAccountsError,
        CONFIRM_AFTER - 1 times in a row; an account whose switch is refused keeps its
        last data.
        """
        if self._known is None:
            self._known = self._devices()
        known = self._known
        # A login whose pages never name its one account: it is the one already known.
        self._client.unnumbered_id = next(iter(known)) if len(known) == 1 else None
        linked = await self._client.login()
        if linked.accounts or not known:
            self._empty.clear(None)
        elif not self._empty.note(None):
            _LOGGER.debug("The portal listed no account (%s in a row)", self._empty.count(None))
            raise NoAccountsError
        listing = _listing(linked, known)
        self._note_problems(None, listing.problems)
        today = now.astimezone(PORTAL_TZ).date()
        history_start = date(today.year - history_years, 1, 1)
        previous = dict(held.accounts) if held else {}
        for old, new in listing.renumbered.items():
            if old in previous:
                previous[new] = previous.pop(old)
        accounts: dict[int, AccountState] = {}
        for account in listing.read:
            before = previous.get(account.id)
            if held is not None and held.year != today.year:
                before = None  # a new year: this year's tables start empty
            try:
                state = await self._read_account(account.id, before, today, history_start)
            except UnknownAccountError as err:
                # Listed, yet the portal refused to switch to it: a failed read.
                _LOGGER.info("The portal refused to switch to account %s: %s", account.id, err)
                if account.id in previous:
                    accounts[account.id] = previous[account.id]
                continue
            # Keep the previous object when nothing changed: entities compare states by
            # identity and write nothing for an account the poll left as it was.
            accounts[account.id] = before if before == state else state
        for account_id in listing.kept:
            if account_id in previous:
                accounts.setdefault(account_id, previous[account_id])
        unlinked = self._count_absent(known, listing, previous, accounts)
        for gone in set(self._past) - set(accounts):
            del self._past[gone]
        self._short.keep(accounts)
        return Read(
            data=EcocitoData(accounts=accounts, year=today.year, first_day=history_start),
            tables={(a, t.id) for a, state in accounts.items() for t in state.waste_types},
            full=True,
            linked=[]
            if held is None
            else [
                account
                for account in listing.read
                if account.id not in known and account.id not in listing.renumbered.values()
            ],
            unlinked=unlinked,
            renumbered=listing.renumbered,
        )

    async def read_due(self, held: EcocitoData, due: frozenset[TableKey], now: datetime) -> Read:
        """Read only this year's pickups of the tables due: no account list, no visits.

        A table that comes back shorter than held is left as it was: the next read of the
        whole login confirms it (or not) as any short table.
        """
        today = now.astimezone(PORTAL_TZ).date()
        accounts = dict(held.accounts)
        by_account: dict[int, list[int]] = {}
        for account_id, type_id in sorted(due):
            by_account.setdefault(account_id, []).append(type_id)
        read: set[TableKey] = set()
        for account_id, type_ids in by_account.items():
            if (before := accounts.get(account_id)) is None:
                continue
            try:
                tables = await self._client.get_pickups(
                    account_id,
                    [t for t in before.waste_types if t.id in type_ids],
                    date(today.year, 1, 1),
                    today,
                )
            except UnknownAccountError as err:
                _LOGGER.info("The portal refused to switch to account %s: %s", account_id, err)
                continue
            pickups = before.pickups
            for type_id, fresh in tables.items():
                read.add((account_id, type_id))
                if len(fresh) >= len(before.pickups_of(type_id)):
                    others = (p for p in pickups if p.waste_type_id != type_id)
                    pickups = tuple(sorted((*others, *fresh), key=lambda p: p.date))
            if pickups != before.pickups:
                accounts[account_id] = replace(before, pickups=pickups)
        return Read(data=replace(held, accounts=accounts), tables=read, full=False)

    def _count_absent(
        self,
        known: dict[int, str],
        listing: _Listing,
        previous: Mapping[int, AccountState],
        accounts: dict[int, AccountState],
    ) -> list[Account]:
        """Count the polls known accounts are missing from; return those now unlinked.

        An account still missing keeps its last data in ``accounts``.
        """
        absent = self._memory.absent
        unlinked: list[Account] = []
        listed = listing.listed
        for account_id, label in known.items():
            if account_id in listed or account_id in listing.renumbered:
                absent.clear(account_id)
                continue
            before = previous.get(account_id)
            if absent.note(account_id):
                unlinked.append(before.account if before else Account(id=account_id, label=label))
                absent.clear(account_id)
                self._memory.forget(account_id)
                continue
            _LOGGER.info(
                "Account %s is missing from the portal's list (%s of %s polls)",
                account_id,
                absent.count(account_id),
                CONFIRM_AFTER,
            )
            if before is not None:
                accounts[account_id] = before
        missing = {key: count for key, count in absent.counts().items() if key in known}
        absent.keep(missing)
        self._known = {**{key: known[key] for key in missing}, **listed}
        for gone in set(self._memory.past_rows) - set(self._known):
            del self._memory.past_rows[gone]
        return unlinked

    async def _read_account(
        self, account_id: int, before: AccountState | None, today: date, history_start: date
    ) -> AccountState:
        """Read one account; a table shorter than at the last good read is not taken at once.

        A short table is read again once; still short, the previous figures are kept
        until it has come back short CONFIRM_AFTER polls in a row (the portal does
        correct mistakes). The same goes for the past years read at the day's first poll.
        The borne statistics, monthly figures, are read once a day with the past years.
        """
        year_start = date(today.year, 1, 1)
        past = self._past.get(account_id)
        history = history_start.year < today.year
        refresh_past = history and (
            past is None or past.fetched_on != today or past.start != history_start
        )
        start = history_start if refresh_past else year_start
        borne_years = [
            year
            for year in range(start.year, today.year + 1)
            if year < today.year or self._bornes_read.get(account_id) != today
        ]
        # The past years' row counts survive a restart: a short history read right
        # after one is caught too.
        past_rows = self._memory.past_rows.get(account_id)
        reference = (
            past_rows[1] if refresh_past and past_rows and past_rows[0] == history_start else None
        )
        for _attempt in range(2):
            fetched = await self._client.get_account_data(
                account_id, start, today, borne_years=borne_years
            )
            new_past, state = self._split_years(
                fetched, before, past, borne_years, (history_start, today)
            )
            types = {waste_type.id for waste_type in fetched.waste_types}
            short_year = before is not None and _shorter(types, _rows(state), _rows(before))
            short_past = reference is not None and _shorter(types, _rows(new_past), reference)
            if not (short_year or short_past):
                self._short.clear(account_id)
                break
        else:
            short_year = short_past = not self._believe_short(account_id)
        self._note_problems(account_id, fetched.problems)
        if refresh_past and not short_past:
            past = self._past[account_id] = new_past
            self._memory.past_rows[account_id] = (history_start, _rows(past))
        elif refresh_past and (past is None or past.start != history_start):
            # Short, with nothing read before it since a restart: shown, read again.
            past = self._past[account_id] = replace(new_past, fetched_on=date.min)
        if short_year and before is not None:
            state = replace(before, account=fetched.account)  # its figures, the portal's label
        kept = past if past and history else None
        return replace(
            state,
            past_pickups=kept.pickups if kept else (),
            past_visits=kept.visits if kept else (),
            past_drop_offs=kept.drop_offs if kept else {},
        )

    def _split_years(
        self,
        fetched: AccountData,
        before: AccountState | None,
        past: _PastYears | None,
        borne_years: list[int],
        days: tuple[date, date],
    ) -> tuple[_PastYears, AccountState]:
        """Split what was read into the past years and this year.

        ``days``: the first day the options keep, and today. Borne openings that were
        not read (not due today, or failing) keep their last figures.
        """
        history_start, today = days
        year_start = date(today.year, 1, 1)
        bornes = fetched.borne_drop_offs
        this_year = before.drop_offs if before is not None else {}
        past_bornes = past.drop_offs if past is not None else {}
        if bornes is not None:
            if today.year in borne_years:
                self._bornes_read[fetched.account.id] = today
                this_year = _months(bornes, lambda year: year == today.year)
            if any(year < today.year for year in borne_years):
                past_bornes = _months(bornes, lambda year: year < today.year)
        return (
            _PastYears(
                start=history_start,
                fetched_on=today,
                pickups=tuple(p for p in fetched.pickups if p.date.date() < year_start),
                visits=tuple(v for v in fetched.visits if v.date.date() < year_start),
                drop_offs=past_bornes,
            ),
            AccountState(
                account=fetched.account,
                waste_types=fetched.waste_types,
                pickups=tuple(p for p in fetched.pickups if p.date.date() >= year_start),
                visits=tuple(v for v in fetched.visits if v.date.date() >= year_start),
                drop_offs=this_year,
            ),
        )

    def _believe_short(self, account_id: int) -> bool:
        """Count a read that came back short twice; return whether it is now believed."""
        if self._short.note(account_id):
            self._short.clear(account_id)
            _LOGGER.info(
                "Account %s has fewer pickups or visits (or borne openings) on the portal",
                account_id,
            )
            return True
        if self._short.count(account_id) == 1:
            _LOGGER.warning(
                "The portal returned fewer pickups or visits (or borne openings) "
                "for account %s than at the last poll; the previous figures are "
                "kept until it has done so %s polls in a row",
                account_id,
                CONFIRM_AFTER,
            )
        return False

    def _note_problems(self, account_id: int | None, problems: Mapping[str, str]) -> None:
        """Remember the optional parts that fail; log each once when it starts and ends.

        ``account_id`` None: the login's own parts (the drop-down).
        """
        before = self.problems.get(account_id, {})
        whose = "the login" if account_id is None else f"account {account_id}"
        for part, reason in problems.items():
            if part not in before:
                _LOGGER.warning("%s (%s)", _FAILING[part].replace("%s", reason), whose)
        for part in set(before) - set(problems):
            _LOGGER.info("%s (%s)", _BACK[part], whose)
        if problems:
            self.problems[account_id] = dict(problems)
        else:
            self.problems.pop(account_id, None)


def _months(
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]], keep: Callable[[int], bool]
) -> dict[int, tuple[MonthlyCount, ...]]:
    """Return the monthly borne openings of the years kept, per waste type."""
    return {
        type_id: tuple(month for month in months if keep(month.year))
        for type_id, months in drop_offs.items()
    }


def _rows(read: AccountState | _PastYears) -> dict[str, int]:
    """Return how many rows each table has: pickups per waste type, visits, borne openings.

    A borne's "rows" are its openings: a count going down is a short read too.
    """
    rows: Counter[str] = Counter(str(pickup.waste_type_id) for pickup in read.pickups)
    rows[_VISITS] = len(read.visits)
    for type_id, months in read.drop_offs.items():
        if openings := sum(month.count for month in months):
            rows[f"{_BORNE}{type_id}"] = openings
    return dict(rows)


def _shorter(waste_types: Iterable[int], rows: dict[str, int], before: dict[str, int]) -> bool:
    """Return whether a read has fewer rows than the last good one in any of its tables.

    A waste type no longer listed is not a short table: its entities go with it.
    """
    listed = {_VISITS} | {
        key for type_id in waste_types for key in (str(type_id), f"{_BORNE}{type_id}")
    }
    return any(rows.get(key, 0) < count for key, count in before.items() if key in listed)
