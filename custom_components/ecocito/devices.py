"""Account devices: their identifier, made and read here only, and their removal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable


def account_identifier(portal: str, account_id: int) -> tuple[str, str]:
    """Return the device identifier of an account: its portal, then its ID.

    The same account ID may exist on two portals; the login e-mail is never part of an
    identifier (it may change, and it is personal).
    """
    return (DOMAIN, f"{portal}_{account_id}")


def account_of(portal: str, identifiers: Iterable[tuple[str, str]]) -> int | None:
    """Return the account ID a device's identifiers name on that portal (None: none)."""
    prefix = f"{portal}_"
    for domain, identifier in identifiers:
        account_id = identifier.removeprefix(prefix)
        if domain == DOMAIN and account_id != identifier and account_id.isdigit():
            return int(account_id)
    return None


@callback
def account_devices(hass: HomeAssistant, entry_id: str, portal: str) -> dict[int, str]:
    """Return the accounts of an entry that have a device, with the device's name."""
    return {
        account_id: device.name or str(account_id)
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
        if (account_id := account_of(portal, device.identifiers)) is not None
    }


@callback
def remove_account_devices(
    hass: HomeAssistant, entry_id: str, portal: str, account_ids: Iterable[int]
) -> None:
    """Remove the devices (and so the entities) of accounts whose unlinking is confirmed."""
    if not (gone := {account_identifier(portal, account_id) for account_id in account_ids}):
        return
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        if gone & device.identifiers:
            registry.async_remove_device(device.id)
