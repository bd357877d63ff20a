"""Account devices: their identifier, made and read here only, and their removal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from yarl import URL

from .api import normalize_portal
from .const import CONF_PORTAL, DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.config_entries import ConfigEntry


def portal_of(entry: ConfigEntry[Any]) -> str:
    """Return the entry's portal host (with its port, if any): it scopes every identifier."""
    return URL(normalize_portal(entry.data[CONF_PORTAL])).raw_authority.lower()


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


@callback
def renumber_account_devices(
    hass: HomeAssistant, entry_id: str, portal: str, old: int, new: int
) -> None:
    """Give an account's device and entities its number, keeping their IDs and history.

    A login whose pages named no account had its one account under
    ``UNNUMBERED_ACCOUNT_ID``; once a drop-down names it, it goes by its number.
    """
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, entry_id):
        if account_identifier(portal, old) in device.identifiers:
            devices.async_update_device(
                device.id, new_identifiers={account_identifier(portal, new)}
            )
    entities = er.async_get(hass)
    before, after = f"{portal}_{old}_", f"{portal}_{new}_"
    for entity in er.async_entries_for_config_entry(entities, entry_id):
        if entity.unique_id.startswith(before):
            entities.async_update_entity(
                entity.entity_id, new_unique_id=after + entity.unique_id.removeprefix(before)
            )
