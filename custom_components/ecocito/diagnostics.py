"""Diagnostics: what the coordinator holds, without anything that identifies the user."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .devices import place_of
from .planner import delay_samples
from .schedule import publication_delay

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

    from .api import Pickup, Visit
    from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
    from .models import AccountState, Place, TypeKey
    from .state import EntryState

TO_REDACT = {
    CONF_USERNAME,
    CONF_PASSWORD,
    "account",
    "account_id",
    "address",
    "bin_number",
    "chip_number",
}


RECENT = 5
"""Rows shown in full (redacted) per account: enough to see how the portal answers."""


def _figures(
    pickups: Iterable[Pickup], visits: Iterable[Visit], openings: dict[int, int]
) -> dict[str, Any]:
    """Count pickups, weight per waste type, visits and borne openings: no rows."""
    counts: Counter[int] = Counter()
    weights: defaultdict[int, float] = defaultdict(float)
    for pickup in pickups:
        counts[pickup.waste_type_id] += 1
        weights[pickup.waste_type_id] += pickup.weight or 0.0
    return {
        "pickups": dict(counts),
        "weight": {key: round(value, 3) for key, value in weights.items()},
        "visits": sum(1 for _ in visits),
        "borne_openings": openings,
    }


def _openings(state: AccountState, year: int) -> dict[int, int]:
    """Return an account's borne openings of one year, per waste type that has some."""
    openings = {
        type_id: sum(m.count for m in state.drop_offs_of(type_id, past=True) if m.year == year)
        for type_id in state.borne_types
    }
    return {type_id: count for type_id, count in openings.items() if count}


def _rounds(state: EntryState, key: TypeKey) -> dict[str, Any]:
    """Describe what the schedule learnt of one waste type of a place."""
    rhythm, _hours = state.rhythms.today[key]
    samples = delay_samples(state.delays, key[0], key[2])
    read_at = state.looked_at.get(key[0])
    return {
        "rhythm": None
        if rhythm is None
        else {
            "weekdays": sorted(rhythm.weekdays),
            "every_weeks": rhythm.every,
            "week_parity": rhythm.parity,
            "earliest": str(rhythm.earliest),
            "latest": str(rhythm.latest),
        },
        "publication_delay": str(publication_delay(samples)),
        "read_at": read_at.isoformat() if read_at else None,
    }


def _schedule_of(state: EntryState, place: Place | None) -> dict[int, Any]:
    """Describe what the schedule learnt of each waste type of a place."""
    if place is None:
        return {}
    return {
        type_id: _rounds(state, key)
        for type_id in place.waste_types
        if (key := (place.account_id, place.key, type_id)) in state.rhythms.today
    }


def _schedule(coordinator: EcocitoCoordinator) -> dict[str, Any]:
    """Describe the next planned poll."""
    planned = coordinator.state.plan
    next_poll = coordinator.next_poll
    return {
        "next_poll": next_poll.isoformat() if next_poll else None,
        "polling_disabled": coordinator.config_entry.pref_disable_polling,
        "reads_whole_login": planned.full if planned else None,
        "waste_types_due": len(planned.types) if planned else 0,
    }


def _pickup_rows(coordinator: EcocitoCoordinator) -> str:
    """Say how the portal's pickup rows are read: typed, or one waste type at a time."""
    typed = coordinator.client.typed_rows
    if typed is None:
        return "not known yet: no pickup row read"
    return "typed (ID_MATIERE): one read for every type" if typed else "read per waste type"


def _account(state: AccountState, coordinator: EcocitoCoordinator) -> dict[str, Any]:
    """Summarise an account: its waste types, yearly figures and its latest rows."""
    past_years = sorted(
        {p.date.year for p in state.past_pickups}
        | {v.date.year for v in state.past_visits}
        | {m.year for months in state.past_drop_offs.values() for m in months if m.count}
    )
    year = coordinator.data.year
    entry_state = coordinator.state
    places = coordinator.data.places_of(state.account.id)
    summary = {
        "account": asdict(state.account),
        "waste_types": [asdict(waste_type) for waste_type in state.waste_types],
        "this_year": _figures(state.pickups, state.visits, _openings(state, year)),
        "past_years": {
            past: _figures(
                (p for p in state.past_pickups if p.date.year == past),
                (v for v in state.past_visits if v.date.year == past),
                _openings(state, past),
            )
            for past in past_years
        },
        # The optional parts failing for this account (borne statistics...), and why.
        "optional_parts_failing": dict(entry_state.failing.get(state.account.id, {})),
        "rows_of_another_type": entry_state.foreign_rows.get(state.account.id, 0),
        # How many bins and addresses its rows show (counts only): all are the account's.
        "rows_show": {
            "bins": len({p.bin_number for p in state.all_pickups if p.bin_number}),
            "addresses": len({p.address for p in state.all_pickups if p.address}),
        },
        "recent_pickups": [asdict(pickup) for pickup in state.pickups[-RECENT:]],
        "recent_visits": [asdict(visit) for visit in state.visits[-RECENT:]],
        # Its places (the own one first; no address: counts and schedules only).
        "places": len(places),
        "schedule": _schedule_of(entry_state, places[0] if places else None),
        "other_places": [
            {
                "waste_types": len(place.waste_types),
                "schedule": _schedule_of(entry_state, place),
            }
            for place in places[1:]
        ],
    }
    redacted: dict[str, Any] = async_redact_data(summary, TO_REDACT)
    return redacted


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EcocitoConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings and every linked account's data, redacted."""
    coordinator = entry.runtime_data
    return {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": dict(entry.options),
        "last_update_success": coordinator.last_update_success,
        "year": coordinator.data.year,
        "schedule": _schedule(coordinator),
        "pickup_rows": _pickup_rows(coordinator),
        # The login's optional parts failing (the account drop-down), and why.
        "optional_parts_failing": dict(coordinator.state.failing.get(None, {})),
        "accounts": [_account(state, coordinator) for state in coordinator.data.accounts.values()],
        # What the portal answered when the client could not understand it: names,
        # types and counts only, for a maintainer to see what differs from the model.
        "portal_fingerprints": coordinator.client.portal_fingerprints,
        "portal_shape": coordinator.client.portal_shape,
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EcocitoConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return one account's data, redacted (the login's device: the entry's settings)."""
    coordinator = entry.runtime_data
    accounts = coordinator.data.accounts
    place = place_of(coordinator.portal, device.identifiers)
    if place is not None and place[0] in accounts:
        return _account(accounts[place[0]], coordinator)
    return await async_get_config_entry_diagnostics(hass, entry)
