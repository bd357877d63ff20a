"""When to ask the portal: a schedule learnt from the pickups already held.

Pure and Home Assistant-free: no I/O, no clock of its own. Each waste type of an
account has rounds (``Rounds``): a rhythm (the same weekdays, at about the same hour,
every week or every other week), or usual hours without one, or neither. In a window
after each expected pickup (its hours plus the portal's publication delay), its account
is looked at every ``FREQUENT`` until the pickup shows: a look asks only whether
anything arrived, and the pickups are read when it did. A waste type with usual hours
but no weekday rhythm is looked at every ``IRREGULAR_LOOK`` within those hours each
day, and at their end; one without either every ``IRREGULAR``; the whole login is read
every ``BACKGROUND``. One look serves every waste type of an account: their ``read_at``
is the account's last look. A round on a public holiday may come on another day
(``round_days``, the one rule for it); an expected pickup that never showed is looked
for as a late upload every ``IRREGULAR_LOOK`` through the day, on the two days after
and on its waste type's next expected day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from statistics import median
from typing import TYPE_CHECKING, Final

from holidays.countries.france import France

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
    from zoneinfo import ZoneInfo

    from holidays import HolidayBase

FREQUENT: Final = timedelta(minutes=5)
"""Between two looks in a window of expected pickups: half of it is the median delay
from publication to showing, and the portal's session (20 minutes of silence) stays
open from one look to the next: a look costs one small request."""
IRREGULAR_LOOK: Final = timedelta(minutes=105)
"""Between two looks within the usual hours of a waste type without a weekday rhythm: a
pickup published in them shows within this."""
LATE_END: Final = time(20)
"""A late upload is looked for from the window of the day to this hour, every
``IRREGULAR_LOOK``: the portal uploads in the day."""
LATE_AFTER: Final = 2
"""Days after an expected pickup that never showed on which its late upload is looked
for (then on its waste type's next expected day)."""
IRREGULAR: Final = timedelta(hours=4)
"""Between two looks at a waste type without a rhythm or usual hours."""
MAX_HOURS_SPAN: Final = timedelta(hours=6)
"""Usual hours wider than this are no usual hours: looking all day costs too much."""
BACKGROUND: Final = timedelta(hours=12)
"""Between two reads of the whole login: visits, waste types, linked accounts."""
DEFAULT_DELAY: Final = timedelta(hours=1)
"""The portal's publication delay until one has been measured."""
LOOKBACK: Final = timedelta(weeks=10)
"""The pickups a rhythm is learnt from: the last ten weeks'."""
MIN_PICKUPS: Final = 3
COVERAGE: Final = 0.6
"""Share of the rhythm's days in the lookback that must have had a pickup."""
ON_RHYTHM: Final = 0.8
"""Share of the lookback's pickups that must fall on the rhythm's days."""
BEFORE_WINDOW: Final = timedelta(minutes=15)
AFTER_WINDOW: Final = timedelta(hours=2)
"""A window runs from the earliest usual hour plus the delay, less ``BEFORE_WINDOW``, to
the latest usual hour plus the delay plus ``AFTER_WINDOW``."""
BATCH: Final = timedelta(minutes=10)
"""Waste types due within this of the first are looked at in the same poll."""
HORIZON: Final = 16
"""Days ahead searched for a window (a fortnight and a holiday shift)."""
DELAY_SAMPLES: Final = 8
"""Publication delays kept per waste type; the median is used."""


def week_index(day: date) -> int:
    """Return the number of the Monday-to-Sunday week of ``day`` (its parity alternates)."""
    return (day.toordinal() - 1) // 7


@dataclass(frozen=True, slots=True, kw_only=True)
class Rhythm:
    """The days and hours at which one waste type's pickups happen."""

    weekdays: frozenset[int]
    """Monday is 0."""
    every: int
    """1: every week; 2: every other week."""
    parity: int
    """With ``every == 2``: the parity of ``week_index`` of the weeks with a pickup."""
    earliest: timedelta
    """The earliest usual time of day (local)."""
    latest: timedelta
    """The latest usual time of day (local)."""

    def on(self, day: date) -> bool:
        """Return whether a pickup is expected on ``day``."""
        return day.weekday() in self.weekdays and (
            self.every == 1 or week_index(day) % 2 == self.parity
        )


def time_of_day(when: datetime) -> timedelta:
    """Return how long after its midnight a (local) time is."""
    return when - when.replace(hour=0, minute=0, second=0, microsecond=0)


@lru_cache(maxsize=4)
def _holidays(year: int) -> HolidayBase:
    # France itself, not country_holidays("FR"): that one imports it lazily, in the loop.
    return France(years=year)  # type: ignore[no-untyped-call]  # its __init__ is untyped


def holiday(day: date) -> str | None:
    """Return the name of the French public holiday ``day`` is (None: not one)."""
    name: str | None = _holidays(day.year).get(day)
    return name


def round_days(rhythm: Rhythm, day: date) -> tuple[date, ...]:
    """Return the days the round of ``day`` may come on, earliest first: the one rule.

    Its own day; when that day is a French public holiday, the collectivité may bring
    the round forward to the day before (unless that day has a round of its own) or
    put it back to the day after. Planning, forecasts and missed pickups all use this.
    """
    if holiday(day) is None:
        return (day,)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    return (day, after) if rhythm.on(before) else (before, day, after)


def local_date(when: datetime | None, tz: ZoneInfo) -> date | None:
    """Return the day of ``when`` in ``tz`` (None: None)."""
    return None if when is None else when.astimezone(tz).date()


def round_held(rhythm: Rhythm, day: date, newest: date | None) -> bool:
    """Return whether the round of ``day`` is held: a pickup on or after its first day."""
    return newest is not None and newest >= round_days(rhythm, day)[0]


def learn(times: Iterable[datetime], now: datetime, tz: ZoneInfo) -> Rhythm | None:
    """Return the rhythm of a waste type's pickups (None: too few, or no clear rhythm).

    Only the pickups of the last ``LOOKBACK`` count. A weekday is the rhythm's when it
    holds a quarter of them; the rhythm is fortnightly when nine in ten of those fall in
    weeks of one parity; it must cover ``ON_RHYTHM`` of the pickups, and
    ``COVERAGE`` of its own days up to the newest pickup must have had one.
    """
    local = sorted(t.astimezone(tz) for t in times if now - LOOKBACK <= t <= now)
    if len(local) < MIN_PICKUPS:
        return None
    weekdays = Counter(t.weekday() for t in local)
    chosen = frozenset(d for d, n in weekdays.items() if n >= max(2, len(local) / 4))
    on = [t for t in local if t.weekday() in chosen]
    if len(on) < ON_RHYTHM * len(local):
        return None
    parities = Counter(week_index(t.date()) % 2 for t in on)
    parity, count = parities.most_common(1)[0]
    every = 2 if count >= 0.9 * len(on) and len({t.date() for t in on}) >= 2 else 1
    hours = [time_of_day(t) for t in on]
    rhythm = Rhythm(
        weekdays=chosen,
        every=every,
        parity=parity if every == 2 else 0,
        earliest=min(hours),
        latest=max(hours),
    )
    first = max((now - LOOKBACK).astimezone(tz).date(), local[0].date())
    days = [
        first + timedelta(days=n)
        for n in range((on[-1].date() - first).days + 1)
        if rhythm.on(first + timedelta(days=n))
    ]
    if len({t.date() for t in on}) < COVERAGE * len(days):
        return None
    return rhythm


def learn_hours(times: Iterable[datetime], now: datetime, tz: ZoneInfo) -> Rhythm | None:
    """Return the usual hours of a waste type without a weekday rhythm, as a daily rhythm.

    None: too few pickups in the last ``LOOKBACK``, or hours spread over more than
    ``MAX_HOURS_SPAN``.
    """
    local = [t.astimezone(tz) for t in times if now - LOOKBACK <= t <= now]
    if len(local) < MIN_PICKUPS:
        return None
    hours = [time_of_day(t) for t in local]
    if max(hours) - min(hours) > MAX_HOURS_SPAN:
        return None
    return Rhythm(
        weekdays=frozenset(range(7)), every=1, parity=0, earliest=min(hours), latest=max(hours)
    )


def publication_delay(samples: Sequence[float]) -> timedelta:
    """Return the portal's usual publication delay from measured ones (seconds)."""
    return timedelta(seconds=median(samples)) if samples else DEFAULT_DELAY


@dataclass(frozen=True, slots=True, kw_only=True)
class Rounds:
    """What the schedule knows of one waste type's rounds."""

    rhythm: Rhythm | None
    delay: timedelta
    newest: datetime | None
    """The newest pickup held."""
    read_at: datetime | None
    """The last successful look at (or read of) its account."""
    hours: Rhythm | None = None
    """Without a weekday rhythm: its usual hours, every day (``learn_hours``)."""
    late_days: frozenset[date] = frozenset()
    """An expected pickup never showed: the days its late upload is looked for
    (``late_days``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan[K]:
    """The next poll: when, and whether it reads the whole login or looks at waste types due."""

    at: datetime
    full: bool
    types: frozenset[K]
    """The waste types due (looked at through their accounts)."""


def window(rhythm: Rhythm, delay: timedelta, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return when to look for a pickup expected on ``day``."""
    midnight = datetime.combine(day, time(), tz)
    return (
        midnight + rhythm.earliest + delay - BEFORE_WINDOW,
        midnight + rhythm.latest + delay + AFTER_WINDOW,
    )


def late_days(rhythm: Rhythm, held: Collection[date], today: date) -> frozenset[date]:
    """Return the days, from today on, a late upload is looked for (none: none is due).

    ``held``: the days with a pickup of the waste type, in the lookback. The latest round
    over before today (``round_days``) had none: no pickup from its first day to the
    rhythm's next day (a round that came a day late came; the next round's pickup is
    not this one's), after the waste type's first pickup held. A lift left behind comes
    up with a later upload: the truck's, sent again in the two days after, or the next
    round's. It is looked for on those days (``LATE_AFTER`` days after the round's last
    day, and the rhythm's next day).
    """
    period = range(1, 7 * rhythm.every + 2)  # holds a day of the rhythm, and its shift
    day = next(
        d
        for n in period
        if rhythm.on(d := today - timedelta(days=n)) and round_days(rhythm, d)[-1] < today
    )
    following = next(d for n in period if rhythm.on(d := day + timedelta(days=n)))
    days = round_days(rhythm, day)
    if not held or day < min(held) or any(days[0] <= d < following for d in held):
        return frozenset()
    after = (days[-1] + timedelta(days=n) for n in range(1, LATE_AFTER + 1))
    return frozenset(d for d in (*after, following) if d >= today)


def rounds_next(rounds: Rounds, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Return when a waste type is next due on its own (None: only with the whole login)."""
    if rounds.rhythm is None and rounds.hours is not None:
        return _daily_next(rounds, rounds.hours, now, tz)
    if rounds.rhythm is None:
        return now if rounds.read_at is None else rounds.read_at + IRREGULAR
    times = (
        _round_next(rounds, rounds.rhythm, now, tz),
        _late_next(rounds, rounds.rhythm, now, tz),
    )
    return min((at for at in times if at is not None), default=None)


def _round_next(rounds: Rounds, rhythm: Rhythm, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the next look in the window of a round not held yet (on any of its days)."""
    newest = local_date(rounds.newest, tz)
    today = now.astimezone(tz).date()
    earliest = rounds.read_at + FREQUENT if rounds.read_at else None
    for offset in range(-3, HORIZON):
        day = today + timedelta(days=offset)
        if not rhythm.on(day) or round_held(rhythm, day, newest):
            continue
        for shifted in round_days(rhythm, day):
            start, end = window(rhythm, rounds.delay, shifted, tz)
            if (at := max(start, earliest or start)) < end and end > now:
                return at
    return None


def _late_next(rounds: Rounds, rhythm: Rhythm, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the next look for a late upload: from the day's window to ``LATE_END``."""
    if not rounds.late_days:
        return None
    today = now.astimezone(tz).date()
    days = [day for day in (today, today + timedelta(days=1)) if day in rounds.late_days]
    return _every_day(
        rounds.read_at,
        days,
        lambda day: (window(rhythm, rounds.delay, day, tz)[0], datetime.combine(day, LATE_END, tz)),
    )


def _daily_next(rounds: Rounds, hours: Rhythm, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the next look within a waste type's usual hours, today's or tomorrow's."""
    newest = rounds.newest.astimezone(tz).date() if rounds.newest else date.min
    today = now.astimezone(tz).date()
    # Its pickup of the day held: it is not lifted twice a day.
    days = [day for day in (today, today + timedelta(days=1)) if newest < day]
    return _every_day(rounds.read_at, days, lambda day: window(hours, rounds.delay, day, tz))


def _every_day(
    read_at: datetime | None,
    days: Iterable[date],
    bounds: Callable[[date], tuple[datetime, datetime]],
) -> datetime | None:
    """Return the next look, every ``IRREGULAR_LOOK``, within the first day's bounds.

    A day looked at to its end is over. The last look of a day comes at its end: a
    pickup published after the one before shows that day, not the next.
    """
    for day in days:
        start, end = bounds(day)
        if read_at is not None and read_at >= end:
            continue
        earliest = read_at + IRREGULAR_LOOK if read_at else start
        return min(max(start, earliest), end)
    return None


def plan[K](
    by_type: Mapping[K, Rounds], *, last_full: datetime | None, now: datetime, tz: ZoneInfo
) -> Plan[K]:
    """Return the next poll: the soonest waste type due, or the whole login's background read."""
    full_at = now if last_full is None else last_full + BACKGROUND
    times = {
        key: at
        for key, rounds in by_type.items()
        if (at := rounds_next(rounds, now, tz)) is not None
    }
    at = max(now, min([full_at, *times.values()]))
    return Plan(
        at=at,
        full=full_at <= at + BATCH,
        types=frozenset(key for key, when in times.items() if when <= at + BATCH),
    )
