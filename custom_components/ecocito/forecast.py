"""The next pickups, from the rhythm the schedule learnt; and the ones that did not come.

Pure and Home Assistant-free, and free of requests: ``schedule.py`` learns each waste
type's rounds (weekdays, every week or every other week, usual hours) from the pickups
held, with the measured publication delay; this says what follows from them. The next
expected pickup is the first round, from today on, not held yet, at the rhythm's
earliest usual hour. A French public holiday on that day is named (collectivités often
move the round by a day: ``schedule.round_days``) rather than silently kept or moved. A
pickup is missed once it is overdue by more than the publication delay plus
``MISSED_MARGIN`` past the round's last day, until it shows or the rhythm's next day
begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from .schedule import LOOKBACK, MIN_PICKUPS, holiday, local_date, round_days, round_held

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from zoneinfo import ZoneInfo

    from .schedule import Rhythm, Rounds

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
    """What a waste type's rounds say today: the next expected pickup, a missed one."""

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
    days_until: int | None = None
    """Days from today to the expected day (0: today)."""
    newest: datetime | None = None
    """The newest pickup held (the calendar's expected pickups start after it)."""
    missed: date | None = None
    """The day of the round told missed, while it is (``follow_missed``)."""


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)


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
    """Return the rhythm's first day from today on whose round is not held yet."""
    today = now.astimezone(tz).date()
    held = local_date(newest, tz)
    return next(
        day
        for day in expected_days(rhythm, today, today + timedelta(days=_SEARCH))
        if not round_held(rhythm, day, held)
    )


def forecast(
    rhythm: Rhythm | None,
    times: Sequence[datetime],
    now: datetime,
    tz: ZoneInfo,
    *,
    borne: bool = False,
    missed: date | None = None,
) -> Forecast:
    """Return what a waste type's rounds say today, from its rhythm and recent pickups.

    ``times``: its pickups of the last ``schedule.LOOKBACK`` (what the rhythm was learnt
    from); ``borne``: the waste type is one whose bornes the badge opened; ``missed``:
    the day of the round told missed, if one still is.
    """
    recent = sorted(t.astimezone(tz) for t in times if now - LOOKBACK <= t <= now)
    newest = recent[-1] if recent else None
    if rhythm is None:
        reason = (
            NoForecast.BORNE
            if borne and not recent
            else NoForecast.TOO_FEW_PICKUPS
            if len(recent) < MIN_PICKUPS
            else NoForecast.NO_RHYTHM
        )
        return Forecast(
            day=None,
            at=None,
            rhythm=None,
            lifts=len(recent),
            confidence=None,
            reason=reason,
            newest=newest,
        )
    on = [t for t in recent if rhythm.on(t.date())]
    day = next_expected(rhythm, newest, now, tz)
    return Forecast(
        day=day,
        at=_midnight(day, tz) + rhythm.earliest,
        rhythm=rhythm,
        lifts=len(on),
        confidence=_coverage(rhythm, on, now, tz),
        holiday=holiday(day),
        days_until=(day - now.astimezone(tz).date()).days,
        newest=newest,
        missed=missed,
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


def overdue_day(rounds: Rounds, now: datetime, tz: ZoneInfo) -> date | None:
    """Return the day of the rhythm whose round is overdue now (None: none is).

    Only the latest day of the rhythm up to today counts: once the next one begins, the
    one before is no longer told. Overdue is past the round's last day (``round_days``).
    """
    rhythm = rounds.rhythm
    if rhythm is None:
        return None
    today = now.astimezone(tz).date()
    day = list(expected_days(rhythm, today - timedelta(days=_SEARCH), today))[-1]
    if round_held(rhythm, day, local_date(rounds.newest, tz)):
        return None
    last = round_days(rhythm, day)[-1]
    due = _midnight(last, tz) + rhythm.latest + rounds.delay + MISSED_MARGIN
    return day if now >= due else None


def still_missed(rounds: Rounds | None, day: date, now: datetime, tz: ZoneInfo) -> bool:
    """Return whether the round of ``day`` is still missing and the next day not begun."""
    if (
        rounds is None
        or rounds.rhythm is None
        or round_held(rounds.rhythm, day, local_date(rounds.newest, tz))
    ):
        return False
    return now.astimezone(tz).date() < next_day(rounds.rhythm, day)


def follow_missed[K](
    missed: Mapping[K, date],
    by_type: Mapping[K, Rounds],
    now: datetime,
    tz: ZoneInfo,
    *,
    confirmed: bool,
) -> tuple[dict[K, date], list[tuple[K, date]]]:
    """Follow the missed rounds told so far; return them and the ones newly missed.

    ``missed``: per waste type, the day of the round told missed (one at most): those
    that showed, or whose next day began, are forgotten. A new one is told (once) only
    when ``confirmed``: a full read, not a look, found it missing.
    """
    kept = {key: day for key, day in missed.items() if still_missed(by_type.get(key), day, now, tz)}
    if not confirmed:
        return kept, []
    new: list[tuple[K, date]] = []
    for key, rounds in by_type.items():
        day = overdue_day(rounds, now, tz)
        if day is not None and kept.get(key) != day:
            kept[key] = day
            new.append((key, day))
    return kept, new
