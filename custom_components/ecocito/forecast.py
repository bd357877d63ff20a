"""The next pickups, from the rhythm the schedule learnt; and the ones that did not come.

Pure and Home Assistant-free, and free of requests: ``schedule.py`` learns each table's
rhythm (weekdays, every week or every other week, usual hours) from the pickups held,
the planner keeps it with the measured publication delay; this says what follows from
them. The next expected pickup is the first day of the rhythm, from today on, whose
pickup is not held yet, at the rhythm's earliest usual hour. A French public holiday
on that day is named (collectivités often move the round by a day) rather than silently
kept or moved. A pickup is missed once it is overdue by more than the publication delay
plus ``MISSED_MARGIN`` (a day later when its day is a public holiday), until it shows or
the next day of the rhythm begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from holidays.countries.france import France

from .schedule import LOOKBACK, MIN_PICKUPS

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from zoneinfo import ZoneInfo

    from holidays import HolidayBase

    from .schedule import Rhythm, Table

MISSED_MARGIN: Final = timedelta(hours=3)
"""How late past its latest usual hour and the publication delay a pickup is missed."""
AHEAD: Final = timedelta(weeks=4)
"""How far ahead the calendar shows expected pickups."""
_SEARCH: Final = 15
"""Days searched for a day of the rhythm: a fortnight, and one."""

_WEEKDAYS: Final = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


class NoForecast(StrEnum):
    """Why a waste type has no expected pickup."""

    TOO_FEW_PICKUPS = "too_few_pickups"
    """Fewer than ``schedule.MIN_PICKUPS`` pickups in the last ten weeks."""
    NO_RHYTHM = "no_rhythm"
    """Pickups on no regular day: a bin put out when full."""
    BORNE = "borne"
    """A borne the badge opens: no bin, no round."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """The next expected pickup of one table, and what it rests on."""

    day: date | None
    """The day of the next expected pickup (None: no rhythm)."""
    at: datetime | None
    """Its earliest usual time."""
    rhythm: Rhythm | None
    lifts: int
    """The pickups of the last ten weeks on the rhythm's days (all of them without one)."""
    confidence: float | None
    """The share of the rhythm's days in the last ten weeks that had their pickup."""
    holiday: str | None = None
    """The French public holiday the expected day is, if it is one."""
    reason: NoForecast | None = None


@lru_cache(maxsize=4)
def _holidays(year: int) -> HolidayBase:
    # France itself, not country_holidays("FR"): that one imports it lazily, in the loop.
    return France(years=year)  # type: ignore[no-untyped-call]  # its __init__ is untyped


def holiday(day: date) -> str | None:
    """Return the name of the French public holiday ``day`` is (None: not one)."""
    name: str | None = _holidays(day.year).get(day)
    return name


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


def _held(rhythm: Rhythm, newest: datetime | None, day: date, tz: ZoneInfo) -> bool:
    """Return whether the pickup of a day of the rhythm is held.

    It is when the newest pickup is of that day or later; or of the day before, when the
    day is a public holiday the round was brought forward from (and the day before is
    not one of the rhythm's own).
    """
    if newest is None:
        return False
    before = day - timedelta(days=1)
    since = before if holiday(day) and not rhythm.on(before) else day
    return newest.astimezone(tz).date() >= since


def expected_days(rhythm: Rhythm, first: date, last: date) -> Iterator[date]:
    """Yield the days of the rhythm from ``first`` to ``last`` (both included)."""
    day = first
    while day <= last:
        if rhythm.on(day):
            yield day
        day += timedelta(days=1)


def next_day(rhythm: Rhythm, after: date) -> date:
    """Return the rhythm's first day after ``after``."""
    return next(expected_days(rhythm, after + timedelta(days=1), after + timedelta(days=_SEARCH)))


def next_expected(rhythm: Rhythm, newest: datetime | None, now: datetime, tz: ZoneInfo) -> date:
    """Return the rhythm's first day from today on whose pickup is not held yet."""
    today = now.astimezone(tz).date()
    return next(
        day
        for day in expected_days(rhythm, today, today + timedelta(days=_SEARCH))
        if not _held(rhythm, newest, day, tz)
    )


