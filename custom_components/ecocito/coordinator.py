"""One coordinator per login: it picks what to read, reads, and hands the result on.

A poll travels through the rooms below: the planner says whether the planned poll
looks at the accounts due or reads the whole login (``planner.py``), the reader reads it
(``reader.py``), the diff works out what changed and remembers the pickups seen
(``changes.py``, ``memory.py``), the planner plans the next poll, the memory is saved,
and the coordinator fires the bus events and lets the entities write.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util, slugify

from .accounts import NoAccountsError
from .api import ClientClosedError, EcocitoClient, EcocitoError, PortalChangedError
from .changes import PollChanges, account_event_data, diff, missed_event_data, pickup_event_data
from .const import (
    CONF_ALLOWANCES,
    CONF_HISTORY_YEARS,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
    EVENT_PICKUP_MISSED,
    LOGGER,
)
from .devices import (
    account_devices,
    portal_of,
    remove_account_devices,
    renumber_account_devices,
)
from .error_keys import update_failure
from .memory import EntryMemory
from .models import EcocitoData
from .planner import Planner
from .reader import Read, Reader
from .repairs import PortalChangedRepair
from .statistic_ids import async_renumber_statistics

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .api import Account

UPDATE_INTERVAL: Final = timedelta(hours=4)
"""Until the schedule has planned a poll, and after a failed one: today's interval."""
MIN_INTERVAL: Final = timedelta(minutes=1)

