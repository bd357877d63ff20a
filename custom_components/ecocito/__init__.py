"""The Ecocito integration: bin pickups and recycling-centre visits from the Ecocito portal."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import aiohttp
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_create_clientsession

from .api import EcocitoClient, EcocitoError
from .const import CONF_PORTAL, DOMAIN
from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
from .services import async_setup_services
from .statistics import async_setup_statistics

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
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_setup_statistics(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EcocitoConfigEntry) -> bool:
    """Unload the platforms and log out, best effort: the portal ends idle sessions anyway."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        with contextlib.suppress(EcocitoError):
            await entry.runtime_data.client.logout()
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EcocitoConfigEntry, device: DeviceEntry
) -> bool:
    """Allow removing a device only once its account is no longer linked."""
    accounts = {str(account_id) for account_id in entry.runtime_data.data.accounts}
    return not any(
        domain == DOMAIN and (identifier in accounts or identifier == entry.entry_id)
        for domain, identifier in device.identifiers
    )
