"""What one poll changed: accounts linked or unlinked, new pickups; and the bus events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import EVENT_ACCOUNT_LINKED, EVENT_ACCOUNT_UNLINKED, EVENT_PICKUP
from .schedule import DELAY_SAMPLES, FREQUENT
from .waste import Anomaly, pickup_anomalies

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .api import Account, Pickup
    from .coordinator import AccountState

NEW_TYPE_LOOKBACK: Final = timedelta(days=1)
"""A waste type seen without any pickup: a pickup newer than this is new."""


@dataclass(slots=True)
class PollChanges:
    """What changed at the last poll, for event entities (never at first load).

    Listeners are also called when the select changes the active account: ``poll``
    lets an event entity fire each change once.
    """

    poll: int = 0
    linked: list[Account] = field(default_factory=list)
    unlinked: list[Account] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    """The accounts whose data is new (not the previous poll's object), in order."""
    new_pickups: dict[int, list[Pickup]] = field(default_factory=dict)
    anomalies: dict[Pickup, Anomaly] = field(default_factory=dict)
    """Why to check each new pickup that is worth checking (worked out once per poll)."""

    def add_new_pickups(self, state: AccountState, pickups: list[Pickup]) -> None:
        """Record an account's new pickups, and which of them to check."""
        self.new_pickups[state.account.id] = pickups
        found = pickup_anomalies(state.all_pickups)
        self.anomalies.update((p, found[p]) for p in pickups if p in found)


def new_pickups(marks: dict[int, datetime], state: AccountState) -> list[Pickup]:
    """Return an account's pickups later than the newest already seen; move its marks on.

    ``marks`` holds, per waste type, the newest pickup already seen. A waste type seen
    for the first time fires nothing: its mark is its newest pickup (a day ago if it
    has none: the portal posts a pickup within the day). Marks never go back, so a
    short read, its recovery, a restart or a longer history fire nothing.
    """
    for waste_type in state.waste_types:
        if waste_type.id not in marks:
            marks[waste_type.id] = max(
                (p.date for p in state.pickups_of(waste_type.id)),
                default=max(
                    (p.date for p in state.pickups_of(waste_type.id, past=True)),
                    default=dt_util.utcnow() - NEW_TYPE_LOOKBACK,
                ),
            )
    new = [
        pickup
        for pickup in state.pickups
        if (mark := marks.get(pickup.waste_type_id)) is not None and pickup.date > mark
    ]
    for pickup in new:
        marks[pickup.waste_type_id] = max(marks[pickup.waste_type_id], pickup.date)
    return new


def measure_delays(
    delays: dict[int, list[float]],
    new: list[Pickup],
    now: datetime,
    read_before: Mapping[int, datetime],
) -> None:
    """Learn the portal's publication delay from pickups first seen in a window.

    ``delays`` and ``read_before`` are one account's, per waste type. Only a table read
    FREQUENT-ish before says when the pickup appeared (between that read and this one:
    the midpoint is taken); after a long gap it says little.
    """
    for pickup in new:
        previous = read_before.get(pickup.waste_type_id)
        if previous is None or now - previous > 2 * FREQUENT:
            continue
        seen = previous + (now - previous) / 2
        samples = delays.setdefault(pickup.waste_type_id, [])
        samples.append(max(0.0, (seen - pickup.date).total_seconds()))
        del samples[:-DELAY_SAMPLES]


@callback
def fire_events(
    hass: HomeAssistant,
    entry_id: str,
    changes: PollChanges,
    accounts: Mapping[int, AccountState],
) -> None:
    """Tell the event bus what the poll changed."""
    for account in changes.linked:
        hass.bus.async_fire(EVENT_ACCOUNT_LINKED, account_event_data(entry_id, account))
    for account in changes.unlinked:
        hass.bus.async_fire(EVENT_ACCOUNT_UNLINKED, account_event_data(entry_id, account))
    for account_id, pickups in changes.new_pickups.items():
        state = accounts[account_id]
        for pickup in pickups:
            hass.bus.async_fire(
                EVENT_PICKUP,
                pickup_event_data(entry_id, state, pickup, changes.anomalies.get(pickup)),
            )


def account_event_data(entry_id: str, account: Account) -> dict[str, Any]:
    """Return the data of an account_linked / account_unlinked event."""
    return {"config_entry_id": entry_id, "account_id": account.id, "label": account.label}


def pickup_event_data(
    entry_id: str, state: AccountState, pickup: Pickup, anomaly: Anomaly | None
) -> dict[str, Any]:
    """Return the data of a pickup event; ``anomaly``: why to check it, or None."""
    return {
        "config_entry_id": entry_id,
        "account_id": state.account.id,
        **state.pickup_data(pickup),
        "anomaly": anomaly,
    }
