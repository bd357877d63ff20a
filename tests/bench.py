"""Benchmark: what one Ecocito entry costs the portal and Home Assistant.

Run it with ``scripts/bench`` (``python -m tests.bench --help``). Not a test module
(no ``test_`` prefix): pytest never collects it.

Each configuration runs the integration inside a real Home Assistant test instance
(``async_test_home_assistant`` from the Home Assistant test plugin) against the portal
simulator, which runs in a process of its own, as a remote portal would: its work never
shows up as a block of Home Assistant's loop (in a thread it would, taking turns with the
loop for the interpreter lock).

* A: 1 account, 3 waste types, 2 past years (the large scenario trimmed down);
* B: 5 accounts of the large scenario; C: its 20 accounts.

What is measured, and how:

* requests: counted at the simulator (its request log), per phase;
* setup: ``async_setup`` of the entry + ``async_block_till_done`` (the first refresh,
  history included, and the platforms), with the simulator's latency;
* steady poll: one ``coordinator.async_refresh()`` (a full read, as
  ``homeassistant.update_entity``) four hours later, same day;
* a month: the polls the schedule plans in the 30 days after setup, each run at its
  planned time as the coordinator's timer would, with the coordinator's clock ("today"),
  the portal's time and its session clock moved forward by a fake clock; same latency.
  Every table's pickups are regenerated with a rhythm (weekly, fortnightly, or none;
  a public holiday moves a round by a day), and the portal publishes each
  ``PUBLICATION_DELAY`` after its time; but one in ``LATE_EVERY`` of the month's lifts
  is uploaded late, hours after the next lift of its type, and the first account's
  residual waste has twin bins, lifted in the same minute. Measured: requests and
  bytes per day, how many polls read the past years per account and day, for each
  pickup published in the month the delay from its publication to the poll that
  showed it (its pickup event), and how many pickup events fired per pickup published;
* the five-minute poller: what another integration does (one read of every table
  every five minutes), run beside configuration A on the first ``FIVE_MINUTE_DAYS``
  days of the same month, with the same delays measured;
* event-loop blocks: every callback the Home Assistant loop runs (``Handle._run``) is
  timed; ``sys.monitoring`` flags the callbacks during which a function of
  ``custom_components.ecocito`` started or resumed: the longest of those is "ours".
  Garbage collections (timed with ``gc.callbacks``) are left out of a callback's time
  and reported on their own: they land in whatever callback allocates, and their
  length depends on every object of the process;
* memory: the deep size (``sys.getsizeof`` over ``gc.get_referents``, each object
  once) of the coordinator's data and the past years its state keeps, after setup; and
  the size of what the entry stores (the pickups seen, by identity) as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time as dt_time, timedelta, tzinfo
import gc
import itertools
import json
import logging
import math
import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
import random
import sys
import threading
import time
import types
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

# Import our package before Home Assistant's test helpers (see tests/conftest.py).
import custom_components.ecocito
from custom_components.ecocito import (
    coordinator as coordinator_module,
    diagnostics,  # noqa: F401 - imported so that sys.monitoring sees every module
    event,  # noqa: F401
    select,  # noqa: F401
    sensor,  # noqa: F401
)
from custom_components.ecocito.api import portal as portal_paths
from custom_components.ecocito.const import (
    EVENT_PICKUP,
)
from custom_components.ecocito.state import StateCodec

from .helpers import simulator_entry
from .portal import PortalSimulator, PortalState, build_scenario
from .portal.app import RequestRecord
from .portal.scenarios import (
    LARGE_ACCOUNT_IDS,
    LARGE_LOGIN,
    LARGE_PASSWORD,
    add_pickups,
    irregular_days,
    rhythm_days,
)
from .portal.state import PARIS, Pickup, to_local_naive

PACKAGE_DIR = str(Path(custom_components.ecocito.__file__).parent)
DEFAULT_LATENCY = 0.05
TODAY = date(2026, 11, 26)
"""The simulated day of setup (a Thursday); the portal's data ends there."""
SETUP_AT = datetime.combine(TODAY, dt_time(10, 0), PARIS)
"""Setup at 10:00 portal time: the 24 h that follow cross one midnight."""
MONTH = timedelta(days=30)
PUBLICATION_DELAY = timedelta(minutes=90)
"""How long after its time the simulated portal publishes a pickup (the schedule
starts from a 1 h guess and learns it)."""
RHYTHMIC_MEDIAN = timedelta(minutes=5)
RHYTHMIC_P95 = timedelta(minutes=15)
OTHER_P95 = timedelta(hours=2)
REQUESTS_PER_ACCOUNT_DAY = 40
"""A's target (one account), and every configuration's per account: looks are per
account, and a look at another account than the session's costs a switch. (The budget
before looks, six full reads a day, was one of a read every 4 h.)"""
ROUND_JITTER = timedelta(minutes=30)
"""A rhythmic table's lifts come within this of its round's usual time."""
LATE_EVERY = 8
"""One lift in this many, in the month, is uploaded late: after the next of its type."""
LATE_AFTER_NEXT = timedelta(hours=3)
TWIN_BIN = "900001"
SECOND_SITE = "ZA DES GRANDS CHAMPS 23000 GUERET"
SECOND_SITE_TYPE = 2
"""The first account's packaging is lifted at a second site (its rows carry that
address): a place of its own, whose rows come with the account's (no extra request)."""
FIVE_MINUTE_DAYS = 7
"""Days of the month the five-minute poller is run on (a read every five minutes): a
week holds every weekly round. Its portal answers at once (its delays are on the bench's
clock: a latency would only make the bench slower)."""
FIVE_MINUTES = timedelta(minutes=5)
POLLER_CONFIGS = frozenset({"A"})
"""The configurations the five-minute poller runs beside: its delays do not depend on the
number of accounts, and its requests grow with them (20 accounts: some 30,000 a day, a
week of which takes the bench an hour)."""
RHYTHMS: dict[int, str] = {1: "weekly", 2: "fortnightly", 3: "none", 4: "weekly", 5: "weekly"}
"""Per waste type: the rhythm of its rounds in the month's scenario."""
CONFIGS: dict[str, tuple[int, int | None]] = {"A": (1, 3), "B": (5, None), "C": (20, None)}
"""Configuration: (linked accounts, waste types per account or None: as generated)."""

