"""The schedule's state: each table's rhythm, each account's looks, the delays, the next poll.

``schedule.py`` holds the pure maths (a rhythm from pickup times, a window, a plan);
this keeps what they are computed from between polls and asks them for the next poll.
A table is one account's pickups of one waste type; a planned poll looks at accounts
(one look serves all their tables: the lifts of one round are uploaded together).
Home Assistant-free: the coordinator gives it the time and runs the poll it plans.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from .api import PORTAL_TZ
from .forecast import follow_missed
from .schedule import (
    DELAY_SAMPLES,
    FREQUENT,
    LOOKBACK,
    Plan,
    Rhythm,
    Table,
    late_days,
    learn,
    learn_hours,
    plan,
    publication_delay,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime

    from .api import Pickup
    from .models import AccountState, EcocitoData

type TableKey = tuple[int, int]
"""(account ID, waste type ID)."""

PLAN_TOLERANCE: Final = timedelta(minutes=1)
"""A scheduled refresh this close to the planned poll is that poll."""


def recent_pickups(state: AccountState, since: datetime) -> dict[int, list[datetime]]:
    """Return the times of an account's pickups since ``since``, per waste type."""
    recent: dict[int, list[datetime]] = {}
    for pickups in (state.pickups, state.past_pickups):
        for pickup in reversed(pickups):
            if pickup.date < since:
                break
            recent.setdefault(pickup.waste_type_id, []).append(pickup.date)
    return recent


def _days(times: Iterable[datetime]) -> set[date]:
    """Return the portal's days of some pickup times."""
    return {t.astimezone(PORTAL_TZ).date() for t in times}


class Planner:
    """What the next poll reads, and when, from what the polls so far found."""

    def __init__(
        self, delays: dict[int, dict[int, list[float]]], missed: dict[int, dict[int, date]]
    ) -> None:
        """Start with the stored publication delays and missed pickups (it follows them)."""
        self.delays = delays
        """Per account and waste type, measured publication delays in seconds."""
        self.missed = missed
        """Per account and waste type, the day of the pickup told missing."""
        self.plan: Plan[TableKey] | None = None
        """The next poll (None: before the first one)."""
        self.tables: dict[TableKey, Table] = {}
        """What the last plan was made from."""
        self._looked_at: dict[int, datetime] = {}
        """Per account, its last look or read (one serves all its tables)."""
        self._last_full: datetime | None = None
        self._rhythms: dict[TableKey, tuple[Rhythm | None, Rhythm | None]] = {}
        """Per table, its weekday rhythm, or its usual hours without one."""
        self._yesterday: dict[TableKey, tuple[Rhythm | None, Rhythm | None]] = {}
        """``_rhythms`` as it stood before the day changed."""
        self._rhythms_day: date | None = None
        """Rhythms are learnt again once a day (and for a table new since)."""

    def due(self, held: EcocitoData | None, now: datetime) -> frozenset[int] | None:
        """Return the accounts the planned poll looks at alone (None: the whole login).

        Only this year's: on 1 January the whole login is read again.
        """
        planned = self.plan
        if (
            planned is None
            or planned.full
            or held is None
            or held.year != now.astimezone(PORTAL_TZ).year
            or now < planned.at - PLAN_TOLERANCE
        ):
            return None
        return frozenset(account_id for account_id, _type_id in planned.due)

    def learn_delays(self, account_id: int, new: Iterable[Pickup], now: datetime) -> None:
        """Learn the portal's publication delay from pickups first seen in a window.

        Only an account looked at FREQUENT-ish before says when the pickup appeared
        (between that look and this one: the midpoint is taken); after a long gap it
        says little. Call before ``note_reads`` of this poll.
        """
        previous = self._looked_at.get(account_id)
        for pickup in new:
            if previous is None or now - previous > 2 * FREQUENT:
                continue
            seen = previous + (now - previous) / 2
            samples = self.delays.setdefault(account_id, {}).setdefault(pickup.waste_type_id, [])
            samples.append(max(0.0, (seen - pickup.date).total_seconds()))
            del samples[:-DELAY_SAMPLES]

    def note_reads(self, accounts: Iterable[int], now: datetime, *, full: bool) -> None:
        """Remember which accounts a successful poll looked at (``full``: the whole login)."""
        for account_id in accounts:
            self._looked_at[account_id] = now
        if full:
            self._last_full = now

    async def async_plan(self, data: EcocitoData, now: datetime) -> Plan[TableKey]:
        """Plan the next poll from the pickups held.

        It yields to the event loop after each account: a login with many accounts
        and waste types does not hold the loop for them all at once.
        """
        if (today := now.astimezone(PORTAL_TZ).date()) != self._rhythms_day:
            self._yesterday, self._rhythms, self._rhythms_day = self._rhythms, {}, today
        tables: dict[TableKey, Table] = {}
        for account_id, state in data.accounts.items():
            recent = recent_pickups(state, now - LOOKBACK)
            delays: Mapping[int, list[float]] = self.delays.get(account_id, {})
            # A waste type not measured yet: the account's rounds are uploaded together.
            pooled = [sample for samples in delays.values() for sample in samples]
            for waste_type in state.waste_types:
                key = (account_id, waste_type.id)
                times = recent.get(waste_type.id, [])
                if key not in self._rhythms:
                    rhythm = learn(times, now, PORTAL_TZ)
                    hours = None if rhythm else learn_hours(times, now, PORTAL_TZ)
                    # The same rhythm as yesterday's stays the same object: entities
                    # compare their inputs by identity, and write nothing for it.
                    if (known := self._yesterday.get(key)) == (rhythm, hours):
                        rhythm, hours = known
                    self._rhythms[key] = (rhythm, hours)
                rhythm, hours = self._rhythms[key]
                tables[key] = Table(
                    rhythm=rhythm,
                    hours=hours,
                    late_days=late_days(rhythm, _days(times), today) if rhythm else frozenset(),
                    delay=publication_delay(delays.get(waste_type.id) or pooled),
                    newest=max(times, default=None),
                    read_at=self._looked_at.get(account_id),
                )
            await asyncio.sleep(0)
        for gone in set(self._looked_at) - set(data.accounts):
            del self._looked_at[gone]
        self.tables = tables
        self.plan = plan(tables, last_full=self._last_full, now=now, tz=PORTAL_TZ)
        return self.plan

    def follow_missed(self, now: datetime, *, confirmed: bool) -> list[tuple[TableKey, date]]:
        """Follow the missed pickups with the tables planned; return the new ones.

        ``confirmed``: this poll read the whole login (a look does not confirm a pickup
        missing). Call after ``async_plan``.
        """
        flat = {(a, t): day for a, days in self.missed.items() for t, day in days.items()}
        new = follow_missed(flat, self.tables, now, PORTAL_TZ, confirmed=confirmed)
        self.missed.clear()
        for (account_id, type_id), day in flat.items():
            self.missed.setdefault(account_id, {})[type_id] = day
        return new
