"""One coordinator per login: it reads, steps, and applies what the step says, in one order.

A poll is three moves. The reader asks the portal what the plan says (``reader.py``:
the whole login, or a look at the accounts due); the step works out everything that
follows from it, as a pure function of the entry's state (``step.py``); and the
coordinator applies the outcome, always in this order:

1. the devices follow the accounts (an unlinked account's goes), and the next poll is
   planned;
2. the entities write, account by account, each in a loop turn of its own (an account
   the poll left as it was writes nothing), then the login's;
3. automations are told: the bus events and the event entities, in the step's order;
4. the state is saved; the long-term statistics import what changed; the login's one
   account given its number by a drop-down reloads the entry (instead of 2).

Told after the entities wrote: an automation triggered by a pickup reads the sensors'
new figures. Saved after it was told: if Home Assistant stops in between, the pickups
not saved as seen are told again at the next start, never lost (a pickup told twice is
the lesser harm). At each midnight (portal time) the same step runs with nothing read,
and the figures of the day (next pickups, missed rounds, the year's pace) follow.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util, slugify

from .api import PORTAL_TZ, ClientClosedError, EcocitoClient, EcocitoError, PortalChangedError
from .const import (
    CONF_ALLOWANCES,
    CONF_HISTORY_YEARS,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
    LOGGER,
)
from .devices import (
    account_devices,
    place_device_id,
    portal_of,
    remove_devices,
    renumber_account_devices,
)
from .error_keys import update_failure
from .models import EcocitoData
from .planner import accounts_due
from .reader import look, read_login
from .repairs import PortalChangedRepair
from .state import EntryState
from .statistic_ids import async_renumber_statistics
from .step import step
from .store import EntryStore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .api import Account
    from .step import Outcome, Read, Told

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
        self.active_account_id: int | None = None
        """The account chosen with the select; the active-account sensors follow it."""
        self.statistics: Callable[[frozenset[int]], None] | None = None
        """Imports the long-term statistics of the accounts whose rows changed."""
        self._state = EntryState()
        self._store = EntryStore(hass, entry.entry_id)
        self._stepping = asyncio.Lock()
        """One step at a time: a poll's and a midnight's."""
        self._pending: Outcome | None = None
        """The first poll's outcome, applied once the entities exist."""
        self._entities_added = False
        self._repair = PortalChangedRepair(hass, entry.entry_id, client.base_url)
        self._scheduled = False
        """The refresh running is the coordinator's own (not ``update_entity``, not a link)."""
        self._account_listeners: dict[int, list[CALLBACK_TYPE]] = {}
        self._told_listeners: list[Callable[[Told, dict[str, Any]], None]] = []
        self._next_day: CALLBACK_TYPE | None = None

    @property
    def state(self) -> EntryState:
        """Return the entry's state after the last step (the diagnostics read it)."""
        return self._state

    @property
    def next_poll(self) -> datetime | None:
        """Return when the coordinator will next ask the portal on its own (None: never).

        None while "pref_disable_polling" is set: only ``update_entity`` polls then.
        """
        if self.data is None or self.config_entry.pref_disable_polling:
            return None
        return self.data.next_poll

    @property
    def history_years(self) -> int:
        """Return how many past years the options keep."""
        return int(self.config_entry.options.get(CONF_HISTORY_YEARS, DEFAULT_HISTORY_YEARS))

    async def _async_setup(self) -> None:
        """Load what survived the restart; the accounts known are those with a device."""
        loaded = await self._store.async_load()
        devices = account_devices(self.hass, self.config_entry.entry_id, self.portal)
        self._state = replace(loaded, known=devices)

    @callback
    def async_add_account_listener(self, account_id: int, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` first, in a loop turn of the account's own, when a poll changed it.

        The listener stays one of the coordinator's too. Return what removes it.
        """
        listeners = self._account_listeners.setdefault(account_id, [])
        listeners.append(update)
        return lambda: listeners.remove(update)

    @callback
    def async_add_told_listener(
        self, listener: Callable[[Told, dict[str, Any]], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each thing automations are told, and its data.

        The event entities listen.
        """
        self._told_listeners.append(listener)
        return lambda: self._told_listeners.remove(listener)

    async def async_entities_added(self) -> None:
        """Apply what the first poll told, now that every entity is there to show it.

        Then follow the day: the figures of the day change at midnight, portal time.
        """
        self._entities_added = True
        if (pending := self._pending) is not None:
            self._pending = None
            await self._apply(pending)
        self.config_entry.async_on_unload(self._no_next_day)
        self._at_next_midnight(dt_util.now())

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
        """Run the planned poll: only it may look at no more than the accounts due.

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
            # The accounts due at the planned poll are looked at, else the login is read.
            read: Read
            if self._scheduled and (accounts := accounts_due(self._state, now)):
                read = await look(self.client, self._state, accounts, now)
            else:
                read = await read_login(self.client, self._state, self.history_years, now)
        except ClientClosedError as err:
            # The entry is unloading and has logged out: end this poll as a cancelled one.
            raise asyncio.CancelledError from err
        except EcocitoError as err:
            self.update_interval = min(self.update_interval or UPDATE_INTERVAL, UPDATE_INTERVAL)
            if isinstance(err, PortalChangedError):
                self._repair.failed()
            raise update_failure(err) from err
        self._repair.parsed()
        return await self._step(read, now)

    async def _step(self, read: Read, now: datetime) -> EcocitoData:
        """Step, then apply the outcome (the first poll's once the entities exist).

        The step runs in the executor: a pure function, it never holds the event loop.
        """
        async with self._stepping:
            self._state, outcome = await self.hass.async_add_executor_job(
                step, self._state, read, now
            )
            for note in outcome.notes:
                LOGGER.log(note.level, note.message, *note.args)
            if outcome.failure is not None:
                raise UpdateFailed(translation_domain=DOMAIN, translation_key=outcome.failure)
            self._follow_accounts(outcome, now)
            if outcome.renumbered:
                # The entry reloads: its entities are made again under the new number;
                # the ones of now see no new data (they would be made twice).
                await self._apply(outcome)
                return self.data or outcome.data
            if self._entities_added:
                await self._apply(outcome)
            else:
                self._pending = outcome
            return outcome.data

    async def _apply(self, outcome: Outcome) -> None:
        """Apply an outcome in the one order: write, tell, keep (the module's docstring).

        The entities write one account's at a time, each in a loop turn of its own (a
        large login never holds the loop for all of them together; an entity whose
        inputs did not change writes nothing), then the login's. An account given its
        number reloads the entry instead: its entities are made again.
        """
        if not outcome.renumbered:
            self.data = data = outcome.data
            if not self.last_update_success:
                self.last_update_success = True  # they write available again
                LOGGER.info("Fetching %s data recovered", self.name)
            for account_id in data.accounts:
                for update in list(self._account_listeners.get(account_id, ())):
                    update()
                await asyncio.sleep(0)
            self.async_update_listeners()
            await asyncio.sleep(0)
        entry_id = self.config_entry.entry_id
        for told in outcome.told:
            fired: dict[str, Any] = {"config_entry_id": entry_id, **told.data}
            if told.place is not None:  # where: the place's device
                fired["device_id"] = place_device_id(self.hass, entry_id, self.portal, told.place)
            self.hass.bus.async_fire(told.event, fired)
            for listener in list(self._told_listeners):
                listener(told, fired)
        await self._store.async_save(self._state)
        if self.statistics is not None:
            self.statistics(outcome.rows_changed)
        if outcome.renumbered:
            await self._adopt_numbers(outcome.renumbered)

    @callback
    def _follow_accounts(self, outcome: Outcome, now: datetime) -> None:
        """Let the devices follow the accounts, and plan the next poll."""
        data = outcome.data
        remove_devices(
            self.hass,
            self.config_entry.entry_id,
            self.portal,
            outcome.unlinked,
            outcome.places_gone,
        )
        if self.active_account_id not in data.accounts:  # first poll, or unlinked
            self.active_account_id = next(iter(data.accounts), None)
        if (planned := outcome.plan) is not None:
            self.update_interval = max(planned.at - now, MIN_INTERVAL)
            LOGGER.debug(
                "Next poll at %s (%s)",
                planned.at,
                "whole login" if planned.full else f"{len(planned.types)} waste type(s)",
            )

    async def _adopt_numbers(self, renumbered: Mapping[int, int]) -> None:
        """Give the unnumbered account its number: device, entities, history, allowance.

        The entry then reloads, its entities made again under their new unique IDs
        (entity IDs, names, areas and history stay theirs).
        """
        entry = self.config_entry
        for old, new in renumbered.items():
            renumber_account_devices(self.hass, entry.entry_id, self.portal, old, new)
            await async_renumber_statistics(self.hass, self.statistic_key, old, new)
            allowances = dict(entry.options.get(CONF_ALLOWANCES) or {})
            if str(old) in allowances:
                allowances[str(new)] = allowances.pop(str(old))
                self.hass.config_entries.async_update_entry(
                    entry, options={**entry.options, CONF_ALLOWANCES: allowances}
                )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)

    # --- The day's turn ----------------------------------------------------------------

    @callback
    def _at_next_midnight(self, now: datetime) -> None:
        """Step again at the midnight after ``now``, portal time, with nothing read."""
        tomorrow = now.astimezone(PORTAL_TZ).date() + timedelta(days=1)
        self._next_day = async_track_point_in_time(
            self.hass, self._midnight, datetime.combine(tomorrow, time(), PORTAL_TZ)
        )

    @callback
    def _midnight(self, now: datetime) -> None:
        """Show the new day; then wait for the next one (from the time the timer says)."""
        self.config_entry.async_create_task(self.hass, self._new_day(), f"{DOMAIN} new day")
        self._at_next_midnight(now)

    @callback
    def _no_next_day(self) -> None:
        if self._next_day is not None:
            self._next_day()

    async def _new_day(self) -> None:
        """Show the figures of the new day: the step with nothing read."""
        if self.data is None or not self.last_update_success:
            return  # the entities are unavailable: the next poll shows the day
        await self._step(None, dt_util.now())
