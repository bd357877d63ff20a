"""One coordinator per login: every linked account's pickups and visits."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util, slugify
from yarl import URL

from .api import (
    PORTAL_TZ,
    Account,
    AuthenticationError,
    ClientClosedError,
    EcocitoClient,
    EcocitoError,
    MonthlyCount,
    Pickup,
    PortalChangedError,
    UnknownAccountError,
    Visit,
    WasteType,
    normalize_portal,
)
from .changes import PollChanges, fire_events, measure_delays, new_pickups
from .const import (
    CONF_HISTORY_YEARS,
    CONF_PORTAL,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
    ISSUE_TRACKER,
    LOGGER,
)
from .devices import account_devices, remove_account_devices
from .error_keys import translation_key
from .schedule import (
    LOOKBACK,
    Plan,
    Rhythm,
    Table,
    learn,
    plan,
    publication_delay,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

UPDATE_INTERVAL: Final = timedelta(hours=4)
"""Until the schedule has planned a poll, and after a failed one: today's interval."""
MIN_INTERVAL: Final = timedelta(minutes=1)
PLAN_TOLERANCE: Final = timedelta(minutes=1)
"""A scheduled refresh this close to the planned poll is that poll."""
PORTAL_CHANGED_REPAIR_AFTER: Final = 3
"""Consecutive polls that fail to parse the portal before a repair issue is raised."""
REPAIR_PORTAL_CHANGED: Final = "portal_changed"
CONFIRM_AFTER: Final = 3
"""Consecutive polls that must agree before the portal's word is taken for a loss.

An account is unlinked once it has been missing from this many successful polls in a
row; a table with fewer rows than the last good read is accepted once it has come back
short this many polls in a row; an empty drop-down too. One bad answer costs nothing.
"""
STORAGE_VERSION: Final = 1
_VISITS: Final = "visits"
_BORNE: Final = "borne_"

type EcocitoConfigEntry = ConfigEntry[EcocitoCoordinator]


def portal_of(entry: ConfigEntry[Any]) -> str:
    """Return the entry's portal host (with its port, if any): it scopes every identifier."""
    return URL(normalize_portal(entry.data[CONF_PORTAL])).raw_authority.lower()


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

    def pickup_data(self, pickup: Pickup) -> dict[str, Any]:
        """Return a pickup as events and actions give it."""
        return {
            "date": pickup.date.isoformat(),
            "waste_type_id": pickup.waste_type_id,
            "waste_type": self.labels.get(pickup.waste_type_id),
            "weight": pickup.weight,
        }

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

    def openings(self, waste_type_id: int, month: int | None = None) -> int:
        """Return this year's borne openings of a waste type, or those of one month."""
        return sum(
            entry.count
            for entry in self.drop_offs_of(waste_type_id)
            if month is None or entry.month == month
        )

    def openings_per_year(self, waste_type_id: int) -> dict[str, int]:
        """Return the past years' borne openings of a waste type, most recent year first.

        Years without an opening are left out, as years without a pickup are.
        """
        years: Counter[int] = Counter()
        for entry in self.past_drop_offs.get(waste_type_id, ()):
            years[entry.year] += entry.count
        return {str(year): years[year] for year in sorted(years, reverse=True) if years[year]}

    def pickups_of(self, waste_type_id: int | None, *, past: bool = False) -> tuple[Pickup, ...]:
        """Return this year's (or the past years') pickups of one waste type, or all."""
        pickups = self.past_pickups if past else self.pickups
        if waste_type_id is None:
            return pickups
        return tuple(p for p in pickups if p.waste_type_id == waste_type_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class EcocitoData:
    """The coordinator's data: linked accounts in the drop-down's order."""

    accounts: dict[int, AccountState]
    year: int
    first_day: date
    """The first day the data covers (1 January of the first year the options kept)."""


@dataclass(slots=True)
class _PastYears:
    start: date
    """The first day read: the options may change how many years are kept."""
    fetched_on: date
    pickups: tuple[Pickup, ...]
    visits: tuple[Visit, ...]
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]]


@dataclass(slots=True)
class _Poll:
    """What one successful poll found."""

    data: EcocitoData
    linked: list[Account]
    """Accounts never seen before (not at the first poll after a start)."""
    unlinked: list[Account]
    """Accounts whose unlinking is now confirmed."""