def forecast(
    rhythm: Rhythm | None,
    times: Sequence[datetime],
    now: datetime,
    tz: ZoneInfo,
    *,
    borne: bool = False,
) -> Forecast:
    """Return the next expected pickup of a table from its rhythm and recent pickups.

    ``times``: its pickups of the last ``schedule.LOOKBACK`` (what the rhythm was learnt
    from); ``borne``: the waste type is one whose bornes the badge opened.
    """
    recent = sorted(t.astimezone(tz) for t in times if now - LOOKBACK <= t <= now)
    if rhythm is None:
        reason = (
            NoForecast.BORNE
            if borne and not recent
            else NoForecast.TOO_FEW_PICKUPS
            if len(recent) < MIN_PICKUPS
            else NoForecast.NO_RHYTHM
        )
        return Forecast(
            day=None, at=None, rhythm=None, lifts=len(recent), confidence=None, reason=reason
        )
    on = [t for t in recent if rhythm.on(t.date())]
    newest = recent[-1] if recent else None
    day = next_expected(rhythm, newest, now, tz)
    return Forecast(
        day=day,
        at=_midnight(day, tz) + rhythm.earliest,
        rhythm=rhythm,
        lifts=len(on),
        confidence=_coverage(rhythm, on, now, tz),
        holiday=holiday(day),
    )


def _coverage(rhythm: Rhythm, on: Sequence[datetime], now: datetime, tz: ZoneInfo) -> float:
    """Return the share of the rhythm's days, first to newest pickup, that had one."""
    if not on:
        return 0.0
    first = max((now - LOOKBACK).astimezone(tz).date(), on[0].date())
    days = list(expected_days(rhythm, first, on[-1].date()))
    return round(min(1.0, len({t.date() for t in on}) / len(days)), 2)


def describe(rhythm: Rhythm, language: str) -> str:
    """Return the rhythm in words, in French ("un jeudi sur deux") or else in English."""
    french = language.split("-")[0].lower() == "fr"
    names = [_WEEKDAYS["fr" if french else "en"][day] for day in sorted(rhythm.weekdays)]
    days = (
        names[0]
        if len(names) == 1
        else f"{', '.join(names[:-1])} {'et' if french else 'and'} {names[-1]}"
    )
    if len(names) == 1:
        if rhythm.every == 1:
            return f"chaque {days}" if french else f"every {days}"
        return f"un {days} sur deux" if french else f"every other {days}"
    if rhythm.every == 1:
        return days
    return f"{days}, une semaine sur deux" if french else f"{days}, every other week"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectedPickup:
    """A pickup the rhythm expects, as the calendar shows it."""

    day: date
    start: datetime
    """The rhythm's earliest usual time that day."""
    end: datetime
    """Its latest usual time."""
    holiday: str | None


def expected_pickups(
    rhythm: Rhythm, newest: datetime | None, now: datetime, tz: ZoneInfo
) -> list[ExpectedPickup]:
    """Return the pickups the rhythm expects from the next one to ``AHEAD`` from now."""
    first = next_expected(rhythm, newest, now, tz)
    last = (now + AHEAD).astimezone(tz).date()
    return [
        ExpectedPickup(
            day=day,
            start=_midnight(day, tz) + rhythm.earliest,
            end=_midnight(day, tz) + rhythm.latest,
            holiday=holiday(day),
        )
        for day in expected_days(rhythm, first, last)
    ]


def overdue_day(table: Table, now: datetime, tz: ZoneInfo) -> date | None:
    """Return the day of the rhythm whose pickup is overdue now (None: none is).

    Only the latest day of the rhythm up to today counts: once the next one begins, the
    one before is no longer told. A public holiday moves it on by a day.
    """
    rhythm = table.rhythm
    if rhythm is None:
        return None
    today = now.astimezone(tz).date()
    day = list(expected_days(rhythm, today - timedelta(days=_SEARCH), today))[-1]
    if _held(rhythm, table.newest, day, tz):
        return None
    shifted = day + timedelta(days=1) if holiday(day) else day
    due = _midnight(shifted, tz) + rhythm.latest + table.delay + MISSED_MARGIN
    return day if now >= due else None


def still_missed(table: Table | None, day: date, now: datetime, tz: ZoneInfo) -> bool:
    """Return whether the pickup of ``day`` is still missing and the next day not begun."""
    if table is None or table.rhythm is None or _held(table.rhythm, table.newest, day, tz):
        return False
    return now.astimezone(tz).date() < next_day(table.rhythm, day)


def follow_missed[K](
    missed: dict[K, date],
    tables: Mapping[K, Table],
    now: datetime,
    tz: ZoneInfo,
    *,
    confirmed: bool,
) -> list[tuple[K, date]]:
    """Follow the missed pickups told so far; return the ones newly missed (told once).

    ``missed``: per table, the day of the pickup told as missed (the entry's memory,
    one day per table at most): those that showed, or whose next day began, are
    forgotten. A new one is told only when ``confirmed``: a read of the whole login, not
    a look, found it missing.
    """
    for key in [
        key for key, day in missed.items() if not still_missed(tables.get(key), day, now, tz)
    ]:
        del missed[key]
    if not confirmed:
        return []
    new: list[tuple[K, date]] = []
    for key, table in tables.items():
        day = overdue_day(table, now, tz)
        if day is not None and missed.get(key) != day:
            missed[key] = day
            new.append((key, day))
    return new
