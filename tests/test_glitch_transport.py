"""Glitch matrix, transport part: one bad answer from the portal costs the user nothing.

Each row sets up the demo entry on the simulator, gives the portal one bad answer (or
one bad poll's worth), polls, then lets the portal recover and polls again. Whatever
the glitch, the user keeps their devices and entities (ids, names, areas), sees the
same states after recovery, gets no event and no reauthentication (unless the portal
said the password is wrong), the requests stay bounded, and no secret reaches the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ecocito.api import portal
from custom_components.ecocito.const import (
    DOMAIN,
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
)

from .helpers import client_clock, find_device, poll, scoped
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import DEMO_LOGIN, DEMO_MAIN_ACCOUNT_ID, DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")

POLL_BUDGET = 30
"""Requests one glitched poll may make: a good poll of the demo makes 17."""


@dataclass(frozen=True, kw_only=True)
class Glitch:
    """One row of the matrix."""

    faults: Callable[[PortalSimulator, PortalSimulator], list[Fault]] = lambda _sim, _far: []
    wrong_password: bool = False
    """The portal says the password is wrong (the one row that must start reauth)."""
    poll_fails: bool = True
    """Whether the glitched poll fails (a tolerated oddity does not)."""
    later: float = 0.0
    """Seconds the client's clock moves on before the recovery poll."""
    extra: dict[str, Any] = field(default_factory=dict)


GLITCHES = {
    "login redirected to another site (307)": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.REDIRECT, portal.PATH_LOGIN, count=1, status=307, location=far.base_url)
        ]
    ),
    "page redirected to another site": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.REDIRECT, portal.PATH_COLLECTION_PAGE, count=1, location=far.base_url)
        ]
    ),
    "endless redirects within the portal": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.REDIRECT, portal.PATH_HOME, status=302, location=sim.base_url)
        ]
    ),
    "skip ignored, wrong total": Glitch(
        faults=lambda sim, far: [Fault(FaultKind.IGNORE_SKIP, portal.PATH_PICKUPS)]
    ),
    "48 MB answer": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.HUGE_BODY, portal.PATH_PICKUPS, count=1, size=48 * 2**20)
        ]
    ),
    "Retry-After: inf": Glitch(
        faults=lambda sim, far: [Fault(FaultKind.RATE_LIMITED, count=1, retry_after="inf")],
        later=portal.MAX_RETRY_AFTER,
    ),
    "Retry-After in 2099": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.RATE_LIMITED, count=1, retry_after="Thu, 01 Jan 2099 00:00:00 GMT")
        ],
        later=portal.MAX_RETRY_AFTER,
    ),
    "page nested 990 levels": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.DEEP_NESTING, portal.PATH_COLLECTION_PAGE, count=2, depth=990)
        ],
        poll_fails=False,
    ),
    "JSON nested 100,000 levels": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.DEEP_NESTING, portal.PATH_PICKUPS, count=1, depth=100_000)
        ]
    ),
    "login page again after logging in": Glitch(
        faults=lambda sim, far: [Fault(FaultKind.LOGIN_PAGE, portal.PATH_HOME, count=1)]
    ),
    "login page twice in a row": Glitch(
        faults=lambda sim, far: [
            Fault(FaultKind.SESSION_EXPIRED, portal.PATH_COLLECTION_PAGE, count=1),
            Fault(FaultKind.LOGIN_PAGE, portal.PATH_LOGIN, count=2),
        ]
    ),
    "the portal says the password is wrong": Glitch(wrong_password=True),
}


