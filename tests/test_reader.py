"""The reader and the step on their own (both Home Assistant-free): a real client, the simulator.

What the coordinator's tests reach only through rare timings: a switch refused at the
first read, accounts kept by a missing drop-down after a restart, looks at accounts that
the portal refuses, or whose table comes back short.
"""

from __future__ import annotations

from dataclasses import replace
import logging

import pytest

from custom_components.ecocito.api import EcocitoClient, portal
from custom_components.ecocito.reader import look, read_login
from custom_components.ecocito.state import EntryState
from custom_components.ecocito.step import step

from .conftest import FROZEN_NOW
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
)

pytestmark = pytest.mark.freeze_time(FROZEN_NOW)

MAIN, SECOND = DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID
BOTH = {MAIN: DEMO_MAIN_LABEL, SECOND: DEMO_SECOND_LABEL}


async def first_read(client: EcocitoClient, devices: dict[int, str] | None = None) -> EntryState:
    """The state after a start's first full read (``devices``: the accounts with a device)."""
    state = EntryState(known=dict(devices or {}))
    state, _outcome = step(state, await read_login(client, state, 2, FROZEN_NOW), FROZEN_NOW)
    return state


async def test_an_account_refused_at_the_first_read_is_left_out(
    client: EcocitoClient, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Listed, yet the portal refuses to switch to it: no data to keep, no account yet."""
    caplog.set_level(logging.INFO)
    simulator.add_fault(Fault(FaultKind.SWITCH_REFUSED, portal.PATH_SWITCH_ACCOUNT, count=1))
    state = await first_read(client)
    assert state.held is not None
    assert set(state.held.accounts) == {MAIN}
    assert f"refused to switch to account {SECOND}" in caplog.text


async def test_a_missing_drop_down_after_a_restart_keeps_no_data_it_never_had(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """Two devices, no drop-down, nothing held yet: the account shown is read, the other waits."""
    simulator.state.style = replace(simulator.state.style, drop_down=False)
    state = EntryState(known=BOTH)
    state, outcome = step(state, await read_login(client, state, 2, FROZEN_NOW), FROZEN_NOW)
    assert set(outcome.data.accounts) == {MAIN}  # the home page names the session's account
    assert (outcome.unlinked, outcome.told) == ((), ())
    assert state.known == BOTH
    assert state.failing == {None: {"account_drop_down": "the pages show no account drop-down"}}


async def test_a_look_at_accounts_not_held_or_refused_reads_nothing(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    state = await first_read(client, BOTH)
    simulator.reset_requests()
    looks = await look(client, state, frozenset({999999}), FROZEN_NOW)
    assert looks.looks == {}
    assert simulator.count() == 0

    # The session is on the second account: a look at the main one needs a switch.
    simulator.add_fault(Fault(FaultKind.SWITCH_REFUSED, portal.PATH_SWITCH_ACCOUNT, count=1))
    looks = await look(client, state, frozenset({MAIN}), FROZEN_NOW)
    assert looks.looks == {}
    after, outcome = step(state, looks, FROZEN_NOW)
    assert outcome.data.accounts == state.held.accounts
    assert after.looked_at == state.looked_at


async def test_a_look_that_comes_back_short_keeps_the_table(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """Fewer rows than held: the table stays; the next look compares with the portal's total."""
    state = await first_read(client, BOTH)
    held = state.held
    assert held is not None
    simulator.add_fault(Fault(FaultKind.SHORT_TABLE, portal.PATH_PICKUPS, count=2, keep=0.5))
    state, outcome = step(
        state, await look(client, state, frozenset({MAIN}), FROZEN_NOW), FROZEN_NOW
    )
    assert outcome.data.accounts[MAIN] is held.accounts[MAIN]  # nothing written
    assert outcome.rows_changed == frozenset()
    # Still short at the next look: the total is the one remembered, nothing is read again.
    simulator.add_fault(Fault(FaultKind.SHORT_TABLE, portal.PATH_PICKUPS, count=1, keep=0.5))
    simulator.reset_requests()
    state, outcome = step(
        state, await look(client, state, frozenset({MAIN}), FROZEN_NOW), FROZEN_NOW
    )
    assert outcome.data.accounts[MAIN] is held.accounts[MAIN]
    assert simulator.count(portal.PATH_PICKUPS) == 1  # the look alone


async def test_looks_begin_with_the_session_s_account(
    client: EcocitoClient, simulator: PortalSimulator
) -> None:
    """Both accounts due, the session on the second (read last): it is looked at first,
    with no switch; then one switch to the main one, checked by no page (a look)."""
    state = await first_read(client, BOTH)
    simulator.reset_requests()
    looks = await look(client, state, frozenset({MAIN, SECOND}), FROZEN_NOW)
    assert set(looks.looks) == {MAIN, SECOND}
    assert [(r.method, r.path, r.account_id) for r in simulator.requests] == [
        ("GET", portal.PATH_PICKUPS, SECOND),
        ("POST", portal.PATH_SWITCH_ACCOUNT, MAIN),  # the account it answers for
        ("GET", portal.PATH_PICKUPS, MAIN),
    ]
    _after, outcome = step(state, looks, FROZEN_NOW)
    assert outcome.data.accounts == state.held.accounts
