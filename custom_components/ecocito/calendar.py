"""A calendar per account: its past pickups and visits, and the pickups its rhythms expect.

The portal only knows what has happened, so this calendar is a diary: its state is
on while an event lasts (``EVENT_DURATION`` from the portal's time) and its ``event``
is the one in progress, otherwise the most recent one. Summaries use the portal's
own French words ("Levée", "Passage en déchèterie"), as the waste-type and site labels they carry
come from the portal in French anyway; so does the description of a pickup to check, which
ends with the reason code of the pickup event's ``anomaly`` for other languages. The
pickups the waste types' rhythms expect in the next four weeks (``forecast.py``, no
request) are events too, marked as estimates in the server's language (French, or else
English).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import PORTAL_TZ, Pickup, Visit
from .entity import EcocitoAccountEntity, async_add_entities_as_they_appear
from .forecast import ExpectedPickup, describe, expected_pickups
from .models import OWN_PLACE, Anomaly

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import EcocitoConfigEntry
    from .models import AccountState, Place
    from .schedule import Rhythm

PARALLEL_UPDATES = 0

EVENT_DURATION: Final = timedelta(minutes=15)
"""The portal gives a moment; an event needs an end."""

HISTORY = CalendarEntityDescription(key="history", translation_key="history")


def _number(value: float) -> str:
    """Format a number the French way: 12,5 (no trailing zeros)."""
    return f"{value:.3f}".rstrip("0").rstrip(".").replace(".", ",")


ANOMALY_DESCRIPTIONS: Final = {
    Anomaly.DUPLICATE: "À vérifier : deuxième levée de ce type en moins d'une heure (duplicate).",
    Anomaly.ZERO_WEIGHT: "À vérifier : levée pesée à 0 kg (zero_weight).",
}
"""What a pickup to check says, with its reason as in the pickup event's ``anomaly``."""