def registries(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[Any, Any]:
    """What the user sees in the registries: ids, names, areas, customisations."""
    devices = sorted(
        (d.id, sorted(d.identifiers), d.name, d.name_by_user, d.area_id, d.disabled_by)
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    )
    entities = sorted(
        (e.entity_id, e.unique_id, e.device_id, e.name, e.area_id, e.disabled_by)
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    )
    return devices, entities


def states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, tuple[str, Any]]:
    """The states (and attributes) of the entry's sensors, selects and binary sensors
    (not the next-poll sensor: it moves with every poll)."""
    shown = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if entity.unique_id.endswith("_next_poll"):
            continue
        if entity.domain in (Platform.SENSOR, Platform.SELECT, Platform.BINARY_SENSOR) and (
            state := hass.states.get(entity.entity_id)
        ):
            shown[entity.entity_id] = (state.state, dict(state.attributes))
    assert shown
    return shown


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Tracebacks a user sees in the log (INFO and up; 2026.x's coordinator adds the
    failed poll's at DEBUG), but asyncio's own about the simulator's sockets."""
    return [
        record
        for record in caplog.records
        if record.exc_info and record.levelno >= logging.INFO and record.name != "asyncio"
    ]


def reauth_flows(hass: HomeAssistant) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


@pytest.mark.parametrize("glitch", list(GLITCHES.values()), ids=list(GLITCHES))
async def test_one_glitch_costs_nothing(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    elsewhere: PortalSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    glitch: Glitch,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = init_integration
    # The user's customisations: a device renamed and put in an area, an entity renamed.
    device = find_device(dr.async_get(hass), scoped(hass, str(DEMO_MAIN_ACCOUNT_ID)))
    assert device is not None
    kitchen = ar.async_get(hass).async_create("Cuisine")
    dr.async_get(hass).async_update_device(device.id, name_by_user="Maison", area_id=kitchen.id)
    entity_registry = er.async_get(hass)
    renamed = next(
        e
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.device_id == device.id and e.domain == Platform.SENSOR
    )
    entity_registry.async_update_entity(renamed.entity_id, name="Mes levées")
    await hass.async_block_till_done()
    before = registries(hass, entry), states(hass, entry)
    fired: list[Event] = []

    @callback
    def record(event: Event) -> None:
        fired.append(event)

    for event_type in (EVENT_PICKUP, EVENT_ACCOUNT_LINKED, EVENT_ACCOUNT_UNLINKED):
        hass.bus.async_listen(event_type, record)
    simulator.reset_requests()

    # One bad answer (or one bad poll).
    for fault in glitch.faults(simulator, elsewhere):
        simulator.add_fault(fault)
    if glitch.wrong_password:
        simulator.state.set_password(DEMO_LOGIN, "Changé-sur-le-portail")
    await poll(hass, entry)
    coordinator = entry.runtime_data
    assert coordinator.last_update_success is not glitch.poll_fails
    assert simulator.count() <= POLL_BUDGET
    assert elsewhere.requests == []  # nothing, credentials least of all, left the portal
    assert bool(reauth_flows(hass)) is glitch.wrong_password

    # The portal recovers.
    simulator.clear_faults()
    if glitch.wrong_password:
        simulator.state.set_password(DEMO_LOGIN, DEMO_PASSWORD)
    with client_clock(glitch.later):
        await poll(hass, entry)
    assert coordinator.last_update_success
    assert entry.state is ConfigEntryState.LOADED

    assert (registries(hass, entry), states(hass, entry)) == before
    assert fired == []
    assert simulator.count() <= 2 * POLL_BUDGET
    assert bool(reauth_flows(hass)) is glitch.wrong_password
    assert tracebacks(caplog) == []
    assert DEMO_PASSWORD not in caplog.text
    assert DEMO_LOGIN not in caplog.text


async def test_unload_during_a_poll_is_quiet(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No traceback, no error, and no log-in after the log-out."""
    caplog.set_level(logging.DEBUG)
    simulator.latency = 0.05
    simulator.reset_requests()
    polling = hass.async_create_task(init_integration.runtime_data.async_refresh())
    while simulator.count(portal.PATH_COLLECTION_PAGE) == 0:  # the poll is under way
        await asyncio.sleep(0.01)

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    requests = [(record.method, record.path) for record in simulator.requests]
    assert requests[-1] == ("GET", portal.PATH_LOGOUT)
    assert requests.count(("POST", portal.PATH_LOGIN)) == 1
    assert simulator.session_count() == 0
    assert tracebacks(caplog) == []
    # asyncio's debug mode warns of any step slower than 0.1 s: the machine's load, not us.
    assert not [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and not (r.name == "asyncio" and str(r.msg).startswith("Executing"))
    ]
