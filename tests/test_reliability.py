"""Reliability: every failure of the SPEC's table as the user sees it, a soak, and secrets.

Polls are driven with ``coordinator.async_refresh()``: time travel and real HTTP do not
mix (see HA-COMPAT.md). The client's request timeout is shortened here so that a slow
portal fails fast.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
import itertools
import json
import logging
import secrets
import types
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_USERNAME,
    MATCH_ALL,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ecocito import diagnostics
from custom_components.ecocito.api import EcocitoClient
from custom_components.ecocito.api.portal import (
    PATH_COLLECTION_PAGE,
    PATH_LOGIN,
    PATH_PICKUPS,
    PATH_SWITCH_ACCOUNT,
    PATH_VISITS,
)
from custom_components.ecocito.const import (
    CONF_ACTIVATION_KEY,
    CONF_COMMUNE,
    CONF_COMMUNE_ID,
    CONF_PORTAL,
    DOMAIN,
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
    SUBENTRY_PRODUCTION_POINT,
)
from custom_components.ecocito.coordinator import UPDATE_INTERVAL, EcocitoCoordinator
from custom_components.ecocito.repairs import PORTAL_CHANGED_REPAIR_AFTER, REPAIR_PORTAL_CHANGED

from .conftest import FROZEN_NOW
from .helpers import client_clock, find_device, poll, scoped, simulator_entry
from .portal import Fault, FaultKind, PortalSimulator, app as portal_app
from .portal.app import ERROR_BAD_KEY
from .portal.scenarios import (
    COMMUNE_GUERET,
    DEMO_LINKABLE_COMMUNE,
    DEMO_LINKABLE_KEY,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_WASTE_TYPES,
    LARGE_ACCOUNT_IDS,
    LARGE_LOGIN,
    LARGE_PASSWORD,
)
from .portal.state import PARIS, Account

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")

REQUEST_TIMEOUT = 0.5
"""The client's per-request timeout in these tests (30 s in production)."""
SLOW_DELAY = 1.5
"""How long a slow portal takes: beyond REQUEST_TIMEOUT."""


@pytest.fixture(autouse=True)
def short_request_timeout() -> Iterator[None]:
    """Make the entry's client give up on a request after REQUEST_TIMEOUT."""
    with patch(
        "custom_components.ecocito.EcocitoClient",
        partial(EcocitoClient, request_timeout=REQUEST_TIMEOUT),
    ):
        yield


def entry_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """The states of the entry's sensors and selects (time-independent entities: not the
    next-poll sensor, which moves with every poll)."""
    registry = er.async_get(hass)
    states = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id.endswith("_next_poll"):
            continue
        if entity.domain in (Platform.SENSOR, Platform.SELECT) and (
            state := hass.states.get(entity.entity_id)
        ):
            states[entity.entity_id] = state.state
    assert states
    return states


def account_states(hass: HomeAssistant, entry: MockConfigEntry, account_id: int) -> set[str]:
    """The distinct states of one account's sensors."""
    registry = er.async_get(hass)
    return {
        state.state
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if entity.domain == Platform.SENSOR
        and entity.unique_id.startswith(scoped(hass, f"{account_id}_"))
        and (state := hass.states.get(entity.entity_id))
    }


def repair_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{REPAIR_PORTAL_CHANGED}_{entry.entry_id}")


# --- The failure table, row by row ------------------------------------------------


@pytest.mark.parametrize("mode", ["page", "redirect"])
async def test_session_expired(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry, mode: str
) -> None:
    """Row "session expired": log in again once, retry once; the user sees nothing."""
    before = entry_states(hass, init_integration)
    simulator.expired_session_mode = mode  # type: ignore[assignment]
    simulator.add_fault(Fault(FaultKind.SESSION_EXPIRED, PATH_PICKUPS, count=1))
    simulator.reset_requests()

    coordinator = await poll(hass, init_integration)

    assert coordinator.last_update_success
    assert simulator.count(PATH_LOGIN, "POST") == 2
    assert entry_states(hass, init_integration) == before
    assert not hass.config_entries.flow.async_progress()


