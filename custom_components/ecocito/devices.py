"""Place devices: their identifier, made and read here only, their parent, their removal.

An account's own place is the account's device (``<portal>_<account>``); another
address its rows carry is a device of its own (``<portal>_<account>_<address key>``),
child of the account's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from yarl import URL

from .api import normalize_portal
from .const import CONF_PORTAL, DOMAIN, WASTE_TYPE_KEYS
from .models import OWN_PLACE

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.config_entries import ConfigEntry

    from .models import EcocitoData, PlaceKey


def portal_of(entry: ConfigEntry[Any]) -> str:
    """Return the entry's portal host (with its port, if any): it scopes every identifier."""
    return URL(normalize_portal(entry.data[CONF_PORTAL])).raw_authority.lower()


def account_identifier(portal: str, account_id: int) -> tuple[str, str]:
    """Return the device identifier of an account: its portal, then its ID.

    The same account ID may exist on two portals; the login e-mail is never part of an
    identifier (it may change, and it is personal).
    """
    return (DOMAIN, f"{portal}_{account_id}")


def place_identifier(portal: str, place: PlaceKey) -> tuple[str, str]:
    """Return the device identifier of a place: the account's, or with its address's key."""
    account_id, key = place
    identifier = account_identifier(portal, account_id)
    return identifier if key == OWN_PLACE else (DOMAIN, f"{identifier[1]}_{key}")


def place_of(portal: str, identifiers: Iterable[tuple[str, str]]) -> PlaceKey | None:
    """Return the place a device's identifiers name on that portal (None: none)."""
    prefix = f"{portal}_"
    for domain, identifier in identifiers:
        account, _, key = identifier.removeprefix(prefix).partition("_")
        if domain == DOMAIN and identifier.startswith(prefix) and account.isdigit():
            return (int(account), key)
    return None


def account_of(portal: str, identifiers: Iterable[tuple[str, str]]) -> int | None:
    """Return the account ID a device of an account's own place names (None: none)."""
    place = place_of(portal, identifiers)
    return place[0] if place is not None and place[1] == OWN_PLACE else None


@callback
def place_device_id(hass: HomeAssistant, entry_id: str, portal: str, place: PlaceKey) -> str | None:
    """Return the registry ID of a place's device (None: it has none yet)."""
    identifier = place_identifier(portal, place)
    return next(
        (
            device.id
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
            if identifier in device.identifiers
        ),
        None,
    )


@callback
def link_to_account(hass: HomeAssistant, device_id: str, entry_id: str, portal: str) -> None:
    """Make a place's device a child of its account's device (once both exist)."""
    registry = dr.async_get(hass)
    device = registry.async_get(device_id)
    # 2026.x has child devices too (no via_device_id): ours are plain devices.
    if (
        not isinstance(device, dr.DeviceEntry)
        or (place := place_of(portal, device.identifiers)) is None
    ):
        return
    parent = place_device_id(hass, entry_id, portal, (place[0], OWN_PLACE))
    if parent is not None and parent not in (device.id, device.via_device_id):
        registry.async_update_device(device.id, via_device_id=parent)


@callback
def account_devices(hass: HomeAssistant, entry_id: str, portal: str) -> dict[int, str]:
    """Return the accounts of an entry that have a device, with the device's name."""
    return {
        account_id: device.name or str(account_id)
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
        if (account_id := account_of(portal, device.identifiers)) is not None
    }


@callback
def remove_devices(
    hass: HomeAssistant,
    entry_id: str,
    portal: str,
    account_ids: Iterable[int],
    places: Iterable[PlaceKey] = (),
) -> None:
    """Remove the devices (and so the entities) of accounts unlinked and places gone.

    An account's go with it: its own place's and its other places'.
    """
    accounts = set(account_ids)
    gone = {place_identifier(portal, place) for place in places}
    if not accounts and not gone:
        return
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        place = place_of(portal, device.identifiers)
        if gone & device.identifiers or (place is not None and place[0] in accounts):
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
        if (place := place_of(portal, device.identifiers)) is not None and place[0] == old:
            devices.async_update_device(
                device.id, new_identifiers={place_identifier(portal, (new, place[1]))}
            )
    entities = er.async_get(hass)
    before, after = f"{portal}_{old}_", f"{portal}_{new}_"
    for entity in er.async_entries_for_config_entry(entities, entry_id):
        if entity.unique_id.startswith(before):
            entities.async_update_entity(
                entity.entity_id, new_unique_id=after + entity.unique_id.removeprefix(before)
            )


def account_unique_id(
    portal: str, account_id: int, key: str, waste_type_id: int | None = None, place: str = OWN_PLACE
) -> str:
    """Return the unique ID of an account's entity (of one of its waste types, if given).

    The portal's host comes first: two portals may both have an account 104233. An
    entity of another place than the account's own has its address's key after the
    account (the own place's keep the IDs they had before places).
    """
    owner = f"{account_id}" if place == OWN_PLACE else f"{account_id}_{place}"
    unique_id = f"{portal}_{owner}_{key}"
    return unique_id if waste_type_id is None else f"{unique_id}_{waste_type_id}"


@callback
def remove_entities_never_lifted(
    hass: HomeAssistant, entry_id: str, portal: str, data: EcocitoData
) -> None:
    """Remove the waste-type entities of waste types never lifted at their place.

    A waste type has its entities from its first pickup in the years kept; an install
    made before that rule had them for every waste type listed (a glass stream used at
    bornes only, a bin never put out), which never held a figure: they go, once.
    """
    lifted = {
        account_unique_id(portal, account_id, name, type_id, key)
        for (account_id, key), place in data.places.items()
        for type_id in place.waste_types
        for name in WASTE_TYPE_KEYS
    }
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry_id):
        owner, _, rest = entity.unique_id.removeprefix(f"{portal}_").partition("_")
        name, _, type_id = rest.rpartition("_")
        if (
            owner.isdigit()
            and int(owner) in data.accounts
            and name in WASTE_TYPE_KEYS
            and type_id.isdigit()
            and entity.unique_id not in lifted
        ):
            registry.async_remove(entity.entity_id)
