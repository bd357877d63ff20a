"""Reading the portal into the coordinator's data: the whole login, or a look at accounts due.

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

from .accounts import KnownAccounts
from .api import (
    BORNE_STATISTICS,
    PORTAL_TZ,
    Account,
    UnknownAccountError,
)
from .confirm import CONFIRM_AFTER, Streak
from .models import AccountState, EcocitoData
from .optional_parts import OptionalParts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime

    from .api import AccountData, EcocitoClient, MonthlyCount, Pickup, Visit
    from .memory import Memory

_LOGGER = logging.getLogger(__package__)

_VISITS: Final = "visits"
_BORNE: Final = "borne_"


@dataclass(slots=True)
class Read:
    """What one successful read found."""

    data: EcocitoData
    looked: set[int]
    """The accounts read, or looked at (asked whether anything arrived)."""
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
        self._accounts = KnownAccounts(memory, devices)
        self._past: dict[int, _PastYears] = {}
        self._short: Streak[int] = Streak()
        """Accounts whose tables came back short: polls in a row."""
        self._totals: dict[int, int] = {}
        """Per account, this year's rows on the portal when the data holds a different
        number (rows of another type, a short read kept): a look compares with it."""
        self._bornes_read: dict[int, date] = {}
        """Per account, the day its borne statistics were last read (once a day)."""
        self.parts = OptionalParts()
        """The optional parts of the portal that fail, per account, told once."""
        self.foreign_rows: dict[int, int] = {}
        """Per account, pickup rows of another waste type than asked for at its last read
        (``ID_MATIERE``): left out, never counted under the type asked for."""

    async def read_login(self, held: EcocitoData | None, history_years: int, now: datetime) -> Read:
        """Log in (a fresh session), then read every linked account.

        An empty drop-down where accounts were linked raises NoAccountsError,
        CONFIRM_AFTER - 1 times in a row; an account whose switch is refused keeps its
        last data.
        """
        known = dict(self._accounts.known)
        # A login whose pages never name its one account: it is the one already known.
        self._client.unnumbered_id = next(iter(known)) if len(known) == 1 else None
        listing = self._accounts.listing(await self._client.login())
        self.parts.note(None, listing.problems)
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
        unlinked = self._accounts.count_absent(listing, previous, accounts)
        for gone in set(self._past) - set(accounts):
            del self._past[gone]
        self._short.keep(accounts)
        self._totals.clear()  # what a look compares with is the data just read
        return Read(
            data=EcocitoData(accounts=accounts, year=today.year, first_day=history_start),
            looked=set(accounts),
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

    async def read_due(self, held: EcocitoData, due: frozenset[int], now: datetime) -> Read:
        """Look at the accounts due: read their pickups only when anything arrived.

        A look asks for one row of this year's pickups of every type: its total tells
        whether rows came (late uploads included) or went. Then one read of the
        account's pickups of every type; no account list, no visits. A table that comes
        back shorter than held is left as it was: the next read of the whole login
        confirms it (or not) as any short table.
        """
        today = now.astimezone(PORTAL_TZ).date()
        year_start = date(today.year, 1, 1)
        accounts = dict(held.accounts)
        looked: set[int] = set()
        # The session's active account first: looking at it posts no switch.
        active = self._client.active_account
        for account_id in sorted(due, key=lambda account_id: (account_id != active, account_id)):
            if (before := accounts.get(account_id)) is None:
                continue
            try:
                total = await self._client.count_pickups(account_id, year_start, today)
                looked.add(account_id)
                if total is not None and total == self._totals.get(account_id, len(before.pickups)):
                    continue
                tables = await self._client.get_pickups(
                    account_id, before.waste_types, year_start, today
                )
            except UnknownAccountError as err:
                _LOGGER.info("The portal refused to switch to account %s: %s", account_id, err)
                continue
            pickups = before.pickups
            for type_id, fresh in tables.items():
                if len(fresh) >= len(before.pickups_of(type_id)):
                    others = (p for p in pickups if p.waste_type_id != type_id)
                    pickups = tuple(sorted((*others, *fresh), key=lambda p: p.date))
            if pickups != before.pickups:
                accounts[account_id] = replace(before, pickups=pickups)
            # Rows the data does not hold (of another type, or short and kept): what the
            # next look is to compare with.
            if total is not None and total != len(pickups):
                self._totals[account_id] = total
            else:
                self._totals.pop(account_id, None)
        return Read(data=replace(held, accounts=accounts), looked=looked, full=False)

    async def _read_account(
        self, account_id: int, before: AccountState | None, today: date, history_start: date
    ) -> AccountState:
        """Read one account; a table shorter than at the last good read is not taken at once.

        A short table is read again once; still short, the previous figures are kept
        until it has come back short CONFIRM_AFTER polls in a row (the portal does
        correct mistakes). The same goes for the past years read at the day's first poll.
        The borne statistics, monthly figures, are read once a day with the past years;
        once a day too when they fail (told once by ``OptionalParts``).
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
            new_past, state = _split_years(
                fetched, before, past, borne_years, (history_start, today)
            )
            # Read, or failed (a missing part stays missing): at most once a day either way.
            if today.year in borne_years and (
                fetched.borne_drop_offs is not None or BORNE_STATISTICS in fetched.problems
            ):
                self._bornes_read[account_id] = today
            types = {waste_type.id for waste_type in fetched.waste_types}
            short_year = before is not None and _shorter(types, _rows(state), _rows(before))
            short_past = reference is not None and _shorter(types, _rows(new_past), reference)
            if not (short_year or short_past):
                self._short.clear(account_id)
                break
        else:
            short_year = short_past = not self._believe_short(account_id)
        problems = dict(fetched.problems)
        if not borne_years and BORNE_STATISTICS in (
            failing := self.parts.failing.get(account_id, {})
        ):
            # Not asked again today: failing still, until the day's read says otherwise.
            problems[BORNE_STATISTICS] = failing[BORNE_STATISTICS]
        self.parts.note(account_id, problems)
        if fetched.foreign_rows:
            self.foreign_rows[account_id] = fetched.foreign_rows
        else:
            self.foreign_rows.pop(account_id, None)
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


def _split_years(
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