async def test_wrong_password(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Row "wrong password": reauth flow; entities keep their values as unavailable."""
    before = entry_states(hass, init_integration)
    data = init_integration.runtime_data.data
    simulator.state.set_password(DEMO_LOGIN, "Nouveau-Mot-2026")

    coordinator = await poll(hass, init_integration)

    assert not coordinator.last_update_success
    assert coordinator.data is data  # the last values are kept
    assert account_states(hass, init_integration, DEMO_MAIN_ACCOUNT_ID) == {STATE_UNAVAILABLE}
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == init_integration.entry_id

    # The user types the new password: the entry reloads and the figures come back.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: "Nouveau-Mot-2026"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert entry_states(hass, init_integration) == before


@pytest.mark.freeze_time(FROZEN_NOW)
@pytest.mark.parametrize("status", [500, 503])
async def test_server_error(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry, status: int
) -> None:
    """Row "maintenance": unavailable, no data lost, no reauth, back at the next poll.

    Every entity of the entry is unavailable, then back with its state and attributes.
    However long it lasts, an unreachable portal is not a changed one: no repair issue.
    """
    entity_ids = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if not entity.disabled
    ]
    before = {entity_id: hass.states.get(entity_id) for entity_id in entity_ids}
    assert STATE_UNAVAILABLE not in {state.state for state in before.values()}
    data = init_integration.runtime_data.data
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, status=status))

    for _ in range(PORTAL_CHANGED_REPAIR_AFTER + 1):
        coordinator = await poll(hass, init_integration)
    assert not coordinator.last_update_success
    assert f"HTTP {status}" in str(coordinator.last_exception)
    assert coordinator.data is data
    assert {hass.states.get(entity_id).state for entity_id in entity_ids} == {STATE_UNAVAILABLE}
    assert not hass.config_entries.flow.async_progress()
    assert ir.async_get(hass).issues == {}

    simulator.clear_faults()
    coordinator = await poll(hass, init_integration)
    assert coordinator.last_update_success
    for entity_id, was in before.items():
        state = hass.states.get(entity_id)
        assert (state.state, state.attributes) == (was.state, was.attributes), entity_id


async def test_slow_portal(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Row "slow portal": the request times out, the poll fails, the next one recovers."""
    before = entry_states(hass, init_integration)
    simulator.add_fault(Fault(FaultKind.SLOW, PATH_PICKUPS, delay=SLOW_DELAY))

    coordinator = await poll(hass, init_integration)
    assert not coordinator.last_update_success
    # The client's own timeout, not the portal's late answer, ended the poll.
    assert "no answer" in str(coordinator.last_exception)
    assert account_states(hass, init_integration, DEMO_MAIN_ACCOUNT_ID) == {STATE_UNAVAILABLE}

    simulator.clear_faults()
    coordinator = await poll(hass, init_integration)
    assert coordinator.last_update_success
    assert entry_states(hass, init_integration) == before


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(FaultKind.GARBAGE, PATH_PICKUPS), "malformed JSON"),
        (Fault(FaultKind.HTML_INSTEAD_OF_JSON, PATH_VISITS), "not JSON"),
        (Fault(FaultKind.MARKUP_CHANGED, PATH_COLLECTION_PAGE), "is missing"),
        (Fault(FaultKind.MARKUP_CHANGED, PATH_PICKUPS), "no 'data' list"),
    ],
    ids=["garbage-json", "html-instead-of-json", "no-type-list", "json-keys"],
)
async def test_portal_changed(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    fault: Fault,
    message: str,
) -> None:
    """Rows "garbage" and "markup changed": a clear error, a repair issue if it persists.

    Persists: that many failed polls in a row (a success in between starts the count again).
    """
    before = entry_states(hass, init_integration)
    simulator.add_fault(fault)
    for _ in range(PORTAL_CHANGED_REPAIR_AFTER - 1):
        await poll(hass, init_integration)
    simulator.clear_faults()
    assert (await poll(hass, init_integration)).last_update_success
    simulator.add_fault(fault)

    for attempt in range(1, PORTAL_CHANGED_REPAIR_AFTER + 1):
        coordinator = await poll(hass, init_integration)
        assert not coordinator.last_update_success
        assert message in str(coordinator.last_exception)
        assert (repair_issue(hass, init_integration) is not None) == (
            attempt >= PORTAL_CHANGED_REPAIR_AFTER
        )
    assert account_states(hass, init_integration, DEMO_MAIN_ACCOUNT_ID) == {STATE_UNAVAILABLE}
    issue = repair_issue(hass, init_integration)
    assert issue is not None
    assert issue.translation_key == REPAIR_PORTAL_CHANGED
    assert issue.translation_placeholders == {
        "portal": simulator.base_url,
        "issue_tracker": "https://github.com/ecocito-ha/ecocito/issues",
    }
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable

    simulator.clear_faults()
    coordinator = await poll(hass, init_integration)
    assert coordinator.last_update_success
    assert repair_issue(hass, init_integration) is None
    assert entry_states(hass, init_integration) == before


