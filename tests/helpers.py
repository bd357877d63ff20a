"""Small helpers shared by the integration's tests."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from datetime import date, datetime
import time
import types
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform, __version__
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket

from custom_components.ecocito import diagnostics
from custom_components.ecocito.api import transport as transport_module
from custom_components.ecocito.const import (
    CONF_HISTORY_YEARS,
    CONF_PORTAL,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
)
from custom_components.ecocito.coordinator import EcocitoCoordinator
from custom_components.ecocito.devices import portal_of

from .portal.state import PARIS

HA_RELEASE = ".".join(__version__.split(".")[:2])
"""The Home Assistant release the suite runs on: "2025.4" (oldest) or "2026.10" (newest)."""


def simulator_entry(base_url: str, login: str, password: str, title: str) -> MockConfigEntry:
    """Return the entry the config flow creates for ``login`` on the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=f"{base_url.removeprefix('http://')}_{login}",
        data={CONF_PORTAL: base_url, CONF_USERNAME: login, CONF_PASSWORD: password},
        options={CONF_HISTORY_YEARS: DEFAULT_HISTORY_YEARS},
        version=2,
    )


def portal(hass: HomeAssistant) -> str:
    """Return the portal of the test's Ecocito entries (there must be one portal)."""
    portals = {portal_of(entry) for entry in hass.config_entries.async_entries(DOMAIN)}
    assert len(portals) == 1, portals
    return portals.pop()


def scoped(hass: HomeAssistant, unscoped: str) -> str:
    """Return an account's unique ID or device identifier: ``<portal>_<account>…``.

    ``unscoped`` starts with the account ID, as in ``f"{account_id}_pickups_15"``.
    """
    return f"{portal(hass)}_{unscoped}"


def login_uid(entry: MockConfigEntry, key: str) -> str:
    """Return the unique ID of a login entity: its portal and entry, not the e-mail."""
    return f"{portal_of(entry)}_{entry.entry_id}_{key}"


def statistic_key(hass: HomeAssistant) -> str:
    """Return the portal as statistic IDs hold it (``127_0_0_1_<port>``)."""
    return portal(hass).replace(".", "_").replace(":", "_")


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> EcocitoCoordinator:
    """Poll the portal now, as the schedule (or `homeassistant.update_entity`) would."""
    coordinator: EcocitoCoordinator = entry.runtime_data
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    return coordinator


def next_poll(hass: HomeAssistant, entry: MockConfigEntry) -> datetime | None:
    """Return the next poll the *Next poll* sensor shows (None: unknown, polling off)."""
    entity_id = registered(er.async_get(hass), Platform.SENSOR, login_uid(entry, "next_poll"))
    state = hass.states.get(entity_id)
    assert state is not None
    return None if state.state == "unknown" else datetime.fromisoformat(state.state)


async def account_schedule(
    hass: HomeAssistant, entry: MockConfigEntry, account_id: int
) -> dict[str, Any]:
    """Return what an account's diagnostics say the schedule learnt, per waste type."""
    device = account_device(dr.async_get(hass), account_id)
    assert device is not None
    found = await diagnostics.async_get_device_diagnostics(hass, entry, device)
    schedule: dict[str, Any] = found["schedule"]
    return schedule


def this_year() -> tuple[date, date]:
    """Return the first day of this year and today, portal time (a data read's range)."""
    today = datetime.now(PARIS).date()
    return date(today.year, 1, 1), today


class ClientClock:
    """The API client's clock (its back-off, Retry-After): real time, ``later`` s on."""

    def __init__(self, later: float) -> None:
        self.later = later

    def monotonic(self) -> float:
        return time.monotonic() + self.later

    def time(self) -> float:
        return time.time() + self.later


@contextlib.contextmanager
def client_clock(later: float = 0.0) -> Iterator[ClientClock]:
    """Move the API client's clock ``later`` seconds on (move it further with ``.later``)."""
    clock = ClientClock(later)
    fake = types.SimpleNamespace(**vars(time))
    fake.monotonic = clock.monotonic
    fake.time = clock.time
    with patch.object(transport_module, "time", fake):
        yield clock


def registered(entity_registry: er.EntityRegistry, platform: Platform, unique_id: str) -> str:
    """Return the entity ID registered for one of our unique IDs (it must exist)."""
    found = entity_registry.async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


def find_device(device_registry: dr.DeviceRegistry, identifier: str) -> dr.DeviceEntry | None:
    """Return our device with this identifier, if any.

    Works on 2025.4 and 2026.x alike: ``async_get_device(identifiers=...)`` and using
    ``device_registry.devices`` as a mapping are deprecated on 2026.x (identifiers are
    no longer unique across config entries), and their replacements do not exist in
    2025.4.
    """
    found = [
        device
        for entry in device_registry.hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        if (DOMAIN, identifier) in device.identifiers
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def account_device(device_registry: dr.DeviceRegistry, account_id: int) -> dr.DeviceEntry | None:
    """Return the device of a production point (an account), if any."""
    return find_device(device_registry, scoped(device_registry.hass, str(account_id)))


async def remove_device_as_the_frontend_does(
    client: MockHAClientWebSocket, device_id: str, entry_id: str
) -> dict[str, Any]:
    """Ask to delete a device over the websocket API, as each release's frontend does.

    2026.x's frontend sends ``config/device_registry/remove`` (a device has one entry
    there); 2025.4's removes the device from one entry with ``remove_config_entry``.
    """
    if HA_RELEASE == "2025.4":
        command = {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
        }
    else:
        command = {"type": "config/device_registry/remove"}
    await client.send_json_auto_id({**command, "device_id": device_id})
    response: dict[str, Any] = await client.receive_json()
    return response