_LOGGER = logging.getLogger(__name__)


# --- The portal, in a thread of its own ------------------------------------------


def build_state(config: str, today: date = TODAY) -> PortalState:
    """Return the large scenario, cut down to one configuration's accounts and types."""
    accounts, types_per_account = CONFIGS[config]
    state = build_scenario("large", datetime.combine(today, SETUP_AT.timetz()))
    login = state.get_login(LARGE_LOGIN)
    login.account_ids = list(LARGE_ACCOUNT_IDS[:accounts])
    if types_per_account is not None:
        for account_id in login.account_ids:
            account = state.get_account(account_id)
            keep = dict(list(account.waste_types.items())[:types_per_account])
            if len(keep) < types_per_account:
                raise RuntimeError(f"account {account_id} has fewer than {types_per_account} types")
            account.waste_types = keep
            account.pickups = [p for p in account.pickups if p.type_id in keep]
    # Regenerate every table with a known rhythm, into the month after setup.
    rng = random.Random(150015)  # noqa: S311 - reproducible test data, not crypto
    start, end = date(today.year - 4, 1, 1), today + MONTH + timedelta(days=2)
    for account_id in login.account_ids:
        account = state.get_account(account_id)
        account.pickups = []
        for type_id in account.waste_types:
            rhythm, weekday = RHYTHMS[type_id], rng.randrange(5)
            days = (
                irregular_days(rng, start, end)
                if rhythm == "none"
                else rhythm_days(start, end, weekday, 2 if rhythm == "fortnightly" else 1)
            )
            add_pickups(state, rng, account_id, type_id, days)
            if rhythm != "none":
                _on_its_round(account.pickups, type_id, rng)
    state.publication_delay = PUBLICATION_DELAY
    setup = datetime.combine(today, SETUP_AT.timetz()).replace(tzinfo=None)
    state.now = setup
    _late_uploads_and_twins(state, login.account_ids, rng, setup)
    # The first account's packaging is lifted at a second site: two places, one account.
    for pickup in state.get_account(login.account_ids[0]).pickups:
        if pickup.type_id == SECOND_SITE_TYPE:
            pickup.address = SECOND_SITE
    return state


def _on_its_round(pickups: list[Pickup], type_id: int, rng: random.Random) -> None:
    """Move a rhythmic table's lifts to its round's usual time, give or take ``ROUND_JITTER``.

    A truck follows the same route: its lifts of one waste type come at about the same
    time of the morning (the scenario draws each lift anywhere between 5:30 and 8:30).
    """
    usual = timedelta(minutes=330 + rng.randrange(150))
    jitter = int(ROUND_JITTER.total_seconds())
    for pickup in pickups:
        if pickup.type_id == type_id:
            day = datetime.combine(pickup.when.date(), dt_time())
            offset = timedelta(seconds=rng.randint(-jitter, jitter))
            pickup.when = (day + usual + offset).replace(microsecond=pickup.when.microsecond)


def _late_uploads_and_twins(
    state: PortalState, account_ids: list[int], rng: random.Random, setup: datetime
) -> None:
    """Upload some of the month's lifts late (after the next of their type); add twin bins.

    The first account's residual waste (type 1) has a second bin, lifted in the same
    minute as the first, from setup on.
    """
    for account_id in account_ids:
        account = state.get_account(account_id)
        for type_id in account.waste_types:
            lifts = [p for p in account.pickups if p.type_id == type_id and p.when > setup]
            for lift, following in itertools.pairwise(lifts):
                if rng.randrange(LATE_EVERY) == 0:
                    lift.published = following.when + PUBLICATION_DELAY + LATE_AFTER_NEXT
    first = state.get_account(account_ids[0])
    for lift in [p for p in first.pickups if p.type_id == 1 and p.when > setup]:
        state.add_pickup(first.id, 1, lift.when, lift.weight, bin_number=TWIN_BIN)


