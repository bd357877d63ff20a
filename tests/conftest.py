"""Fixtures shared by every test: the portal simulator and a client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
import logging
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

# Import our package before the `hass` fixture runs, so that Home Assistant's test
# plugin loads our custom_components and not its own testing one.
import custom_components.ecocito  # noqa: F401
from custom_components.ecocito.api import EcocitoClient

from .helpers import HA_RELEASE, simulator_entry
from .portal import PortalSimulator, build_scenario
from .portal.scenarios import DEMO_LOGIN, DEMO_PASSWORD
from .portal.state import PARIS

# Home Assistant's test plugin logs every SQL statement of the recorder (the
# `sqlalchemy.engine` logger at INFO): quiet that logger only; the other loggers (the
# secrets test reads them) stay. Its `caplog` fixture also turns the root logger to DEBUG
# and its `basicConfig` handler prints to stderr: the recorder thread's records then leak
# between the progress dots. Tests read records through `caplog`; stderr shows warnings.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
for _handler in logging.getLogger().handlers:
    _handler.setLevel(logging.WARNING)

DEMO_TITLE = "Ecocito Guéret"
"""Title of the demo entry in fixtures (the flow names an entry after its portal)."""

FROZEN_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
"""The moment every test starts at, unless it pins another: noon, portal time, on a Thursday.

Noon, so that the morning's rounds have been lifted; late November, so that the year is
nearly whole. Snapshot tests freeze it (``pytest.mark.freeze_time(FROZEN_NOW)``); every
other test starts there with the clock running (see ``pytest_collection_modifyitems``).
"""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start every test that pins no time of its own at FROZEN_NOW, the clock running.

    No test may depend on the wall clock: the simulator's data ends at "now", and the
    integration reads "this year" from Home Assistant's clock. ``tick=True`` keeps the
    clock going from there (timeouts, back-offs and the simulator's latency need it).
    Runs before pytest-freezer's own hook, which then starts the ``freezer`` fixture
    before any other of the test's fixtures (the simulator's data is built after it).
    """
    for item in items:
        if item.get_closest_marker("freeze_time") is None:
            item.add_marker(pytest.mark.freeze_time(FROZEN_NOW, tick=True))


def frame_reports(records: Iterable[logging.LogRecord]) -> list[str]:
    """Return Home Assistant's reports of deprecated or wrong calls by our code.

    Home Assistant logs them ("Detected that custom integration 'ecocito' calls ...,
    which is deprecated") and keeps running, so nothing else would fail; from test code
    they read "Detected code that ...".
    """
    return [
        message
        for record in records
        if "Detected that custom integration 'ecocito'" in (message := record.getMessage())
        or message.startswith("Detected code that")
        or ("'ecocito'" in message and "deprecated" in message)
    ]


@pytest.fixture(autouse=True)
def no_frame_reports(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail every test during which Home Assistant reported a deprecated call of ours."""
    yield
    assert frame_reports([*caplog.get_records("setup"), *caplog.get_records("call")]) == []


@pytest.fixture
def scenario() -> str:
    """Name of the simulator scenario; override in a module or with parametrize."""
    return "demo"


@pytest.fixture
async def simulator(socket_enabled: None, scenario: str) -> AsyncIterator[PortalSimulator]:
    """A portal simulator serving `scenario` on 127.0.0.1, its data as of the test's now."""
    sim = PortalSimulator(build_scenario(scenario))
    await sim.start(host="127.0.0.1", port=0)
    yield sim
    await sim.stop()


@pytest.fixture
async def elsewhere(socket_enabled: None) -> AsyncIterator[PortalSimulator]:
    """Another site (same host, another port: another origin) that records what it gets."""
    sim = PortalSimulator(build_scenario("demo"))
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
    return simulator_entry(simulator.base_url, DEMO_LOGIN, DEMO_PASSWORD, DEMO_TITLE)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, enable_custom_integrations: None, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry, set up."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def platforms() -> list[Platform] | None:
    """The platforms `setup_platforms` sets up (None: every platform)."""
    return None


@pytest.fixture
async def setup_platforms(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    mock_config_entry: MockConfigEntry,
    platforms: list[Platform] | None,
) -> MockConfigEntry:
    """The demo entry, set up with only the `platforms` fixture's platforms."""
    mock_config_entry.add_to_hass(hass)
    if platforms is None:
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    else:
        with patch("custom_components.ecocito.PLATFORMS", platforms):
            assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


class ReleaseSnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant core's snapshot format, in one folder per release we test.

    Registry entries gain fields from one release to the next (2026.x added
    ``object_id_base``, ``suggested_object_id``, device ``config_entry_id``...), so
    ``tests/snapshots/2025.4/`` and ``tests/snapshots/2026.10/`` differ exactly by
    those: diff the two folders to see how. Everything of ours is the same in both.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return tests/snapshots/<release>/."""
        return str(Path(test_location.filepath).parent / "snapshots" / HA_RELEASE)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots serialised as Home Assistant core's, stored per release (see above)."""
    return snapshot.use_extension(ReleaseSnapshotExtension)


@pytest.fixture
def sim_snapshot(
    snapshot: SnapshotAssertion, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> SnapshotAssertion:
    """`snapshot`, with the simulator's random port and the entry id made stable."""
    base_url = simulator.base_url
    host = base_url.removeprefix("http://")
    entry_id = mock_config_entry.entry_id

    def stable(*, data: Any, path: Any) -> Any:
        if isinstance(data, str):
            return (
                data.replace(base_url, "http://127.0.0.1:PORT")
                .replace(host, "127.0.0.1:PORT")
                .replace(entry_id, "ENTRY_ID")
            )
        return data

    return snapshot.with_defaults(matcher=stable)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable the entities that are disabled by default (as Home Assistant core's fixture)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield
