"""Diagnostics: what the coordinator holds, without anything that identifies the user."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

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


def _lists(value: Any) -> Any:
    """Turn ``asdict``'s tuples into lists: ``async_redact_data`` only walks lists."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value


def _account(state: AccountState) -> dict[str, Any]:
    redacted: dict[str, Any] = async_redact_data(_lists(asdict(state)), TO_REDACT)
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
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EcocitoConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return one account's data, redacted (the login's device: the entry's settings)."""
    accounts = entry.runtime_data.data.accounts
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.isdigit() and int(identifier) in accounts:
            return _account(accounts[int(identifier)])
    return await async_get_config_entry_diagnostics(hass, entry)