def pickup_event(
    state: AccountState, pickup: Pickup, anomaly: Anomaly | None = None
) -> CalendarEvent:
    """Return the calendar event of a pickup: "Levée Ordures ménagères (12,5 kg)"."""
    summary = f"Levée {state.labels.get(pickup.waste_type_id, str(pickup.waste_type_id))}"
    if pickup.weight is not None:
        summary = f"{summary} ({_number(pickup.weight)} kg)"
    return CalendarEvent(
        start=pickup.date,
        end=pickup.date + EVENT_DURATION,
        summary=summary,
        description=None if anomaly is None else ANOMALY_DESCRIPTIONS[anomaly],
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


ESTIMATE_WORDS: Final = {
    "fr": (
        "{waste_type} : levée prévue",
        "Estimée d'après le rythme de votre bac ({rhythm}), en général {hours}.",
        "Jour férié ({holiday}) : la tournée peut être décalée.",
    ),
    "en": (
        "{waste_type}: expected pickup",
        "Estimated from your bin's rhythm ({rhythm}), usually {hours}.",
        "Public holiday ({holiday}): the round may move.",
    ),
}
"""An estimate's summary, description and holiday warning, in French or in English."""


def _hours(expected: ExpectedPickup, lang: str) -> str:
    """Return the usual hours of an expected pickup, to the hour: "entre 6 h et 8 h"."""
    first = expected.start.hour
    last = expected.end.hour + (1 if (expected.end.minute, expected.end.second) > (0, 0) else 0)
    last = max(last, first + 1)
    if lang == "fr":
        return f"entre {first} h et {last} h"
    return f"between {first}:00 and {last}:00"


def expected_event(
    state: AccountState,
    waste_type_id: int,
    rhythm: Rhythm,
    expected: ExpectedPickup,
    language: str,
) -> CalendarEvent:
    """Return the event of an expected pickup: "Ordures ménagères : levée prévue".

    A whole day: the estimate does not claim the minute; its description gives the
    usual hours, to the hour. The waste type comes first, so that the month view,
    which cuts summaries short, still shows which bin.
    """
    lang = "fr" if language.split("-")[0].lower() == "fr" else "en"
    summary, estimated, on_holiday = ESTIMATE_WORDS[lang]
    label = state.labels.get(waste_type_id, str(waste_type_id))
    description = estimated.format(rhythm=describe(rhythm, language), hours=_hours(expected, lang))
    if expected.holiday:
        description = f"{description} {on_holiday.format(holiday=expected.holiday)}"
    return CalendarEvent(
        start=expected.day,
        end=expected.day + timedelta(days=1),
        summary=summary.format(waste_type=label),
        description=description,
        uid=f"{state.account.id}_expected_{waste_type_id}_{expected.day.isoformat()}",
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a calendar per place, as places appear."""
    coordinator = entry.runtime_data
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: data.places,
        lambda key: [EcocitoCalendar(coordinator, key[0], HISTORY, place=key[1])],
    )


class EcocitoCalendar(EcocitoAccountEntity, CalendarEntity):
    """The pickups and visits of one account, at the portal's times.

    Events are built only for what is asked (the current event, a range): an account
    keeps hundreds of rows, and building them all at each poll would hold the loop.
    """

    _indexed: Place
    """The place indexed: a new object whenever its account's rows (visits too) changed."""
    _items: list[Pickup | Visit]
    _anomalies: Mapping[Pickup, Anomaly]
    _starts: list[datetime]
    _current: tuple[int, CalendarEvent | None] | None = None
    """The index of the event ``event`` gave last, and that event: a state write asks thrice."""

    @property
    def _place(self) -> Place | None:
        return self.coordinator.data.places.get((self.account_id, self.place))

    def _update_events(self) -> None:
        """Index the place's pickups (and, at the account's own, its visits)."""
        place = self._indexed = self.coordinator.data.places[(self.account_id, self.place)]
        self._items = sorted((*place.all_pickups, *self._visits()), key=lambda item: item.date)
        self._starts = [item.date for item in self._items]
        self._anomalies = self.coordinator.data.anomalies.get(self.account_id, {})
        self._current = None

    def _event(self, item: Pickup | Visit) -> CalendarEvent:
        if isinstance(item, Visit):
            return visit_event(self.account_state, item)
        return pickup_event(self.account_state, item, self._anomalies.get(item))

    async def async_added_to_hass(self) -> None:
        """Index the events of the data already fetched."""
        await super().async_added_to_hass()
        self._update_events()

    def _visits(self) -> tuple[Visit, ...]:
        """Return the visits the calendar shows: the account's, at its own place."""
        state = self.coordinator.data.accounts.get(self.account_id)
        return state.all_visits if state is not None and self.place == OWN_PLACE else ()

    @callback
    def _handle_coordinator_update(self) -> None:
        place = self._place
        if place is not None and place is not self._indexed:
            self._update_events()
        super()._handle_coordinator_update()

    @property
    def event(self) -> CalendarEvent | None:
        """Return the event in progress, otherwise the most recent one."""
        index = bisect_right(self._starts, dt_util.now())
        if self._current is None or self._current[0] != index:
            self._current = (index, self._event(self._items[index - 1]) if index else None)
        return self._current[1]

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events that overlap the range."""
        first = bisect_right(self._starts, start_date - EVENT_DURATION)
        last = bisect_left(self._starts, end_date)
        events = [self._event(item) for item in self._items[first:last]]
        events += [
            event for event in self._expected_events() if event.start_datetime_local < end_date
        ]
        return sorted(
            (event for event in events if event.end_datetime_local > start_date),
            key=lambda event: event.start_datetime_local,
        )

    def _expected_events(self) -> list[CalendarEvent]:
        """Return the pickups the place's rhythms expect in the next four weeks."""
        state, place = self.account_state, self._indexed
        forecasts = self.coordinator.data.forecasts
        now = dt_util.now()
        events: list[CalendarEvent] = []
        for type_id in place.waste_types:
            found = forecasts.get((self.account_id, self.place, type_id))
            if found is None or found.rhythm is None:
                continue
            events.extend(
                expected_event(state, type_id, found.rhythm, expected, self.hass.config.language)
                for expected in expected_pickups(found.rhythm, found.newest, now, PORTAL_TZ)
            )
        return events
