"""What one poll changed: accounts linked or unlinked, accounts with new data, new pickups.

Worked out once per poll, for the bus events and the event entities alike. A pickup
is new when its identity (``models.PickupKey``) was never seen before, whatever its
date within the years kept: a truck that uploads late, or two bins of one type lifted
in the same minute, still fire one event each. Home Assistant-free.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .forecast import holiday
from .memory import SeenPickups
from .models import pickup_key
from .waste import Anomaly, pickup_anomalies

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from .api import Account, Pickup
    from .models import AccountState, EcocitoData, PickupKey


@dataclass(slots=True)
class PollChanges:
    """What changed at the last poll, for event entities (never at first load).

    Listeners are also called when the select changes the active account: ``poll``
    lets an event entity fire each change once.
    """

    poll: int = 0
    linked: list[Account] = field(default_factory=list)
    unlinked: list[Account] = field(default_factory=list)
    new_pickups: dict[int, list[Pickup]] = field(default_factory=dict)
    anomalies: dict[Pickup, Anomaly] = field(default_factory=dict)
    """Why to check each new pickup that is worth checking (worked out once per poll)."""

    def add_new_pickups(self, state: AccountState, pickups: list[Pickup]) -> None:
        """Record an account's new pickups, and which of them to check."""
        self.new_pickups[state.account.id] = pickups
        found = pickup_anomalies(state.all_pickups)
        self.anomalies.update((p, found[p]) for p in pickups if p in found)


def diff(
    poll: int,
    previous: Mapping[int, AccountState],
    data: EcocitoData,
    seen: dict[int, SeenPickups],
    *,
    linked: list[Account],
    unlinked: list[Account],
) -> PollChanges:
    """Work out what changed since the previous poll; remember the pickups seen."""
    changes = PollChanges(poll=poll, linked=linked, unlinked=unlinked)
    for account_id, state in data.accounts.items():
        if previous.get(account_id) is state:
            continue
        record = seen.get(account_id)
        if record is None:  # an account seen for the first time: its history is not new
            seen[account_id] = record = SeenPickups(since=data.first_day, waste_types=set())
        if new := new_pickups(record, state, data.first_day):
            changes.add_new_pickups(state, new)
    return changes


def new_pickups(record: SeenPickups, state: AccountState, first_day: date) -> list[Pickup]:
    """Return an account's pickups never seen before; remember every pickup it shows.

    Not new: the pickups of a waste type seen for the first time, and those older than
    the day from which everything was seen (the options now keep more years). A pickup
    the portal no longer shows stays seen: if it comes back, it is not new. What is
    older than ``first_day`` (the years no longer kept) is forgotten.
    """
    if record.marks is not None:
        _from_marks(record, state)
    shown: Counter[PickupKey] = Counter()
    new: list[Pickup] = []
    for pickup in state.all_pickups:
        key = pickup_key(pickup)
        shown[key] += 1
        if (
            shown[key] > record.counts[key]
            and pickup.waste_type_id in record.waste_types
            and pickup.date.date() >= record.since
        ):
            new.append(pickup)
    counts = record.counts | shown
    record.counts = Counter({key: n for key, n in counts.items() if key[0].date() >= first_day})
    record.waste_types |= {waste_type.id for waste_type in state.waste_types}
    record.since = first_day
    return new


def _from_marks(record: SeenPickups, state: AccountState) -> None:
    """Read a version 1 store's marks: a pickup no later than its type's mark was seen."""
    marks = record.marks or {}
    record.counts = Counter(
        pickup_key(p)
        for p in state.all_pickups
        if (mark := marks.get(p.waste_type_id)) is None or p.date <= mark
    )
    record.marks = None


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


def missed_event_data(
    entry_id: str, state: AccountState, waste_type_id: int, day: date
) -> dict[str, Any]:
    """Return the data of a pickup_missed event: the waste type and the day expected."""
    return {
        "config_entry_id": entry_id,
        "account_id": state.account.id,
        "waste_type_id": waste_type_id,
        "waste_type": state.labels.get(waste_type_id),
        "expected_date": day.isoformat(),
        "holiday": holiday(day),
    }