class EcocitoCoordinator(DataUpdateCoordinator[EcocitoData]):
    """Poll every linked account of one login."""

    config_entry: EcocitoConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: EcocitoConfigEntry, client: EcocitoClient
    ) -> None:
        """Prepare the coordinator of one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.credentials = dict(entry.data)
        """The entry's data the client was made with: other data needs a reload."""
        self.portal = portal_of(entry)
        """The portal's host: account devices, unique IDs and statistics start with it."""
        self.statistic_key = slugify(self.portal)
        """The portal's host as statistic IDs can hold it (``gueret_ecocito_com``)."""
        self.changes = PollChanges()
        """What the last poll changed."""
        self.active_account_id: int | None = None
        """The account chosen with the select; the active-account sensors follow it."""
        self._past: dict[int, _PastYears] = {}
        self._portal_changed_count = 0
        self._store = entry_store(hass, entry.entry_id)
        self._saved: dict[str, Any] = {}
        self._marks: dict[int, dict[int, datetime]] = {}
        """Per account and waste type, the newest pickup already seen (stored)."""
        self._absent: dict[int, int] = {}
        """Known accounts missing from the drop-down: successful polls in a row (stored)."""
        self._known: dict[int, str] | None = None
        """Accounts with a device, and their labels (from the registry at the first poll)."""
        self._past_rows: dict[int, tuple[date, dict[str, int]]] = {}
        """Per account, the first day and row counts of the last good past-years read (stored)."""
        self._short: dict[int, int] = {}
        """Accounts whose tables came back short: polls in a row."""
        self._empty_polls = 0
        self._delays: dict[int, dict[int, list[float]]] = {}
        """Per account and waste type, measured publication delays in seconds (stored)."""
        self._read_at: dict[tuple[int, int], datetime] = {}
        """Per account and waste type, the last successful read of its pickups."""
        self._last_full: datetime | None = None
        self.plan: Plan[tuple[int, int]] | None = None
        """The next poll the schedule planned (None: before the first poll)."""
        self.tables: dict[tuple[int, int], Table] = {}
        """Per account and waste type, what the last plan was made from."""
        self._rhythms: dict[tuple[int, int], Rhythm | None] = {}
        self._rhythms_day: date | None = None
        """The rhythms are learnt again once a day (and for a waste type new since)."""
        self._scheduled = False
        """The refresh running is the coordinator's own (not ``update_entity``, not a link)."""
        self._account_listeners: dict[int, list[CALLBACK_TYPE]] = {}

    @property
    def next_poll(self) -> datetime | None:
        """Return when the coordinator will next ask the portal on its own (None: never).

        None while "pref_disable_polling" is set: only ``update_entity`` polls then.
        """
        if self.plan is None or self.config_entry.pref_disable_polling:
            return None
        return self.plan.at

    async def _async_setup(self) -> None:
        """Load what must survive a restart: pickup marks, absence counts, past-year rows."""
        stored = await self._store.async_load() or {}
        self._marks = {
            int(account_id): {
                int(waste_type_id): datetime.fromisoformat(when)
                for waste_type_id, when in marks.items()
            }
            for account_id, marks in stored.get("marks", {}).items()
        }
        self._absent = {int(key): int(count) for key, count in stored.get("absent", {}).items()}
        self._past_rows = {
            int(account_id): (date.fromisoformat(past["start"]), dict(past["rows"]))
            for account_id, past in stored.get("past_rows", {}).items()
        }
        self._delays = {
            int(account_id): {int(type_id): list(samples) for type_id, samples in delays.items()}
            for account_id, delays in stored.get("delays", {}).items()
        }
        self._saved = self._stored()

    def _stored(self) -> dict[str, Any]:
        return {
            "marks": {
                str(account_id): {
                    str(waste_type_id): when.isoformat() for waste_type_id, when in marks.items()
                }
                for account_id, marks in self._marks.items()
            },
            "absent": {str(key): count for key, count in self._absent.items()},
            "past_rows": {
                str(account_id): {"start": start.isoformat(), "rows": rows}
                for account_id, (start, rows) in self._past_rows.items()
            },
            "delays": {
                str(account_id): {str(type_id): samples for type_id, samples in delays.items()}
                for account_id, delays in self._delays.items()
            },
        }

    @callback
    def async_add_account_listener(self, account_id: int, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` first, in a loop turn of the account's own, when a poll changed it.

        The listener stays one of the coordinator's too. Return what removes it.
        """
        listeners = self._account_listeners.setdefault(account_id, [])
        listeners.append(update)
        return lambda: listeners.remove(update)

    async def _update_accounts_one_by_one(self, data: EcocitoData, changed: list[int]) -> None:
        """Let the entities of each account the poll changed write, one account at a time.

        The base class then calls every listener at once: the entities of the changed
        accounts have written already and those of the others write nothing. A poll that
        changes many accounts of a large login so never holds the event loop for all of
        their entities together. Not on the first poll (no entity yet), nor after a failed
        one: every entity writes then, available again.
        """
        if self.data is None or not self.last_update_success:
            return
        self.data = data
        for account_id in changed:
            for update in list(self._account_listeners.get(account_id, ())):
                update()
            await asyncio.sleep(0)

    async def async_link(self, commune_id: int, activation_key: str) -> Account:
        """Link a production point to the login; its device appears at the refresh."""
        account = await self.client.link_account(commune_id, activation_key)
        await self.async_request_refresh()
        return account

    @property
    def history_years(self) -> int:
        """Return how many past years the options keep."""
        return int(self.config_entry.options.get(CONF_HISTORY_YEARS, DEFAULT_HISTORY_YEARS))

    async def async_apply_options(self) -> None:
        """Follow the options: read the past years they now keep, or just tell the entities.

        The allowance entities read the options at each coordinator update.
        """
        if self.data.first_day != date(self.data.year - self.history_years, 1, 1):
            await self.async_request_refresh()
        else:
            self.async_update_listeners()

    async def _handle_refresh_interval(self, _now: datetime | None = None) -> None:
        """Run the planned poll: only it may read no more than the tables due.

        Any other refresh (``homeassistant.update_entity``, a link) reads the whole login.
        """
        self._scheduled = True
        try:
            await super()._handle_refresh_interval(_now)
        finally:
            self._scheduled = False

    async def _async_update_data(self) -> EcocitoData:
        now = dt_util.now()
        planned, held, read_before = self.plan, self.data, dict(self._read_at)
        try:
            if (
                self._scheduled
                and planned is not None
                and not planned.full
                and held is not None
                and held.year == now.astimezone(PORTAL_TZ).year
                and now >= planned.at - PLAN_TOLERANCE
            ):
                found = await self._fetch_due(held, planned.due, now)
            else:
                found = await self._fetch()
                self._last_full = now
                for account_id, state in found.data.accounts.items():
                    for waste_type in state.waste_types:
                        self._read_at[(account_id, waste_type.id)] = now
        except ClientClosedError as err:
            # The entry is unloading and has logged out: end this poll as a cancelled one.
            raise asyncio.CancelledError from err
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"portal_message": err.message or ""},
            ) from err
        except EcocitoError as err:
            self.update_interval = min(self.update_interval or UPDATE_INTERVAL, UPDATE_INTERVAL)
            if isinstance(err, PortalChangedError):
                self._portal_changed()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=translation_key(err),
                translation_placeholders={"portal_message": str(err)},
            ) from err
        self._portal_parsed()
        data = found.data
        if self.active_account_id not in data.accounts:  # first poll, or unlinked
            self.active_account_id = next(iter(data.accounts), None)
        self.changes = self._diff(found, now, read_before)
        fire_events(self.hass, self.config_entry.entry_id, self.changes, data.accounts)
        remove_account_devices(
            self.hass,
            self.config_entry.entry_id,
            self.portal,
            (account.id for account in self.changes.unlinked),
        )
        await self._plan(data, now)
        if (stored := self._stored()) != self._saved:
            await self._store.async_save(stored)
            self._saved = stored
        await self._update_accounts_one_by_one(data, self.changes.changed)
        return data

    async def _plan(self, data: EcocitoData, now: datetime) -> None:
        """Plan the next poll from the pickups held; the base class schedules it.

        It yields to the event loop after each account: a login with many accounts
        and waste types does not hold the loop for them all at once.
        """
        if (today := now.astimezone(PORTAL_TZ).date()) != self._rhythms_day:
            self._rhythms, self._rhythms_day = {}, today
        tables: dict[tuple[int, int], Table] = {}
        for account_id, state in data.accounts.items():
            recent = _recent_pickups(state, now - LOOKBACK)
            delays = self._delays.get(account_id, {})
            for waste_type in state.waste_types:
                key = (account_id, waste_type.id)
                times = recent.get(waste_type.id, [])
                if key not in self._rhythms:
                    self._rhythms[key] = learn(times, now, PORTAL_TZ)
                tables[key] = Table(
                    rhythm=self._rhythms[key],
                    delay=publication_delay(delays.get(waste_type.id, [])),
                    newest=max(times, default=None),
                    read_at=self._read_at.get(key),
                )
            await asyncio.sleep(0)
        for gone in set(self._read_at) - set(tables):
            del self._read_at[gone]
        self.tables = tables
        self.plan = plan(tables, last_full=self._last_full, now=now, tz=PORTAL_TZ)
        self.update_interval = max(self.plan.at - now, MIN_INTERVAL)
        LOGGER.debug(
            "Next poll at %s (%s)",
            self.plan.at,
            "whole login" if self.plan.full else f"{len(self.plan.due)} waste type(s)",
        )
        await asyncio.sleep(0)  # the listeners' updates come next

    async def _fetch_due(
        self, held: EcocitoData, due: frozenset[tuple[int, int]], now: datetime
    ) -> _Poll:
        """Read only this year's pickups of the tables due: no account list, no visits.

        A table that comes back shorter than held is left as it was: the next read of the
        whole login confirms it (or not) as any short table.
        """
        today = now.astimezone(PORTAL_TZ).date()
        year_start = date(today.year, 1, 1)
        accounts = dict(held.accounts)
        by_account: dict[int, list[int]] = {}
        for account_id, type_id in sorted(due):
            by_account.setdefault(account_id, []).append(type_id)
        for account_id, type_ids in by_account.items():
            if (before := accounts.get(account_id)) is None:
                continue
            try:
                tables = await self.client.get_pickups_of_types(
                    account_id, type_ids, year_start, today
                )
            except UnknownAccountError as err:
                LOGGER.info("The portal refused to switch to account %s: %s", account_id, err)
                continue
            pickups = before.pickups
            for type_id, fresh in tables.items():
                self._read_at[(account_id, type_id)] = now
                if len(fresh) >= len(before.pickups_of(type_id)):
                    others = (p for p in pickups if p.waste_type_id != type_id)
                    pickups = tuple(sorted((*others, *fresh), key=lambda p: p.date))
            if pickups != before.pickups:
                accounts[account_id] = replace(before, pickups=pickups)
        return _Poll(data=replace(held, accounts=accounts), linked=[], unlinked=[])

    def _known_accounts(self) -> dict[int, str]:
        """Return the accounts known so far: at the first poll, those with a device."""
        if self._known is None:
            self._known = account_devices(self.hass, self.config_entry.entry_id, self.portal)
        return self._known

    async def _fetch(self) -> _Poll:
        """Log in (a fresh session), then read every linked account.

        An account missing from the drop-down is unlinked only once it has been missing
        from CONFIRM_AFTER successful polls in a row; until then it keeps its last data.
        An empty drop-down where accounts were linked fails the poll, CONFIRM_AFTER - 1
        times in a row; an account whose switch is refused keeps its last data.
        """
        linked = await self.client.login()
        known = self._known_accounts()
        if linked.accounts or not known:
            self._empty_polls = 0
        else:
            self._empty_polls += 1
            if self._empty_polls < CONFIRM_AFTER:
                LOGGER.debug("The portal listed no account (%s in a row)", self._empty_polls)
                raise UpdateFailed(translation_domain=DOMAIN, translation_key="no_accounts")
        today = dt_util.now(PORTAL_TZ).date()
        history_start = date(today.year - self.history_years, 1, 1)
        previous = self.data.accounts if self.data else {}
        accounts: dict[int, AccountState] = {}
        for account in linked.accounts:
            before = previous.get(account.id)
            try:
                state = await self._read(account.id, before, today, history_start)
            except UnknownAccountError as err:
                # Listed, yet the portal refused to switch to it: a failed read.
                LOGGER.info("The portal refused to switch to account %s: %s", account.id, err)
                if before is not None:
                    accounts[account.id] = before
                continue
            # Keep the previous object when nothing changed: entities compare states by
            # identity and write nothing for an account the poll left as it was.
            accounts[account.id] = before if before == state else state
        listed = {account.id: account.label for account in linked.accounts}
        unlinked = self._count_absent(known, listed, previous, accounts)
        for gone in set(self._past) - set(accounts):
            del self._past[gone]
        for gone in set(self._short) - set(accounts):
            del self._short[gone]
        return _Poll(
            data=EcocitoData(accounts=accounts, year=today.year, first_day=history_start),
            linked=[]
            if self.data is None
            else [account for account in linked.accounts if account.id not in known],
            unlinked=unlinked,
        )

    def _count_absent(
        self,
        known: dict[int, str],
        listed: dict[int, str],
        previous: dict[int, AccountState],
        accounts: dict[int, AccountState],
    ) -> list[Account]:
        """Count the polls known accounts are missing from; return those now unlinked.

        An account still missing keeps its last data in ``accounts``.
        """
        absent: dict[int, int] = {}
        unlinked: list[Account] = []
        for account_id, label in known.items():
            if account_id in listed:
                continue
            missing = self._absent.get(account_id, 0) + 1
            before = previous.get(account_id)
            if missing >= CONFIRM_AFTER:
                unlinked.append(before.account if before else Account(id=account_id, label=label))
                self._marks.pop(account_id, None)
                self._delays.pop(account_id, None)
                continue
            LOGGER.info(
                "Account %s is missing from the portal's list (%s of %s polls)",
                account_id,
                missing,
                CONFIRM_AFTER,
            )
            absent[account_id] = missing
            if before is not None:
                accounts[account_id] = before
        self._absent = absent
        self._known = {**{key: known[key] for key in absent}, **listed}
        for gone in set(self._past_rows) - set(self._known):
            del self._past_rows[gone]
        return unlinked

    async def _read(
        self, account_id: int, before: AccountState | None, today: date, history_start: date
    ) -> AccountState:
        """Read one account; a table shorter than at the last good read is not taken at once.

        A short table is read again once; still short, the previous figures are kept
        until it has come back short CONFIRM_AFTER polls in a row (the portal does
        correct mistakes). The same goes for the past years read at the day's first poll.
        """
        year_start = date(today.year, 1, 1)
        past = self._past.get(account_id)
        refresh_past = self.history_years > 0 and (
            past is None or past.fetched_on != today or past.start != history_start
        )
        start = history_start if refresh_past else year_start
        if before is not None and (self.data is None or self.data.year != today.year):
            before = None  # a new year: this year's tables start empty
        # The past years' row counts survive a restart: a short history read right
        # after one is caught too.
        past_rows = self._past_rows.get(account_id)
        reference = (
            past_rows[1] if refresh_past and past_rows and past_rows[0] == history_start else None
        )
        for _attempt in range(2):
            fetched = await self.client.get_account_data(
                account_id, start, today, borne_years=range(start.year, today.year + 1)
            )
            new_past = _PastYears(
                start=history_start,
                fetched_on=today,
                pickups=tuple(p for p in fetched.pickups if p.date.date() < year_start),
                visits=tuple(v for v in fetched.visits if v.date.date() < year_start),
                drop_offs=_months(fetched.borne_drop_offs, lambda year: year < today.year),
            )
            pickups = tuple(p for p in fetched.pickups if p.date.date() >= year_start)
            visits = tuple(v for v in fetched.visits if v.date.date() >= year_start)
            drop_offs: Mapping[int, tuple[MonthlyCount, ...]] = _months(
                fetched.borne_drop_offs, lambda year: year == today.year
            )
            types = {waste_type.id for waste_type in fetched.waste_types}
            short_year = before is not None and _shorter(
                types,
                _rows(pickups, visits, drop_offs),
                _rows(before.pickups, before.visits, before.drop_offs),
            )
            short_past = reference is not None and _shorter(
                types, _rows(new_past.pickups, new_past.visits, new_past.drop_offs), reference
            )
            if not (short_year or short_past):
                self._short.pop(account_id, None)
                break
        else:
            repeats = self._short.get(account_id, 0) + 1
            if repeats < CONFIRM_AFTER:
                if repeats == 1:
                    LOGGER.warning(
                        "The portal returned fewer pickups or visits (or borne openings) "
                        "for account %s than at the last poll; the previous figures are "
                        "kept until it has done so %s polls in a row",
                        account_id,
                        CONFIRM_AFTER,
                    )
                self._short[account_id] = repeats
            else:
                LOGGER.info(
                    "Account %s has fewer pickups or visits (or borne openings) on the portal",
                    account_id,
                )
                self._short.pop(account_id, None)
                short_year = short_past = False
        if refresh_past and not short_past:
            past = self._past[account_id] = new_past
            self._past_rows[account_id] = (
                history_start,
                _rows(past.pickups, past.visits, past.drop_offs),
            )
        elif refresh_past and (past is None or past.start != history_start):
            # Short, with nothing read before it since a restart: shown, read again.
            past = self._past[account_id] = replace(new_past, fetched_on=date.min)
        waste_types = fetched.waste_types
        if short_year and before is not None:
            waste_types, pickups, visits = before.waste_types, before.pickups, before.visits
            drop_offs = before.drop_offs
        kept = past if past and self.history_years else None
        return AccountState(
            account=fetched.account,
            waste_types=waste_types,
            pickups=pickups,
            visits=visits,
            past_pickups=kept.pickups if kept else (),
            past_visits=kept.visits if kept else (),
            drop_offs=drop_offs,
            past_drop_offs=kept.drop_offs if kept else {},
        )

    def _diff(
        self, found: _Poll, now: datetime, read_before: dict[tuple[int, int], datetime]
    ) -> PollChanges:
        """Work out what changed since the previous poll; learn publication delays from it."""
        changes = PollChanges(
            poll=self.changes.poll + 1, linked=found.linked, unlinked=found.unlinked
        )
        previous = self.data.accounts if self.data else {}
        for account_id, state in found.data.accounts.items():
            if previous.get(account_id) is state:
                continue
            changes.changed.append(account_id)
            if new := new_pickups(self._marks.setdefault(account_id, {}), state):
                changes.add_new_pickups(state, new)
                measure_delays(
                    self._delays.setdefault(account_id, {}),
                    new,
                    now,
                    {
                        type_id: when
                        for (read_id, type_id), when in read_before.items()
                        if read_id == account_id
                    },
                )
        return changes

    def _portal_changed(self) -> None:
        """Raise a repair issue once parsing the portal has failed repeatedly."""
        self._portal_changed_count += 1
        if self._portal_changed_count >= PORTAL_CHANGED_REPAIR_AFTER:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._repair_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=REPAIR_PORTAL_CHANGED,
                translation_placeholders={
                    "portal": self.client.base_url,
                    "issue_tracker": ISSUE_TRACKER,
                },
            )

    def _portal_parsed(self) -> None:
        """Clear the repair issue (it may date from before a restart): the portal parses."""
        self._portal_changed_count = 0
        ir.async_delete_issue(self.hass, DOMAIN, self._repair_issue_id)

    @property
    def _repair_issue_id(self) -> str:
        return f"{REPAIR_PORTAL_CHANGED}_{self.config_entry.entry_id}"


def entry_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of an entry's pickup marks and absence counts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


def _recent_pickups(state: AccountState, since: datetime) -> dict[int, list[datetime]]:
    """Return the times of an account's pickups since ``since``, per waste type."""
    recent: dict[int, list[datetime]] = {}
    for pickups in (state.pickups, state.past_pickups):
        for pickup in reversed(pickups):
            if pickup.date < since:
                break
            recent.setdefault(pickup.waste_type_id, []).append(pickup.date)
    return recent


def _months(
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]], keep: Callable[[int], bool]
) -> dict[int, tuple[MonthlyCount, ...]]:
    """Return the monthly borne openings of the years kept, per waste type."""
    return {
        type_id: tuple(month for month in months if keep(month.year))
        for type_id, months in drop_offs.items()
    }


def _rows(
    pickups: Iterable[Pickup],
    visits: Iterable[Visit],
    drop_offs: Mapping[int, tuple[MonthlyCount, ...]],
) -> dict[str, int]:
    """Return how many rows each table has: pickups per waste type, visits, borne openings.

    A borne's "rows" are its openings: a count going down is a short read too.
    """
    rows = Counter(str(pickup.waste_type_id) for pickup in pickups)
    rows[_VISITS] = sum(1 for _visit in visits)
    for type_id, months in drop_offs.items():
        if openings := sum(month.count for month in months):
            rows[f"{_BORNE}{type_id}"] = openings
    return dict(rows)


def _shorter(waste_types: set[int], rows: dict[str, int], before: dict[str, int]) -> bool:
    """Return whether a read has fewer rows than the last good one in any of its tables.

    A waste type no longer listed is not a short table: its entities go with it.
    """
    listed = {str(waste_type_id) for waste_type_id in waste_types} | {_VISITS}
    listed |= {f"{_BORNE}{waste_type_id}" for waste_type_id in waste_types}
    return any(rows.get(key, 0) < count for key, count in before.items() if key in listed)