async def test_too_many_requests(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Row "too many requests": no request to the portal before Retry-After has passed."""
    before = entry_states(hass, init_integration)
    simulator.add_fault(Fault(FaultKind.RATE_LIMITED, PATH_PICKUPS, count=1, retry_after=1))

    with client_clock() as clock:
        coordinator = await poll(hass, init_integration)
        assert not coordinator.last_update_success
        assert account_states(hass, init_integration, DEMO_MAIN_ACCOUNT_ID) == {STATE_UNAVAILABLE}

        simulator.reset_requests()
        clock.later = 0.9
        coordinator = await poll(hass, init_integration)  # within Retry-After: stay away
        assert not coordinator.last_update_success
        assert simulator.requests == []

        clock.later = 1.0
        coordinator = await poll(hass, init_integration)
    assert coordinator.last_update_success
    assert simulator.requests
    assert entry_states(hass, init_integration) == before


async def test_wizard_bad_input(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Row "bad input in the wizard": the portal's message, on the key field; then it works."""
    flow = hass.config_entries.subentries
    result = await flow.async_init(
        (init_integration.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: DEMO_LINKABLE_COMMUNE})
    assert result["step_id"] == "key"

    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: "FAUX-0000-ZZ"})
    assert result["errors"] == {CONF_ACTIVATION_KEY: "invalid_key"}
    assert result["description_placeholders"]["portal_message"] == ERROR_BAD_KEY

    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_linked"