class PortalProcess:
    """The simulator served from a process of its own, as a remote portal would be.

    Not a thread: the portal's work would then take turns with Home Assistant's loop
    for the interpreter lock, and show up in the loop's blocks. It builds the same
    state as ``build_state(config)`` and is told the time and latency through a pipe.
    """

    def __init__(self, config: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_portal, args=(config, child), daemon=True)

    async def start(self) -> str:
        self._process.start()
        url: str = await self._ask("url")
        return url

    async def stop(self) -> None:
        await self._ask("stop")
        await asyncio.to_thread(self._process.join, 10)

    async def set_now(self, when: datetime) -> None:
        """Move the portal's time (what it has published) and its session clock to ``when``."""
        await self._ask("now", when)

    async def set_latency(self, seconds: float) -> None:
        await self._ask("latency", seconds)

    async def reset_requests(self) -> None:
        await self._ask("reset")

    async def requests(self, since: int = 0) -> list[RequestRecord]:
        """Return the requests the portal answered since the last reset, from ``since`` on."""
        records: list[RequestRecord] = await self._ask("requests", since)
        return records

    async def _ask(self, *message: Any) -> Any:
        def ask() -> Any:
            self._conn.send(message)
            return self._conn.recv()

        return await asyncio.to_thread(ask)


def _serve_portal(config: str, conn: Connection) -> None:
    """Serve configuration ``config``'s portal until told to stop (in the portal's process)."""
    asyncio.run(_portal_main(config, conn))


async def _portal_main(config: str, conn: Connection) -> None:
    sim = PortalSimulator(build_state(config))
    clock = [SETUP_AT]
    sim.clock = lambda: clock[0].timestamp()
    await sim.start(host="127.0.0.1", port=0)
    loop = asyncio.get_running_loop()
    stopped = loop.create_future()

    def answer() -> None:
        try:
            command, *args = conn.recv()
        except EOFError:  # the bench is gone (interrupted): stop serving
            loop.remove_reader(conn.fileno())
            stopped.set_result(None)
            return
        reply: Any = None
        if command == "url":
            reply = sim.base_url
        elif command == "now":
            clock[0] = args[0]
            sim.state.now = to_local_naive(args[0])
        elif command == "latency":
            sim.latency = args[0]
        elif command == "reset":
            sim.reset_requests()
        elif command == "requests":
            reply = sim.requests[args[0] :]
        elif command == "stop":
            loop.remove_reader(conn.fileno())
            stopped.set_result(None)
        conn.send(reply)

    loop.add_reader(conn.fileno(), answer)
    await stopped
    await sim.stop()


# --- Event-loop blocks ---------------------------------------------------------


@dataclass
class Block:
    """The longest callback seen: its duration and what it was."""

    seconds: float = 0.0
    what: str = ""
    phase: str = ""


