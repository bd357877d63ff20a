"""The plan: each waste type's rounds, learnt from the pickups held, and the next poll.

``schedule.py`` holds the maths (a rhythm from pickup times, a window, a plan); this
gives it what it needs from the entry's state: the pickups of the last ten weeks, the
publication delays measured, the looks. A planned poll looks at accounts: one look
serves all their waste types (the lifts of one round are uploaded together). Pure and
Home Assistant-free: the step calls it with the time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from .api import PORTAL_TZ
from .schedule import (
    DELAY_SAMPLES,
    FREQUENT,
    LOOKBACK,
    Rounds,
    late_days,
    learn,
    learn_hours,
    publication_delay,
)
from .state import Rhythms

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date, datetime

    from .api import Pickup
    from .models import DelayKey, EcocitoData, Place, TypeKey
    from .state import EntryState, Learnt

PLAN_TOLERANCE: Final = timedelta(minutes=1)
"""A scheduled refresh this close to the planned poll is that poll."""


def recent_pickups(place: Place, since: datetime) -> dict[int, list[datetime]]:
    """Return the times of a place's pickups since ``since``, per waste type."""
    recent: dict[int, list[datetime]] = {}
    for pickups in (place.pickups, place.past_pickups):
        for pickup in reversed(pickups):
            if pickup.date < since:
                break
            recent.setdefault(pickup.waste_type_id, []).append(pickup.date)
    return recent


def accounts_due(state: EntryState, now: datetime) -> frozenset[int] | None:
    """Return the accounts the planned poll looks at alone (None: a full read).

    Only this year's: on 1 January the whole login is read again.
    """
    planned, held = state.plan, state.held
    if (
        planned is None
        or planned.full
        or held is None
        or held.year != now.astimezone(PORTAL_TZ).year
        or now < planned.at - PLAN_TOLERANCE
    ):
        return None
    return frozenset(key[0] for key in planned.types)


def learn_delays(
    delays: Mapping[DelayKey, tuple[float, ...]],
    looked_at: datetime | None,
    account_id: int,
    new: Iterable[Pickup],
    now: datetime,
) -> dict[DelayKey, tuple[float, ...]]:
    """Return the delays with those learnt from an account's pickups first seen now.

    Only an account looked at FREQUENT-ish before says when the pickup appeared
    (between that look and this one: the midpoint is taken); after a long gap it says
    little. ``looked_at``: the account's look before this poll's.
    """
    learnt = dict(delays)
    for pickup in new:
        if looked_at is None or now - looked_at > 2 * FREQUENT:
            continue
        seen = looked_at + (now - looked_at) / 2
        key = (account_id, pickup.waste_type_id)
        sample = max(0.0, (seen - pickup.date).total_seconds())
        learnt[key] = (*learnt.get(key, ()), sample)[-DELAY_SAMPLES:]
    return learnt


def _days(times: Iterable[datetime]) -> set[date]:
    """Return the portal's days of some pickup times."""
    return {t.astimezone(PORTAL_TZ).date() for t in times}


def learn_rhythms(
    rhythms: Rhythms, recent: Mapping[TypeKey, list[datetime]], now: datetime
) -> Rhythms:
    """Return each waste type's rounds, learnt once a day (and for a waste type new since).

    The same rhythm as yesterday's stays the same object: entities compare their
    inputs by identity, and write nothing for it.
    """
    today = now.astimezone(PORTAL_TZ).date()
    learnt, yesterday = rhythms.today, rhythms.yesterday
    if today != rhythms.day:
        learnt, yesterday = {}, learnt
    missing = [key for key in recent if key not in learnt]
    if not missing:
        return rhythms if today == rhythms.day else Rhythms(day=today, yesterday=yesterday)
    fresh: dict[TypeKey, Learnt] = dict(learnt)
    for key in missing:
        times = recent[key]
        rhythm = learn(times, now, PORTAL_TZ)
        hours = None if rhythm else learn_hours(times, now, PORTAL_TZ)
        known = yesterday.get(key)
        fresh[key] = known if known == (rhythm, hours) else (rhythm, hours)
    return Rhythms(day=today, today=fresh, yesterday=yesterday)


def recent_times(data: EcocitoData, now: datetime) -> dict[TypeKey, list[datetime]]:
    """Return the pickup times of the last ten weeks of every waste type of every place."""
    recent: dict[TypeKey, list[datetime]] = {}
    for (account_id, place_key), place in data.places.items():
        times = recent_pickups(place, now - LOOKBACK)
        for type_id in place.waste_types:
            recent[(account_id, place_key, type_id)] = times.get(type_id, [])
    return recent


def delay_samples(
    delays: Mapping[DelayKey, tuple[float, ...]], account_id: int, type_id: int
) -> Sequence[float]:
    """Return the publication delays a waste type goes by: its own, else its account's.

    A waste type not measured yet: the account's rounds are uploaded together.
    """
    return delays.get((account_id, type_id)) or [
        sample
        for (account, _type), samples in delays.items()
        if account == account_id
        for sample in samples
    ]


def rounds_of(
    delays: Mapping[DelayKey, tuple[float, ...]],
    recent: Mapping[TypeKey, list[datetime]],
    rhythms: Rhythms,
    looked_at: Mapping[int, datetime],
    now: datetime,
) -> dict[TypeKey, Rounds]:
    """Return what the schedule needs of each waste type of each account.

    ``delays``: the publication delays measured, by account and waste type.
    """
    today = now.astimezone(PORTAL_TZ).date()
    found: dict[TypeKey, Rounds] = {}
    for key, times in recent.items():
        account_id, _place, type_id = key
        rhythm, hours = rhythms.today[key]
        found[key] = Rounds(
            rhythm=rhythm,
            hours=hours,
            late_days=late_days(rhythm, _days(times), today) if rhythm else frozenset(),
            delay=publication_delay(delay_samples(delays, account_id, type_id)),
            newest=max(times, default=None),
            read_at=looked_at.get(account_id),
        )
    return found
