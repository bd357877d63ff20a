"""A calendar per account: its past pickups and recycling-centre visits.

The portal only knows what has happened, so this calendar is a diary: its state is
on while an event lasts (``EVENT_DURATION`` from the portal's time) and its ``event``
is the one in progress, otherwise the most recent one. Summaries use the portal's
own French words ("Levée", "Passage en déchèterie"), as the waste-type and site labels they carry
come from the portal in French anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.util import dt as dt_util

from .entity import EcocitoAccountEntity, async_add_entities_as_they_appear

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api import Pickup, Visit
    from .coordinator import AccountState, EcocitoConfigEntry

PARALLEL_UPDATES = 0

EVENT_DURATION: Final = timedelta(minutes=15)
"""The portal gives a moment; an event needs an end."""

HISTORY = EntityDescription(key="history", translation_key="history")


def _number(value: float) -> str:
    """Format a number the French way: 12,5 (no trailing zeros)."""
    return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")


def pickup_event(state: AccountState, pickup: Pickup) -> CalendarEvent:
    """Return the calendar event of a pickup: "Levée Ordures ménagères (12,5 kg)"."""
    labels = {waste_type.id: waste_type.label for waste_type in state.waste_types}
    summary = f"Levée {labels.get(pickup.waste_type_id, str(pickup.waste_type_id))}"
    if pickup.weight is not None:
        summary = f"{summary} ({_number(pickup.weight)} kg)"
    return CalendarEvent(
        start=pickup.date,
        end=pickup.date + EVENT_DURATION,
        summary=summary,
        location=pickup.address,
        uid=f"{state.account.id}_pickup_{pickup.waste_type_id}_{pickup.date.isoformat()}",
    )


def visit_event(state: AccountState, visit: Visit) -> CalendarEvent:
    """Return the calendar event of a visit: "Passage en déchèterie : Gravats (1,2)"."""
    summary = "Passage en déchèterie"
    if visit.material:
        summary = f"{summary} : {visit.material}"
    if visit.quantity is not None:
        summary = f"{summary} ({_number(visit.quantity)})"
    return CalendarEvent(
        start=visit.date,
        end=visit.date + EVENT_DURATION,
        summary=summary,
        location=visit.site,
        uid=f"{state.account.id}_visit_{visit.date.isoformat()}",
    )


def account_events(state: AccountState) -> list[CalendarEvent]:
    """Return every kept pickup and visit of an account, oldest first."""
    events = [
        *(pickup_event(state, p) for p in (*state.past_pickups, *state.pickups)),
        *(visit_event(state, v) for v in (*state.past_visits, *state.visits)),
    ]
    return sorted(events, key=lambda event: (event.start_datetime_local, event.summary))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a calendar per account, as accounts appear."""
    coordinator = entry.runtime_data
    async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: data.accounts,
        lambda account_id: [EcocitoCalendar(coordinator, account_id, HISTORY)],
    )


class EcocitoCalendar(EcocitoAccountEntity, CalendarEntity):
    """The pickups and visits of one account, at the portal's times."""

    _events: list[CalendarEvent]

    def _update_events(self) -> None:
        self._events = account_events(self.account_state)

    async def async_added_to_hass(self) -> None:
        """Build the events from the data already fetched."""
        await super().async_added_to_hass()
        self._update_events()

    @callback
    def _handle_coordinator_update(self) -> None:
        if self.account_id in self.coordinator.data.accounts:
            self._update_events()
        super()._handle_coordinator_update()

    @property
    def event(self) -> CalendarEvent | None:
        """Return the event in progress, otherwise the most recent one."""
        now = dt_util.now()
        past = [event for event in self._events if event.start_datetime_local <= now]
        return past[-1] if past else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events that overlap the range."""
        return [
            event
            for event in self._events
            if event.end_datetime_local > start_date and event.start_datetime_local < end_date
        ]