class LoopBlockMonitor:
    """Time every callback of one event loop; flag those that ran our code."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.phase = ""
        self.ours = Block()
        self.any = Block()
        self.top: list[Block] = []
        self.gc_pause = 0.0
        """The longest garbage collection during a measured action (left out of blocks)."""
        self._gc_in_step = 0.0
        self._gc_started = 0.0
        self._ran_ours = False
        self._tool: int | None = None
        self._original_run: Callable[[asyncio.Handle], None] | None = None

    def reset(self) -> None:
        self.ours = Block()
        self.any = Block()
        self.top = []
        self.gc_pause = 0.0

    def _on_gc(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self.phase and threading.current_thread() is threading.main_thread():
            took = time.perf_counter() - self._gc_started
            self._gc_in_step += took
            self.gc_pause = max(self.gc_pause, took)

    async def measure(self, hass: HomeAssistant, phase: str, coro: Any) -> Any:
        """Run ``coro`` in a task of its own, as Home Assistant would, timing its blocks."""
        self.phase = phase
        try:
            result = await hass.async_create_task(coro, eager_start=False)
            await hass.async_block_till_done()
        finally:
            self.phase = ""
        return result

    @contextmanager
    def watching(self, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
        self.loop = loop
        self._install_monitoring()
        original = asyncio.events.Handle._run
        self._original_run = original
        monitor = self

        def _run(handle: asyncio.Handle) -> None:
            if handle._loop is not monitor.loop:  # type: ignore[attr-defined]
                original(handle)
                return
            if not monitor.phase:  # between measured actions: the benchmark's own work
                original(handle)
                return
            monitor._ran_ours = False
            monitor._gc_in_step = 0.0
            start = time.perf_counter()
            try:
                original(handle)
            finally:
                took = time.perf_counter() - start - monitor._gc_in_step
                if took > monitor.any.seconds:
                    monitor.any = Block(took, _describe(handle), monitor.phase)
                if monitor._ran_ours:
                    monitor.top.append(Block(took, _describe(handle), monitor.phase))
                    monitor.top = sorted(monitor.top, key=lambda b: -b.seconds)[:5]
                    if took > monitor.ours.seconds:
                        monitor.ours = Block(took, _describe(handle), monitor.phase)

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)
        try:
            yield
        finally:
            gc.callbacks.remove(self._on_gc)
            asyncio.events.Handle._run = original  # type: ignore[method-assign]
            self._remove_monitoring()
            self.loop = None

    def _install_monitoring(self) -> None:
        mon = sys.monitoring
        tool = next(i for i in (3, 4, 5, 0) if mon.get_tool(i) is None)
        mon.use_tool_id(tool, "ecocito-bench")
        self._tool = tool

        def flag(*_args: Any) -> None:
            self._ran_ours = True

        events = mon.events.PY_START | mon.events.PY_RESUME
        mon.register_callback(tool, mon.events.PY_START, flag)
        mon.register_callback(tool, mon.events.PY_RESUME, flag)
        for code in _our_code_objects():
            mon.set_local_events(tool, code, events)

    def _remove_monitoring(self) -> None:
        if self._tool is not None:
            mon = sys.monitoring
            for code in _our_code_objects():
                mon.set_local_events(self._tool, code, 0)
            mon.register_callback(self._tool, mon.events.PY_START, None)
            mon.register_callback(self._tool, mon.events.PY_RESUME, None)
            mon.free_tool_id(self._tool)
            self._tool = None


def _our_code_objects() -> set[types.CodeType]:
    """Every code object of our package: functions, methods, lambdas, nested functions."""
    found: set[types.CodeType] = set()
    stack = [
        obj.__code__
        for obj in gc.get_objects()
        if isinstance(obj, types.FunctionType) and obj.__code__.co_filename.startswith(PACKAGE_DIR)
    ]
    while stack:
        code = stack.pop()
        if code in found:
            continue
        found.add(code)
        stack.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return found


def _describe(handle: asyncio.Handle) -> str:
    callback_ = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback_, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return f"task {getattr(coro, '__qualname__', type(coro).__name__)}"
    return str(getattr(callback_, "__qualname__", type(callback_).__name__))


# --- Memory --------------------------------------------------------------------


def deep_size(*roots: object) -> int:
    """Bytes held by ``roots`` and everything they reference, each object once."""
    seen: set[int] = set()
    size = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(obj))
        size += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return size


# --- The fake clock of the coordinator -------------------------------------------


class FakeClock:
    """Stands for ``homeassistant.util.dt`` in the coordinator: ``now()`` is ours to move."""

    def __init__(self, now: datetime) -> None:
        self.now_value = now

    def __getattr__(self, name: str) -> Any:
        return getattr(dt_util, name)

    def now(self, time_zone: tzinfo | None = None) -> datetime:
        return self.now_value.astimezone(time_zone or dt_util.get_default_time_zone())

    def utcnow(self) -> datetime:
        return self.now_value.astimezone(UTC)


# --- One configuration -----------------------------------------------------------


@dataclass
class Poller:
    """What the five-minute poller (one read of every table every five minutes) cost."""

    days: int
    requests: int = 0
    bytes: int = 0
    rhythmic_delays: list[timedelta] = field(default_factory=list)
    other_delays: list[timedelta] = field(default_factory=list)

    @property
    def requests_per_day(self) -> float:
        return self.requests / self.days

    @property
    def bytes_per_day(self) -> float:
        return self.bytes / self.days


@dataclass
class Figures:
    """What one configuration measured."""

    config: str
    accounts: int = 0
    places: int = 0
    waste_types: int = 0
    borne_types: int = 0
    """Waste types whose borne was opened this year (summed over the accounts)."""
    latency: float = 0.0
    setup_requests: int = 0
    setup_wall: float = 0.0
    poll_requests: int = 0
    poll_extra_pages: int = 0
    poll_wall: float = 0.0
    month_requests: int = 0
    month_bytes: int = 0
    month_polls: int = 0
    past_reads_per_day: int = 0
    """Most polls reading the past years for one account on one calendar day."""
    rhythmic_delays: list[timedelta] = field(default_factory=list)
    other_delays: list[timedelta] = field(default_factory=list)
    unseen: int = 0
    """Pickups published in the month that no poll showed."""
    published: int = 0
    """Pickups published in the month."""
    fired: int = 0
    """Pickup events fired in the month."""
    stored: int = 0
    """Bytes of the entry's stored memory (JSON) after the month."""
    poller: Poller | None = None
    """The five-minute poller on the first days of the same month."""
    block_ours: Block = field(default_factory=Block)
    block_any: Block = field(default_factory=Block)
    gc_pause: float = 0.0
    memory: int = 0
    errors: list[str] = field(default_factory=list)
    month_kinds: Counter[str] = field(default_factory=Counter)
    """The month's requests, per kind (``_kind``)."""

    @property
    def poll_budget(self) -> int:
        """Login (2); per account: switch, collection page, a pickups table per waste
        type, visits, this year's borne openings of every type together; then one more
        per waste type of an account whose bornes were opened this year.
        """
        return 2 + self.waste_types + 4 * self.accounts + self.borne_types

    @property
    def requests_per_day(self) -> float:
        return self.month_requests / (MONTH / timedelta(days=1))

    @property
    def bytes_per_day(self) -> float:
        return self.month_bytes / (MONTH / timedelta(days=1))