async def test_bad_answer_to_the_account_switch(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A garbled answer to the account switch is a portal fault, not an unlinked account."""
    unlinked = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    simulator.add_fault(Fault(FaultKind.GARBAGE, PATH_SWITCH_ACCOUNT, count=2))

    for _ in range(2):  # the second account's switch, garbled at each poll
        assert not (await poll(hass, init_integration)).last_update_success
    assert (await poll(hass, init_integration)).last_update_success

    assert unlinked == []
    assert find_device(device_registry, scoped(hass, str(DEMO_SECOND_ACCOUNT_ID)))
    assert STATE_UNAVAILABLE not in account_states(hass, init_integration, DEMO_SECOND_ACCOUNT_ID)


# --- Soak -----------------------------------------------------------------------

SOAK_POLLS = 100
SOAK_ACCOUNTS = 5
SOAK_FAULT_RATE = 0.15
SOAK_SEED = 20261126
SOAK_PICKUPS_AT = (15, 40, 41, 65, 85)
"""Polls after which a pickup appears on the portal (two in a row once)."""


@pytest.mark.parametrize("scenario", ["large"])
async def test_soak(
    hass: HomeAssistant, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """100 polls of 5 accounts with 15 % random faults of every kind, then none."""
    state = simulator.state
    login = state.get_login(LARGE_LOGIN)
    login.account_ids = list(LARGE_ACCOUNT_IDS[:SOAK_ACCOUNTS])
    accounts = state.linked_accounts(LARGE_LOGIN)
    # A full read: login; per account its switch, collection page, pickups per waste type,
    # visits and this year's borne openings (this scenario's accounts open no borne).
    assert not any(account.drop_offs for account in accounts)
    budget = 2 + sum(len(account.waste_types) + 4 for account in accounts)
    entry = simulator_entry(simulator.base_url, LARGE_LOGIN, LARGE_PASSWORD, "Ecocito soak")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    pickups = async_capture_events(hass, EVENT_PICKUP)
    linked = async_capture_events(hass, EVENT_ACCOUNT_LINKED)
    unlinked = async_capture_events(hass, EVENT_ACCOUNT_UNLINKED)
    caplog.clear()

    simulator.set_random_faults(SOAK_FAULT_RATE, seed=SOAK_SEED, slow_delay=SLOW_DELAY)
    simulator.reset_requests()
    added: list[tuple[int, int, str]] = []
    now = datetime.now(PARIS).replace(second=0, microsecond=0)
    per_poll: list[tuple[int, int, int]] = []  # requests, log-ins, dropped connections
    successes = 0
    with client_clock() as clock:
        for number in range(SOAK_POLLS + 1):
            if number == SOAK_POLLS:
                simulator.clear_faults()
            first = len(simulator.requests)
            coordinator = await poll(hass, entry)
            successes += coordinator.last_update_success
            clock.later += UPDATE_INTERVAL.total_seconds()
            records = simulator.requests[first:]
            per_poll.append(
                (
                    len(records),
                    sum(1 for r in records if r.path == PATH_LOGIN and r.method == "POST"),
                    sum(1 for r in records if r.status == 0),
                )
            )
            if number in SOAK_PICKUPS_AT:
                account = accounts[len(added) % len(accounts)]
                type_id = next(iter(account.waste_types))
                when = now - timedelta(minutes=len(added) + 1)
                state.add_pickup(account.id, type_id, when, 10.5)
                added.append((account.id, type_id, when.replace(tzinfo=PARIS).isoformat()))

    assert coordinator.last_update_success, coordinator.last_exception
    assert 0 < successes < SOAK_POLLS  # the faults did bite, and polls got through

    # The final states are the simulator's figures.
    registry = er.async_get(hass)
    year = now.year
    for account in accounts:
        for type_id in account.waste_types:
            mine = [p for p in account.pickups if p.type_id == type_id and p.when.year == year]
            count = registry.async_get_entity_id(
                Platform.SENSOR, DOMAIN, scoped(hass, f"{account.id}_pickups_{type_id}")
            )
            weight = registry.async_get_entity_id(
                Platform.SENSOR, DOMAIN, scoped(hass, f"{account.id}_weight_{type_id}")
            )
            assert count
            assert weight
            assert hass.states.get(count).state == str(len(mine))
            assert float(hass.states.get(weight).state) == pytest.approx(
                sum(p.weight or 0 for p in mine), abs=0.01
            )
        visits = registry.async_get_entity_id(
            Platform.SENSOR, DOMAIN, scoped(hass, f"{account.id}_visits")
        )
        assert visits
        assert hass.states.get(visits).state == str(
            sum(1 for v in account.visits if v.when.year == year)
        )

    # Each new pickup fired exactly once; nothing else did.
    fired = Counter(
        (e.data["account_id"], e.data["waste_type_id"], e.data["date"]) for e in pickups
    )
    assert fired == Counter(added)
    assert linked == []
    assert unlinked == []

    # No unhandled exception; failed polls are logged without a trace. (The simulator's
    # server logs the connections our timeouts close: not ours.)
    unexpected = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.exc_info and r.name != "aiohttp.server"
    ]
    assert unexpected == []
    assert repair_issue(hass, entry) is None

    # Requests: the budget, plus a log-in, switch and retry per expired session and
    # aiohttp's own retry of a dropped connection.
    for number, (count, logins, dropped) in enumerate(per_poll):
        assert count <= budget + 4 * max(logins - 1, 0) + dropped, number

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    leftovers = [
        task
        for task in asyncio.all_tasks()
        if "ecocito" in repr(task.get_coro()) and not task.done()
    ]
    assert leftovers == []


# --- Secrets ----------------------------------------------------------------------

CANARY_LOGIN = "canari.login.7f3q@example.org"
CANARY_PASSWORD = "Canari-Mot-de-passe-9x2w"
CANARY_NEW_PASSWORD = "Canari-Nouveau-4k8z"
CANARY_KEY = "CANA-7F3Q-KZ"
CANARY_ACCOUNT_ID = 150001
CANARY_COOKIE = "canaricookie"
"""Every session cookie the simulator hands out starts with this."""
CANARY_TOKEN = "canaritoken"


@pytest.fixture
def canary_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the simulator's session cookies and form tokens recognisable."""
    counter = itertools.count()
    monkeypatch.setattr(
        portal_app,
        "secrets",
        types.SimpleNamespace(
            token_hex=lambda _n=None: f"{CANARY_COOKIE}{next(counter):06d}",
            token_urlsafe=lambda _n=None: f"{CANARY_TOKEN}{secrets.token_hex(8)}",
        ),
    )


@pytest.mark.usefixtures("canary_cookies")
async def test_secrets_never_leak(
    hass: HomeAssistant, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Flows, polls, faults, diagnostics and a reauth: no canary of any secret anywhere.

    One run checks every canary: the password (old and new), the login, the activation
    key and the session cookies and form tokens.
    """
    caplog.set_level(logging.DEBUG)  # the root logger, restored after the test
    state = simulator.state
    state.add_login(CANARY_LOGIN, CANARY_PASSWORD, [DEMO_MAIN_ACCOUNT_ID])
    state.add_account(
        Account(
            CANARY_ACCOUNT_ID,
            "N° 150001 - 1 RUE DU CANARI 23000 GUERET",
            COMMUNE_GUERET,
            CANARY_KEY,
            {15: DEMO_WASTE_TYPES[15]},
        )
    )
    events: list[Event] = []
    hass.bus.async_listen(MATCH_ALL, events.append)
    texts: list[str] = []  # diagnostics, repair issues, exception messages

    # The config flow: a wrong password, then the right one; the wizard with a wrong
    # key, then the canary key.
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    credentials = {
        CONF_PORTAL: simulator.base_url,
        CONF_USERNAME: CANARY_LOGIN,
        CONF_PASSWORD: "Canari-Faux",
    }
    result = await flow.async_configure(result["flow_id"], credentials)
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    result = await flow.async_configure(
        result["flow_id"], {**credentials, CONF_PASSWORD: CANARY_PASSWORD}
    )
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "link"})
    result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: "gueret"})
    if result["step_id"] == "select":
        result = await flow.async_configure(
            result["flow_id"], {CONF_COMMUNE_ID: str(COMMUNE_GUERET)}
        )
    assert result["step_id"] == "key"
    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: "CANA-0000-XX"})
    assert result["errors"] == {CONF_ACTIVATION_KEY: "invalid_key"}
    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: CANARY_KEY})
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    coordinator: EcocitoCoordinator = entry.runtime_data
    assert CANARY_ACCOUNT_ID in coordinator.data.accounts

    # Polls through every fault kind, long enough for the repair issue.
    faults = [
        Fault(FaultKind.SESSION_EXPIRED, PATH_PICKUPS, count=1),
        Fault(FaultKind.SERVER_ERROR, PATH_PICKUPS, count=1),
        Fault(FaultKind.SLOW, PATH_PICKUPS, count=1, delay=SLOW_DELAY),
        Fault(FaultKind.DISCONNECT, PATH_PICKUPS, count=1),
        Fault(FaultKind.RATE_LIMITED, PATH_PICKUPS, count=1, retry_after=0),
        Fault(FaultKind.MARKUP_CHANGED, PATH_COLLECTION_PAGE, count=1),
        *(
            Fault(FaultKind.GARBAGE, PATH_PICKUPS, count=1)
            for _ in range(PORTAL_CHANGED_REPAIR_AFTER)
        ),
    ]
    for fault in faults:
        simulator.add_fault(fault)
        await poll(hass, entry)
        texts.append(f"{coordinator.last_exception!s} {coordinator.last_exception!r}")
    issues = ir.async_get(hass).issues
    assert issues
    texts.append(repr(list(issues.values())))
    state.add_pickup(CANARY_ACCOUNT_ID, 15, datetime.now(PARIS) - timedelta(minutes=5), 9.5)
    await poll(hass, entry)
    assert coordinator.last_update_success

    # Diagnostics, of the entry and of each device.
    dumps = partial(json.dumps, default=str)
    texts.append(dumps(await diagnostics.async_get_config_entry_diagnostics(hass, entry)))
    texts.extend(
        [
            dumps(await diagnostics.async_get_device_diagnostics(hass, entry, device))
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        ]
    )

    # The password changes on the portal: reauth, a wrong try, then the new password.
    state.set_password(CANARY_LOGIN, CANARY_NEW_PASSWORD)
    await poll(hass, entry)
    texts.append(f"{coordinator.last_exception!s} {coordinator.last_exception!r}")
    (reauth,) = flow.async_progress()
    result = await flow.async_configure(reauth["flow_id"], {CONF_PASSWORD: "Canari-Faux"})
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    result = await flow.async_configure(reauth["flow_id"], {CONF_PASSWORD: CANARY_NEW_PASSWORD})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await poll(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # The canaries were really used.
    cookies = [r for r in simulator.requests if r.path == PATH_LOGIN and r.status == 302]
    assert cookies
    assert CANARY_KEY not in json.dumps(dict(entry.data))

    canaries = (
        CANARY_PASSWORD,
        CANARY_NEW_PASSWORD,
        CANARY_LOGIN,
        CANARY_KEY,
        CANARY_COOKIE,
        CANARY_TOKEN,
    )
    formatter = logging.Formatter()
    logs = [
        record.getMessage()
        + (formatter.formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    ]
    ours = [e for e in events if e.event_type.startswith(DOMAIN)]
    assert any(e.event_type == EVENT_PICKUP for e in ours)
    places = {
        "log records": "\n".join(logs),
        "our events": "\n".join(f"{e.event_type} {e.data!r}" for e in ours),
        "diagnostics, issues, exceptions": "\n".join(texts),
    }
    leaks = [
        f"{canary} in {place}"
        for place, text in places.items()
        for canary in canaries
        if canary.casefold() in text.casefold()
    ]
    assert leaks == []
