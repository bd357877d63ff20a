"""The Ecocito integration: bin pickups and recycling-centre visits from the Ecocito portal."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    translation,
)
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.util import slugify

from .api import EcocitoClient, EcocitoError
from .const import CONF_PORTAL, DOMAIN, LOGGER
from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
from .devices import account_identifier, place_of, portal_of, remove_entities_never_lifted
from .entity import login_unique_id
from .services import async_setup_services
from .statistic_ids import async_migrate_statistic_ids
from .statistics import async_setup_statistics
from .store import entry_store

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry
    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EcocitoConfigEntry) -> bool:
    """Poll the portal with the entry's own cookie jar; one device per linked account."""
    client = EcocitoClient(
        # unsafe: keep cookies of IP-address hosts too (the simulator, the demo).
        async_create_clientsession(hass, cookie_jar=aiohttp.CookieJar(unsafe=True)),
        entry.data[CONF_PORTAL],
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
    )
    coordinator = EcocitoCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    remove_entities_never_lifted(hass, entry.entry_id, coordinator.portal, coordinator.data)
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_setup_statistics(hass, entry)
    # The first poll's events are told, and its state saved, once its entities exist.
    await coordinator.async_entities_added()
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


async def _async_entry_updated(hass: HomeAssistant, entry: EcocitoConfigEntry) -> None:
    """Follow the entry: new credentials reload it, new options apply without a reload."""
    coordinator = entry.runtime_data
    if entry.data != coordinator.credentials:
        hass.config_entries.async_schedule_reload(entry.entry_id)
    else:
        await coordinator.async_apply_options()


async def async_unload_entry(hass: HomeAssistant, entry: EcocitoConfigEntry) -> bool:
    """Unload the platforms and log out, best effort: the portal ends idle sessions anyway."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        with contextlib.suppress(EcocitoError):
            await entry.runtime_data.client.logout()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: EcocitoConfigEntry) -> None:
    """Forget what the entry kept across restarts (the pickups seen, absences...)."""
    await entry_store(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EcocitoConfigEntry, device: DeviceEntry
) -> bool:
    """Allow removing a device only once its account is no longer linked; else say why."""
    coordinator = entry.runtime_data
    if (DOMAIN, entry.entry_id) in device.identifiers:
        raise await _refusal(hass, "remove_login_device", {"title": entry.title})
    if place_of(coordinator.portal, device.identifiers) in coordinator.data.places:
        # No account number or address: Home Assistant logs the refusal.
        raise await _refusal(
            hass, "remove_linked_device", {"portal": coordinator.client.portal_name}
        )
    return True


async def _refusal(
    hass: HomeAssistant, key: str, placeholders: dict[str, str]
) -> HomeAssistantError:
    """Return a refusal worded in the server's language, with its translation key.

    The websocket API sends the error's text as it is, and Home Assistant would word a
    translation key in English whatever the language: the frontend shows that text.
    """
    translations = await translation.async_get_translations(
        hass, hass.config.language, "exceptions", [DOMAIN]
    )
    template = translations.get(f"component.{DOMAIN}.exceptions.{key}.message")
    return HomeAssistantError(
        *([template.format(**placeholders)] if template else []),
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


async def async_migrate_entry(hass: HomeAssistant, entry: EcocitoConfigEntry) -> bool:
    """Scope every identifier by portal (version 1 to 2), keeping everything the user has.

    Version 1 named account devices and entities after the bare account ID (two portals
    may both have an account 104233) and login entities after the login e-mail. The
    registries are updated in place, so entity IDs, names, areas and history stay; the
    statistics are renamed with their history.
    """
    if entry.version > 2:
        return False  # a newer version's (a downgrade): 2026.x refuses it before asking
    # Version 2 is ours, with no minor version: what comes here is version 1.
    portal = portal_of(entry)
    login_prefix = f"{entry.unique_id}_"

    @callback
    def scoped(entity: er.RegistryEntry) -> dict[str, Any] | None:
        old = entity.unique_id
        if old.startswith(login_prefix):
            key = old.removeprefix(login_prefix)
            return {"new_unique_id": login_unique_id(portal, entry.entry_id, key)}
        account, _, rest = old.partition("_")
        return {"new_unique_id": f"{portal}_{old}"} if account.isdigit() and rest else None

    await er.async_migrate_entries(hass, entry.entry_id, scoped)
    registry = dr.async_get(hass)
    accounts: set[int] = set()
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        old_ids = {
            int(identifier)
            for domain, identifier in device.identifiers
            if domain == DOMAIN and identifier.isdigit()
        }
        if old_ids:
            accounts |= old_ids
            registry.async_update_device(
                device.id,
                new_identifiers={
                    (domain, identifier)
                    for domain, identifier in device.identifiers
                    if not (domain == DOMAIN and identifier.isdigit())
                }
                | {account_identifier(portal, account_id) for account_id in old_ids},
            )
    await async_migrate_statistic_ids(hass, slugify(portal), accounts)
    hass.config_entries.async_update_entry(entry, version=2)
    LOGGER.debug("Entry %s migrated to version 2", entry.entry_id)
    return True
