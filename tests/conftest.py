"""Fixtures shared by every test: the portal simulator and a client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Import our package before the `hass` fixture runs, so that Home Assistant's test
# plugin loads our custom_components and not its own testing one.
import custom_components.ecocito  # noqa: F401
from custom_components.ecocito.api import EcocitoClient
from custom_components.ecocito.const import (
    CONF_HISTORY_YEARS,
    CONF_PORTAL,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
)

from .portal import PortalSimulator, build_scenario
from .portal.scenarios import DEMO_LOGIN, DEMO_PASSWORD


@pytest.fixture
def scenario() -> str:
    """Name of the simulator scenario; override in a module or with parametrize."""
    return "demo"


@pytest.fixture
async def simulator(socket_enabled: None, scenario: str) -> AsyncIterator[PortalSimulator]:
    """A portal simulator serving `scenario` on 127.0.0.1."""
    sim = PortalSimulator(build_scenario(scenario))
    await sim.start(host="127.0.0.1", port=0)
    yield sim
    await sim.stop()


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session with its own cookie jar, as the integration gives the client.

    ``unsafe=True`` lets the jar keep cookies of an IP-address host (127.0.0.1).
    """
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture
def client(http_session: aiohttp.ClientSession, simulator: PortalSimulator) -> EcocitoClient:
    """A client for the demo login, with a short request timeout."""
    return EcocitoClient(
        http_session, simulator.base_url, DEMO_LOGIN, DEMO_PASSWORD, request_timeout=2
    )


@pytest.fixture
def mock_config_entry(simulator: PortalSimulator) -> MockConfigEntry:
    """The entry the config flow creates for the demo login on the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=DEMO_LOGIN,
        unique_id=f"{simulator.base_url.removeprefix('http://')}_{DEMO_LOGIN}",
        data={
            CONF_PORTAL: simulator.base_url,
            CONF_USERNAME: DEMO_LOGIN,
            CONF_PASSWORD: DEMO_PASSWORD,
        },
        options={CONF_HISTORY_YEARS: DEFAULT_HISTORY_YEARS},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, enable_custom_integrations: None, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry, set up."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