def _past_reads(requests: list[Any], year: int) -> set[int | None]:
    """Accounts whose past years this slice of the request log read."""
    return {
        record.account_id
        for record in requests
        if record.path in (portal_paths.PATH_PICKUPS, portal_paths.PATH_VISITS)
        and record.query.get(portal_paths.QUERY_START, "9999")[:4] < str(year)
    }


def _kind(record: RequestRecord) -> str:
    """Name a request: its path, and for a pickups read whether it was a look (one row)."""
    if record.path == portal_paths.PATH_PICKUPS and record.query.get("take") == "1":
        return f"{record.path} (look)"
    return f"{record.method} {record.path}"


def _extra_pages(requests: list[Any]) -> int:
    return sum(1 for record in requests if record.query.get("skip", "0") not in ("", "0"))


async def run_config(config: str, latency: float, monitor: LoopBlockMonitor) -> Figures:
    """Set one configuration up, poll it for a simulated day, and measure."""
    figures = Figures(config=config, latency=latency)
    portal = PortalProcess(config)
    base_url = await portal.start()
    state = build_state(config)  # the portal's, as it stands before any request
    linked = state.linked_accounts(LARGE_LOGIN)
    figures.accounts = len(linked)
    figures.waste_types = sum(len(account.waste_types) for account in linked)
    figures.borne_types = sum(
        len(account.waste_types)
        for account in linked
        if any(drop_off.when.year == TODAY.year for drop_off in account.drop_offs)
    )
    clock = FakeClock(SETUP_AT)
    past_reads: dict[date, defaultdict[int | None, int]] = defaultdict(lambda: defaultdict(int))

    async def note_past_reads(start: int) -> None:
        for account_id in _past_reads(await portal.requests(start), clock.now_value.year):
            past_reads[clock.now_value.date()][account_id] += 1

    try:
        async with async_test_home_assistant() as hass:
            await hass.config.async_set_time_zone("Europe/Paris")
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # enable custom integrations
            entry = simulator_entry(base_url, LARGE_LOGIN, LARGE_PASSWORD, "Ecocito bench")
            entry.add_to_hass(hass)
            pickups: list[dict[str, Any]] = []

            @callback
            def on_pickup(event_: Event) -> None:
                pickups.append(dict(event_.data))

            hass.bus.async_listen(EVENT_PICKUP, on_pickup)
            # As the test plugin does: no zeroconf resolver (the portal is an IP); 2026.x
            # closes the resolver with ``real_close`` when Home Assistant stops.
            resolver = ThreadedResolver()
            resolver.real_close = resolver.close  # type: ignore[attr-defined]
            with (
                patch(
                    "homeassistant.helpers.aiohttp_client._async_make_resolver",
                    return_value=resolver,
                ),
                patch.object(coordinator_module, "dt_util", clock),
                monitor.watching(hass.loop),
            ):
                await _measure(
                    hass, entry, portal, state, clock, figures, monitor, note_past_reads, pickups
                )
            figures.past_reads_per_day = max(
                (n for day in past_reads.values() for n in day.values()), default=0
            )
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await hass.async_stop(force=True)
    finally:
        await portal.stop()
    return figures


