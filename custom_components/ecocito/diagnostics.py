"""Diagnostics: what the coordinator holds, without anything that identifies the user."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

    from .api import Pickup, Visit
    from .coordinator import AccountState, EcocitoConfigEntry

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


def _figures(pickups: Iterable[Pickup], visits: Iterable[Visit]) -> dict[str, Any]:
    """Count pickups, weight per waste type and visits: the shape of the data, no rows."""
    counts: Counter[int] = Counter()
    weights: defaultdict[int, float] = defaultdict(float)
    for pickup in pickups:
        counts[pickup.waste_type_id] += 1
        weights[pickup.waste_type_id] += pickup.weight or 0.0
    return {
        "pickups": dict(counts),
        "weight": {key: round(value, 3) for key, value in weights.items()},
        "visits": sum(1 for _ in visits),
    }


def _account(state: AccountState) -> dict[str, Any]:
    """Summarise an account: its waste types, yearly figures and its latest rows."""
    past_years = sorted(
        {p.date.year for p in state.past_pickups} | {v.date.year for v in state.past_visits}
    )
    summary = {
        "account": asdict(state.account),
        "waste_types": [asdict(waste_type) for waste_type in state.waste_types],
        "this_year": _figures(state.pickups, state.visits),
        "past_years": {
            year: _figures(
                (p for p in state.past_pickups if p.date.year == year),
                (v for v in state.past_visits if v.date.year == year),
            )
            for year in past_years
        },
        "recent_pickups": [asdict(pickup) for pickup in state.pickups[-RECENT:]],
        "recent_visits": [asdict(visit) for visit in state.visits[-RECENT:]],
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
        "accounts": [_account(state) for state in coordinator.data.accounts.values()],
        # What the portal answered when the client could not understand it: names,
        # types and counts only, for a maintainer to see what differs from the model.
        "portal_fingerprints": coordinator.client.portal_fingerprints,
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EcocitoConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return one account's data, redacted (the login's device: the entry's settings)."""
    accounts = entry.runtime_data.data.accounts
    if (account_id := entry.runtime_data.account_of(device.identifiers)) in accounts:
        return _account(accounts[account_id])
    return await async_get_config_entry_diagnostics(hass, entry)