type EcocitoConfigEntry = ConfigEntry[EcocitoCoordinator]


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
        self._memory = EntryMemory(hass, entry.entry_id)
        self.planner = Planner(self._memory.memory.delays, self._memory.memory.missed)
        self._reader = Reader(client, self._memory.memory, self._account_devices)
        self._repair = PortalChangedRepair(hass, entry.entry_id, client.base_url)
        self._scheduled = False
        """The refresh running is the coordinator's own (not ``update_entity``, not a link)."""
        self._account_listeners: dict[int, list[CALLBACK_TYPE]] = {}

    @property
    def next_poll(self) -> datetime | None:
        """Return when the coordinator will next ask the portal on its own (None: never).

        None while "pref_disable_polling" is set: only ``update_entity`` polls then.
        """
        if self.planner.plan is None or self.config_entry.pref_disable_polling:
            return None
        return self.planner.plan.at

    @property
    def reader(self) -> Reader:
        """Return the reader: the optional parts failing, the rows of another type."""
        return self._reader

    @property
    def history_years(self) -> int:
        """Return how many past years the options keep."""
        return int(self.config_entry.options.get(CONF_HISTORY_YEARS, DEFAULT_HISTORY_YEARS))

    async def _async_setup(self) -> None:
        """Load what must survive a restart: the pickups seen, absences, delays."""
        memory = await self._memory.async_load()
        self.planner = Planner(memory.delays, memory.missed)
        self._reader = Reader(self.client, memory, self._account_devices)

    def _account_devices(self) -> dict[int, str]:
        return account_devices(self.hass, self.config_entry.entry_id, self.portal)

    @callback
    def async_add_account_listener(self, account_id: int, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` first, in a loop turn of the account's own, when a poll changed it.

        The listener stays one of the coordinator's too. Return what removes it.
        """
        listeners = self._account_listeners.setdefault(account_id, [])
        listeners.append(update)
        return lambda: listeners.remove(update)

    async def async_link(self, commune_id: int, activation_key: str) -> Account:
        """Link a production point to the login; its device appears at the refresh."""
        account = await self.client.link_account(commune_id, activation_key)
        await self.async_request_refresh()
        return account

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
        try:
            read = await self._read(now)
        except ClientClosedError as err:
            # The entry is unloading and has logged out: end this poll as a cancelled one.
            raise asyncio.CancelledError from err
        except NoAccountsError as err:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="no_accounts") from err
        except EcocitoError as err:
            self.update_interval = min(self.update_interval or UPDATE_INTERVAL, UPDATE_INTERVAL)
            if isinstance(err, PortalChangedError):
                self._repair.failed()
            raise update_failure(err) from err
        self._repair.parsed()
        return await self._hand_on(read, now)

    async def _read(self, now: datetime) -> Read:
        """Look at the accounts due at the planned poll, else read the whole login."""
        held = self.data
        if self._scheduled and held is not None and (due := self.planner.due(held, now)):
            return await self._reader.read_due(held, due, now)
        return await self._reader.read_login(held, self.history_years, now)

    async def _hand_on(self, read: Read, now: datetime) -> EcocitoData:
        """Diff, fire, plan and save what a read found; let the changed accounts write."""
        data = read.data
        if read.renumbered:
            await self._adopt_numbers(read.renumbered)
        if self.active_account_id not in data.accounts:  # first poll, or unlinked
            self.active_account_id = next(iter(data.accounts), None)
        self.changes = diff(
            self.changes.poll + 1,
            self.data.accounts if self.data else {},
            data,
            self._memory.memory.seen,
            linked=read.linked,
            unlinked=read.unlinked,
        )
        for account_id, new in self.changes.new_pickups.items():
            self.planner.learn_delays(account_id, new, now)
        self.planner.note_reads(read.looked, now, full=read.full)
        remove_account_devices(
            self.hass,
            self.config_entry.entry_id,
            self.portal,
            (account.id for account in self.changes.unlinked),
        )
        planned = await self.planner.async_plan(data, now)
        self._fire_events(data, self.planner.follow_missed(now, confirmed=read.full))
        self.update_interval = max(planned.at - now, MIN_INTERVAL)
        LOGGER.debug(
            "Next poll at %s (%s)",
            planned.at,
            "whole login" if planned.full else f"{len(planned.due)} waste type(s)",
        )
        await asyncio.sleep(0)  # the listeners' updates come next
        await self._memory.async_save()
        await self._update_accounts_one_by_one(data)
        return data

    async def _adopt_numbers(self, renumbered: dict[int, int]) -> None:
        """Give the unnumbered account its number: device, entities, history, allowance.

        The entry then reloads, its entities made again under their new unique IDs
        (entity IDs, names, areas and history stay theirs).
        """
        entry = self.config_entry
        for old, new in renumbered.items():
            LOGGER.info("The portal names the login's account now: it becomes account %s", new)
            self._memory.memory.renumber(old, new)
            renumber_account_devices(self.hass, entry.entry_id, self.portal, old, new)
            await async_renumber_statistics(self.hass, self.statistic_key, old, new)
            allowances = dict(entry.options.get(CONF_ALLOWANCES) or {})
            if str(old) in allowances:
                allowances[str(new)] = allowances.pop(str(old))
                self.hass.config_entries.async_update_entry(
                    entry, options={**entry.options, CONF_ALLOWANCES: allowances}
                )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)

    @callback
    def _fire_events(self, data: EcocitoData, missed: list[tuple[tuple[int, int], date]]) -> None:
        """Tell the event bus what the poll changed, and the pickups newly missed."""
        entry_id = self.config_entry.entry_id
        changes = self.changes
        for account in changes.linked:
            self.hass.bus.async_fire(EVENT_ACCOUNT_LINKED, account_event_data(entry_id, account))
        for account in changes.unlinked:
            self.hass.bus.async_fire(EVENT_ACCOUNT_UNLINKED, account_event_data(entry_id, account))
        for account_id, pickups in changes.new_pickups.items():
            state = data.accounts[account_id]
            for pickup in pickups:
                self.hass.bus.async_fire(
                    EVENT_PICKUP,
                    pickup_event_data(entry_id, state, pickup, changes.anomalies.get(pickup)),
                )
        for (account_id, type_id), day in missed:
            self.hass.bus.async_fire(
                EVENT_PICKUP_MISSED,
                missed_event_data(entry_id, data.accounts[account_id], type_id, day),
            )

    async def _update_accounts_one_by_one(self, data: EcocitoData) -> None:
        """Let the entities of each account write what the poll changed, one account at a time.

        The base class then calls every listener at once: every entity has written
        already. A poll that changes many accounts of a large login (new data, or their
        rhythms learnt again on a new day) so never holds the event loop for all of
        their entities together; an entity whose inputs did not change writes nothing.
        Not on the first poll (no entity yet), nor after a failed one: every entity
        writes then, available again.
        """
        if self.data is None or not self.last_update_success:
            return
        self.data = data
        for account_id in data.accounts:
            for update in list(self._account_listeners.get(account_id, ())):
                update()
            await asyncio.sleep(0)