async def _measure(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    portal: PortalProcess,
    state: PortalState,
    clock: FakeClock,
    figures: Figures,
    monitor: LoopBlockMonitor,
    note_past_reads: Callable[[int], Awaitable[None]],
    pickups: list[dict[str, Any]],
) -> None:
    monitor.reset()

    # Setup: the first refresh with the past years, and the platforms.
    await portal.set_latency(figures.latency)
    await portal.reset_requests()
    start = time.perf_counter()
    if not await monitor.measure(hass, "setup", hass.config_entries.async_setup(entry.entry_id)):
        figures.errors.append(f"setup failed: {entry.state} {entry.reason}")
        return
    figures.setup_wall = time.perf_counter() - start
    figures.setup_requests = len(await portal.requests())
    await note_past_reads(0)
    coordinator = entry.runtime_data
    figures.places = len(coordinator.data.places)
    gc.collect()
    figures.memory = deep_size(coordinator.data, coordinator.state.past)

    async def poll(phase: str, planned: bool) -> tuple[int, float]:
        first = len(await portal.requests())
        began = time.perf_counter()
        if planned:
            # What the coordinator's timer does when it fires.
            coordinator._unschedule_refresh()
            refresh = coordinator._handle_refresh_interval()
        else:
            refresh = coordinator.async_refresh()
        await monitor.measure(hass, phase, refresh)
        took = time.perf_counter() - began
        if not coordinator.last_update_success:
            figures.errors.append(f"{phase} failed: {coordinator.last_exception}")
        await note_past_reads(first)
        return len(await portal.requests(first)), took

    async def move_to(when: datetime) -> None:
        clock.now_value = when
        await portal.set_now(when)

    # A steady poll four hours after setup: a full read, as update_entity asks.
    await move_to(SETUP_AT + timedelta(hours=4))
    await portal.reset_requests()
    figures.poll_requests, figures.poll_wall = await poll("steady poll", planned=False)
    figures.poll_extra_pages = _extra_pages(await portal.requests())

    # A month of planned polls.
    end = SETUP_AT + timedelta(hours=4) + MONTH
    fired: list[tuple[tuple[int, int, datetime], datetime]] = []
    await portal.reset_requests()
    pickups.clear()
    while (at := coordinator.next_poll) is not None and at <= end:
        await move_to(at)
        await poll("month", planned=True)
        figures.month_polls += 1
        fired.extend((_event_key(event_data), at) for event_data in pickups)
        pickups.clear()
    requests = await portal.requests()
    figures.month_requests = len(requests)
    figures.month_kinds = Counter(_kind(record) for record in requests)
    figures.month_bytes = sum(record.size for record in requests)
    await asyncio.sleep(0)  # what follows is the bench's, not a block of our code
    figures.stored = len(json.dumps(StateCodec().encode(coordinator.state)))
    delays = _match(state, fired, SETUP_AT + timedelta(hours=4), end)
    figures.rhythmic_delays, figures.other_delays, figures.unseen, figures.published = delays
    figures.fired = len(fired)


def _event_key(event_data: dict[str, Any]) -> tuple[int, int, datetime]:
    when = datetime.fromisoformat(event_data["date"]).replace(microsecond=0)
    return (event_data["account_id"], event_data["waste_type_id"], when)


def _match(
    state: PortalState,
    fired: list[tuple[tuple[int, int, datetime], datetime]],
    begin: datetime,
    end: datetime,
) -> tuple[list[timedelta], list[timedelta], int, int]:
    """Match the events with the pickups published between ``begin`` and ``end``.

    Twin bins share a key: the n-th event of a key is the n-th of its pickups to be
    published. Return the delays (rhythmic, other), the pickups never shown, and the
    pickups published.
    """
    shown: dict[tuple[int, int, datetime], list[datetime]] = {}
    for key, at in fired:
        shown.setdefault(key, []).append(at)
    published: list[tuple[datetime, tuple[int, int, datetime], bool]] = []
    for account in state.linked_accounts(LARGE_LOGIN):
        for pickup in account.pickups:
            moment = (pickup.published or pickup.when + PUBLICATION_DELAY).replace(tzinfo=PARIS)
            if begin < moment <= end:
                when = pickup.when.replace(tzinfo=PARIS, microsecond=0)
                # A late upload comes off its round's window: it counts with the others.
                on_round = RHYTHMS[pickup.type_id] != "none" and pickup.published is None
                published.append((moment, (account.id, pickup.type_id, when), on_round))
    rhythmic: list[timedelta] = []
    other: list[timedelta] = []
    unseen = 0
    for moment, key, on_round in sorted(published):
        if not shown.get(key):
            unseen += 1
            continue
        delay = shown[key].pop(0) - moment
        (rhythmic if on_round else other).append(delay)
        if delay > (RHYTHMIC_P95 if on_round else OTHER_P95):
            kind = "rhythmic" if on_round else RHYTHMS[key[1]]
            _LOGGER.info("Slow: %s %s published %s, shown %s later", kind, key, moment, delay)
    return rhythmic, other, unseen, len(published)


