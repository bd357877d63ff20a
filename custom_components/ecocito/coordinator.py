"""One coordinator per login: every linked account's pickups and visits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Account,
    AuthenticationError,
    EcocitoClient,
    EcocitoError,
    Pickup,
    PortalChangedError,
    UnknownAccountError,
    Visit,
    WasteType,
)
from .api.parsing import PORTAL_TZ
from .const import (
    CONF_HISTORY_YEARS,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
    ISSUE_TRACKER,
    LOGGER,
)
from .errors import translation_key

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

UPDATE_INTERVAL: Final = timedelta(hours=4)
"""Pickups land a few times a week; four hours keeps a new one under 4 h old."""
PORTAL_CHANGED_REPAIR_AFTER: Final = 3
"""Consecutive polls that fail to parse the portal before a repair issue is raised."""
REPAIR_PORTAL_CHANGED: Final = "portal_changed"

type EcocitoConfigEntry = ConfigEntry[EcocitoCoordinator]


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


@dataclass(slots=True)
class Happenings:
    """What changed at the last poll, for event entities (never at first load).

    Listeners are also called when the select changes the active account: ``poll``
    lets an event entity fire each happening once.
    """

    poll: int = 0
    linked: list[Account] = field(default_factory=list)
    unlinked: list[Account] = field(default_factory=list)
    new_pickups: dict[int, list[Pickup]] = field(default_factory=dict)


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
        self.happenings = Happenings()
        self.active_account_id: int | None = None
        """The account chosen with the select; the active-account sensors follow it."""
        self._past: dict[int, _PastYears] = {}
        self._portal_changed_count = 0

    async def async_link(self, commune_id: int, activation_key: str) -> Account:
        """Link a production point to the login; its device appears at the refresh."""
        account = await self.client.link_account(commune_id, activation_key)
        await self.async_request_refresh()
        return account

    @property
    def history_years(self) -> int:
        """Return how many past years the options keep."""
        return int(self.config_entry.options.get(CONF_HISTORY_YEARS, DEFAULT_HISTORY_YEARS))

    async def _async_update_data(self) -> EcocitoData:
        try:
            data = await self._fetch()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"portal_message": err.message or ""},
            ) from err
        except EcocitoError as err:
            if isinstance(err, PortalChangedError):
                self._portal_changed()
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=translation_key(err),
                translation_placeholders={"portal_message": str(err)},
            ) from err
        self._portal_parsed()
        if self.active_account_id not in data.accounts:  # first poll, or unlinked
            self.active_account_id = next(iter(data.accounts), None)
        self._track_changes(data)
        return data

    async def _fetch(self) -> EcocitoData:
        """Log in (a fresh session), then read every linked account."""
        linked = await self.client.login()
        today = dt_util.now(PORTAL_TZ).date()
        year_start = date(today.year, 1, 1)
        history_start = date(today.year - self.history_years, 1, 1)
        accounts: dict[int, AccountState] = {}
        for account in linked.accounts:
            past = self._past.get(account.id)
            refresh_past = self.history_years > 0 and (
                past is None or past.fetched_on != today or past.start != history_start
            )
            try:
                fetched = await self.client.get_account_data(
                    account.id, history_start if refresh_past else year_start, today
                )
            except UnknownAccountError:
                LOGGER.debug("Account %s was unlinked during the poll", account.id)
                continue
            if refresh_past:
                past = _PastYears(
                    start=history_start,
                    fetched_on=today,
                    pickups=tuple(p for p in fetched.pickups if p.date.date() < year_start),
                    visits=tuple(v for v in fetched.visits if v.date.date() < year_start),
                )
                self._past[account.id] = past
            state = AccountState(
                account=fetched.account,
                waste_types=fetched.waste_types,
                pickups=tuple(p for p in fetched.pickups if p.date.date() >= year_start),
                visits=tuple(v for v in fetched.visits if v.date.date() >= year_start),
                past_pickups=past.pickups if past and self.history_years else (),
                past_visits=past.visits if past and self.history_years else (),
            )
            # Keep the previous object when nothing changed: entities compare states by
            # identity and write nothing for an account the poll left as it was.
            before = self.data.accounts.get(account.id) if self.data else None
            accounts[account.id] = before if before == state else state
        for gone in set(self._past) - set(accounts):
            del self._past[gone]
        return EcocitoData(accounts=accounts, year=today.year, first_day=history_start)

    def _track_changes(self, data: EcocitoData) -> None:
        """Work out what happened since the previous poll and tell the event bus."""
        happenings = Happenings(poll=self.happenings.poll + 1)
        previous = self.data
        if previous is not None:
            happenings.linked = [
                state.account
                for key, state in data.accounts.items()
                if key not in previous.accounts
            ]
            happenings.unlinked = [
                state.account
                for key, state in previous.accounts.items()
                if key not in data.accounts
            ]
            for key, state in data.accounts.items():
                before = previous.accounts.get(key)
                if before is None or before is state:
                    continue
                # Only this year's pickups can be new (past years are never re-dated).
                known = {(p.date, p.waste_type_id) for p in before.pickups}
                if new := [p for p in state.pickups if (p.date, p.waste_type_id) not in known]:
                    happenings.new_pickups[key] = new
        self.happenings = happenings
        entry_id = self.config_entry.entry_id
        for account in happenings.linked:
            self.hass.bus.async_fire(EVENT_ACCOUNT_LINKED, account_event_data(entry_id, account))
        for account in happenings.unlinked:
            self.hass.bus.async_fire(EVENT_ACCOUNT_UNLINKED, account_event_data(entry_id, account))
        self._remove_stale_devices(data)
        for key, pickups in happenings.new_pickups.items():
            state = data.accounts[key]
            for pickup in pickups:
                self.hass.bus.async_fire(EVENT_PICKUP, pickup_event_data(entry_id, state, pickup))

    @callback
    def _remove_stale_devices(self, data: EcocitoData) -> None:
        """Remove the devices of accounts no longer linked.

        Compared with the device registry rather than the previous poll, so that an
        account unlinked while Home Assistant was stopped loses its device at setup.
        """
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        keep = {(DOMAIN, entry_id), *((DOMAIN, str(key)) for key in data.accounts)}
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            if device.identifiers.isdisjoint(keep):
                registry.async_remove_device(device.id)

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


def account_event_data(entry_id: str, account: Account) -> dict[str, Any]:
    """Return the data of an account_linked / account_unlinked event."""
    return {"config_entry_id": entry_id, "account_id": account.id, "label": account.label}


def pickup_event_data(entry_id: str, state: AccountState, pickup: Pickup) -> dict[str, Any]:
    """Return the data of a pickup event."""
    labels = {waste_type.id: waste_type.label for waste_type in state.waste_types}
    return {
        "config_entry_id": entry_id,
        "account_id": state.account.id,
        "waste_type_id": pickup.waste_type_id,
        "waste_type": labels.get(pickup.waste_type_id),
        "date": pickup.date.isoformat(),
        "weight": pickup.weight,
    }