async def run_five_minute_poller(config: str) -> Poller:
    """Run what another integration does on the first days of the month: a full read of
    every table every five minutes, and measure its requests and delays."""
    result = Poller(days=FIVE_MINUTE_DAYS)
    portal = PortalProcess(config)
    base_url = await portal.start()
    state = build_state(config)
    clock = FakeClock(SETUP_AT)
    try:
        async with async_test_home_assistant() as hass:
            await hass.config.async_set_time_zone("Europe/Paris")
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            entry = simulator_entry(base_url, LARGE_LOGIN, LARGE_PASSWORD, "Ecocito poller")
            entry.add_to_hass(hass)
            fired: list[tuple[tuple[int, int, datetime], datetime]] = []

            @callback
            def on_pickup(event_: Event) -> None:
                fired.append((_event_key(dict(event_.data)), clock.now_value))

            hass.bus.async_listen(EVENT_PICKUP, on_pickup)
            resolver = ThreadedResolver()
            resolver.real_close = resolver.close  # type: ignore[attr-defined]
            with (
                patch(
                    "homeassistant.helpers.aiohttp_client._async_make_resolver",
                    return_value=resolver,
                ),
                patch.object(coordinator_module, "dt_util", clock),
            ):
                await portal.set_latency(0)
                await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
                begin = SETUP_AT + timedelta(hours=4)
                end = begin + timedelta(days=FIVE_MINUTE_DAYS)
                await portal.reset_requests()
                at = begin
                while at <= end:
                    clock.now_value = at
                    await portal.set_now(at)
                    await entry.runtime_data.async_refresh()
                    await hass.async_block_till_done()
                    at += FIVE_MINUTES
                requests = await portal.requests()
                result.requests = len(requests)
                result.bytes = sum(record.size for record in requests)
                result.rhythmic_delays, result.other_delays, _unseen, _published = _match(
                    state, fired, begin, end
                )
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await hass.async_stop(force=True)
    finally:
        await portal.stop()
    return result


# --- The report ------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a label, a cell per configuration, the target."""

    label: str
    cells: list[str]
    target: str


def _check(value: float, limit: float | None, text: str) -> tuple[str, bool]:
    if limit is None:
        return text, True
    ok = value <= limit
    return f"{text} {'✅' if ok else '❌'}", ok


def report(results: list[Figures], block_limit_config: str = "C") -> tuple[str, bool]:
    """Return the Markdown table and whether every target was met."""
    ok_all = True
    rows: list[Row] = []

    def row(label: str, target: str, cell: Callable[[Figures], tuple[str, bool]]) -> None:
        nonlocal ok_all
        cells = []
        for figures in results:
            text, ok = cell(figures)
            ok_all &= ok
            cells.append(text)
        rows.append(Row(label, cells, target))

    row(
        "accounts / places / waste types",
        "",
        lambda f: (f"{f.accounts} / {f.places} / {f.waste_types}", True),
    )
    row(
        "setup: requests",
        "",
        lambda f: (str(f.setup_requests), True),
    )
    row(
        "setup: wall time",
        "≤ 1.3 x requests x latency + 0.5 s",
        lambda f: _check(
            f.setup_wall,
            1.3 * f.setup_requests * f.latency + 0.5,
            f"{f.setup_wall:.2f} s (≤ {1.3 * f.setup_requests * f.latency + 0.5:.2f})",
        ),
    )
    row(
        "steady poll: requests",
        "≤ 2 + Σ(types + 4) + Σ(types, accounts with borne openings this year), pagination aside",
        lambda f: _check(
            f.poll_requests - f.poll_extra_pages,
            f.poll_budget,
            f"{f.poll_requests} (≤ {f.poll_budget}"
            + (f", {f.poll_extra_pages} extra pages" if f.poll_extra_pages else "")
            + ")",
        ),
    )
    row("steady poll: wall time", "", lambda f: (f"{f.poll_wall:.2f} s", True))
    row(
        "month: requests per day",
        f"≤ {REQUESTS_PER_ACCOUNT_DAY} per account",
        lambda f: _check(
            f.requests_per_day,
            REQUESTS_PER_ACCOUNT_DAY * f.accounts,
            f"{f.requests_per_day:.1f} ({f.requests_per_day / max(f.accounts, 1):.1f} per account,"
            f" {f.month_polls / 30:.1f} polls)",
        ),
    )
    row(
        "five-minute poller: requests per day",
        f"(for reference: A, the first {FIVE_MINUTE_DAYS} days of the month)",
        lambda f: (f"{f.poller.requests_per_day:.1f}" if f.poller else "not run", True),
    )
    row(
        "month: bytes per day",
        "(for reference)",
        lambda f: (f"{f.bytes_per_day / 1024:.0f} KiB", True),
    )
    row(
        "five-minute poller: bytes per day",
        "(for reference)",
        lambda f: (f"{f.poller.bytes_per_day / 1024:.0f} KiB" if f.poller else "not run", True),
    )
    row(
        "past years re-read, per account and day",
        "≤ 1",
        lambda f: _check(f.past_reads_per_day, 1, str(f.past_reads_per_day)),
    )
    row(
        "rhythmic pickups: publication → shown, median / p95",
        f"≤ {_minutes(RHYTHMIC_MEDIAN)} / ≤ {_minutes(RHYTHMIC_P95)}",
        lambda f: _delays(f.rhythmic_delays, RHYTHMIC_MEDIAN, RHYTHMIC_P95),
    )
    row(
        "five-minute poller: rhythmic pickups, median / p95",
        "(for reference)",
        lambda f: (_spread(f.poller.rhythmic_delays) if f.poller else "not run", True),
    )
    row(
        "other pickups: publication → shown, median / p95",
        f"p95 ≤ {_minutes(OTHER_P95)}",
        lambda f: _delays(f.other_delays, None, OTHER_P95),
    )
    row(
        "five-minute poller: other pickups, median / p95",
        "(for reference)",
        lambda f: (_spread(f.poller.other_delays) if f.poller else "not run", True),
    )
    row(
        "pickups published in the month, never shown",
        "0",
        lambda f: _check(f.unseen, 0, str(f.unseen)),
    )
    row(
        "pickups fired / pickups published (late uploads, twin bins)",
        "1.00",
        lambda f: (
            f"{f.fired / f.published:.2f} ({f.fired} / {f.published})"
            + (" ✅" if f.fired == f.published else " ❌"),
            f.fired == f.published,
        ),
    )
    row(
        "longest loop block by our code",
        f"{block_limit_config} ≤ 20 ms",
        lambda f: _check(
            f.block_ours.seconds * 1000,
            20 if f.config == block_limit_config else None,
            f"{f.block_ours.seconds * 1000:.1f} ms",
        ),
    )
    row(
        "longest loop block, any code",
        "(for reference)",
        lambda f: (f"{f.block_any.seconds * 1000:.1f} ms", True),
    )
    row(
        "longest garbage collection (left out above)",
        "(for reference)",
        lambda f: (f"{f.gc_pause * 1000:.1f} ms", True),
    )
    row("coordinator data in memory", "", lambda f: (f"{f.memory / 1024:.0f} KiB", True))
    row(
        "stored memory (pickups seen, JSON)",
        "(for reference)",
        lambda f: (f"{f.stored / 1024:.0f} KiB", True),
    )
    row(
        "errors",
        "none",
        lambda f: ("; ".join(f.errors) or "none", not f.errors),
    )

    names = [f"{f.config}" for f in results]
    lines = [
        f"| metric | {' | '.join(names)} | target |",
        f"| --- | {' | '.join('---' for _ in names)} | --- |",
        *(f"| {r.label} | {' | '.join(r.cells)} | {r.target} |" for r in rows),
    ]
    worst = max(results, key=lambda f: f.block_ours.seconds)
    lines.append("")
    lines.append(
        f"Longest block by our code: {worst.config}, {worst.block_ours.phase}, "
        f"{worst.block_ours.what} ({worst.block_ours.seconds * 1000:.1f} ms); "
        f"latency {results[0].latency * 1000:.0f} ms per request."
    )
    return "\n".join(lines), ok_all


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.0f} min"


def _spread(values: list[timedelta]) -> str:
    """Median and 95th percentile of delays, with no target."""
    if not values:
        return "none"
    median, p95 = _quantile(values, 0.5), _quantile(values, 0.95)
    return f"{_minutes(median)} / {_minutes(p95)} (n = {len(values)})"


def _quantile(values: list[timedelta], share: float) -> timedelta:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def _delays(
    values: list[timedelta], median_limit: timedelta | None, p95_limit: timedelta
) -> tuple[str, bool]:
    """Median and 95th percentile of delays (nearest rank), against their limits."""
    if not values:
        return "none", True
    median, p95 = _quantile(values, 0.5), _quantile(values, 0.95)
    ok = p95 <= p95_limit and (median_limit is None or median <= median_limit)
    text = f"{_minutes(median)} / {_minutes(p95)} (n = {len(values)})"
    return f"{text} {'✅' if ok else '❌'}", ok


async def main_async(
    configs: list[str], latency: float, verbose: bool, poller: bool
) -> list[Figures]:
    monitor = LoopBlockMonitor()
    results = []
    for config in configs:
        figures = await run_config(config, latency, monitor)
        figures.block_ours, figures.block_any = monitor.ours, monitor.any
        figures.gc_pause = monitor.gc_pause
        if poller and config in POLLER_CONFIGS:
            figures.poller = await run_five_minute_poller(config)
        results.append(figures)
        print(f"{config}: done", file=sys.stderr)  # noqa: T201
        if verbose:
            for kind, count in figures.month_kinds.most_common():
                print(f"  {count / 30:7.1f} a day: {kind}", file=sys.stderr)  # noqa: T201
            for block in monitor.top:
                line = f"  {block.seconds * 1000:.1f} ms {block.phase}: {block.what}"
                print(line, file=sys.stderr)  # noqa: T201
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", metavar="CONFIG", help="A, B or C (default: all)")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY, help="seconds")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list the longest blocks by our code"
    )
    parser.add_argument(
        "--no-poller", action="store_true", help="do not run the five-minute poller beside ours"
    )
    args = parser.parse_args(argv)
    if unknown := set(args.configs) - set(CONFIGS):
        parser.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    args.configs = args.configs or list(CONFIGS)
    logging.basicConfig(level=logging.WARNING)
    if args.verbose:
        _LOGGER.setLevel(logging.INFO)
    results = asyncio.run(
        main_async(args.configs, args.latency, args.verbose, poller=not args.no_poller)
    )
    table, ok = report(results)
    print(table)  # noqa: T201
    if not ok:
        print("\nA target was missed.", file=sys.stderr)  # noqa: T201
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
