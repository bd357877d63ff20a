"""The next expected pickups and the missed ones, from the learnt rhythm (pure)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.ecocito.forecast import (
    AHEAD,
    MISSED_MARGIN,
    NoForecast,
    describe,
    expected_pickups,
    follow_missed,
    forecast,
    holiday,
    overdue_day,
    still_missed,
)
from custom_components.ecocito.schedule import Rhythm, Rounds, learn

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
DELAY = timedelta(hours=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


def lifts(weekday: int, now: datetime, weeks: int = 10, every: int = 1) -> list[datetime]:
    """Pickups on ``weekday`` before ``now``, every ``every`` weeks, 6:00 to 6:45."""
    today = now.date()
    last = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return sorted(
        at(last - timedelta(weeks=n * every), 6, (n * 5) % 50) for n in range(weeks // every)
    )


def rhythm_of(times: list[datetime], now: datetime) -> Rhythm:
    rhythm = learn(times, now, PARIS)
    assert rhythm is not None
    return rhythm


def test_weekly() -> None:
    """A Thursday bin, seen on Monday: Thursday, at its earliest usual hour."""
    times = lifts(3, MONDAY)
    found = forecast(rhythm_of(times, MONDAY), times, MONDAY, PARIS)
    assert found.day == date(2026, 11, 26)
    assert found.at == at(date(2026, 11, 26), 6)
    assert found.lifts == 10
    assert found.confidence == 1.0
    assert found.holiday is None
    assert found.reason is None
    assert describe(found.rhythm, "fr") == "chaque jeudi"
    assert describe(found.rhythm, "en") == "every Thursday"


def test_today_until_held() -> None:
    """The day's pickup is expected all day until it shows; then the next week's."""
    thursday = at(date(2026, 11, 26), 20)
    times = lifts(3, thursday)
    rhythm = rhythm_of(times, thursday)
    assert forecast(rhythm, times, thursday, PARIS).day == date(2026, 11, 26)
    lifted = [*times, at(date(2026, 11, 26), 6, 10)]
    assert forecast(rhythm, lifted, thursday, PARIS).day == date(2026, 12, 3)


def test_fortnightly() -> None:
    """Every other Friday: the right Friday, and the words for it."""
    times = lifts(4, MONDAY, weeks=10, every=2)
    rhythm = rhythm_of(times, MONDAY)
    assert rhythm.every == 2
    found = forecast(rhythm, times, MONDAY, PARIS)
    assert found.day == times[-1].date() + timedelta(weeks=2)
    assert found.lifts == 5
    assert describe(rhythm, "fr") == "un vendredi sur deux"
    assert describe(rhythm, "en-GB") == "every other Friday"


def test_two_weekdays() -> None:
    """Monday and Thursday: on Monday noon, after Monday's pickup, Thursday."""
    times = [*lifts(0, MONDAY), *lifts(3, MONDAY), at(MONDAY.date(), 6, 5)]
    rhythm = rhythm_of(times, MONDAY)
    assert forecast(rhythm, times, MONDAY, PARIS).day == date(2026, 11, 26)
    assert describe(rhythm, "fr") == "lundi et jeudi"
    assert describe(rhythm, "en") == "Monday and Thursday"
    three = Rhythm(
        weekdays=frozenset({0, 2, 4}),
        every=2,
        parity=0,
        earliest=timedelta(hours=6),
        latest=timedelta(hours=7),
    )
    assert describe(three, "fr") == "lundi, mercredi et vendredi, une semaine sur deux"
    assert describe(three, "en") == "Monday, Wednesday and Friday, every other week"


def test_holiday_is_named() -> None:
    """A Friday round on Christmas Day: the day is kept, and named; Whit Monday too."""
    now = at(date(2026, 12, 21), 12)
    times = lifts(4, now)
    found = forecast(rhythm_of(times, now), times, now, PARIS)
    assert found.day == date(2026, 12, 25)
    assert found.holiday == "Noël"
    assert holiday(date(2026, 5, 25)) == "Lundi de Pentecôte"
    assert holiday(date(2026, 4, 6)) == "Lundi de Pâques"
    assert holiday(date(2026, 11, 27)) is None


def test_rhythm_without_recent_pickups() -> None:
    """A rhythm learnt earlier whose pickups the portal no longer shows: no confidence."""
    found = forecast(rhythm_of(lifts(3, MONDAY), MONDAY), [], MONDAY, PARIS)
    assert (found.day, found.lifts, found.confidence) == (date(2026, 11, 26), 0, 0.0)


def test_confidence_with_misses() -> None:
    """Two of ten Thursdays missed: a confidence of 0.8, resting on eight pickups."""
    times = lifts(3, MONDAY)
    kept = [t for n, t in enumerate(times) if n not in (3, 6)]
    found = forecast(rhythm_of(kept, MONDAY), kept, MONDAY, PARIS)
    assert found.lifts == 8
    assert found.confidence == 0.8


@pytest.mark.parametrize(
    ("times", "borne", "reason"),
    [
        ([], True, NoForecast.BORNE),
        ([], False, NoForecast.TOO_FEW_PICKUPS),
        (lifts(3, MONDAY, weeks=2), False, NoForecast.TOO_FEW_PICKUPS),
        (
            [at(MONDAY.date() - timedelta(days=d), 6) for d in (3, 9, 13, 22, 30, 41, 45)],
            False,
            NoForecast.NO_RHYTHM,
        ),
    ],
)
def test_no_rhythm(times: list[datetime], borne: bool, reason: NoForecast) -> None:
    """No rhythm, no date made up: the reason instead."""
    assert learn(times, MONDAY, PARIS) is None
    found = forecast(None, times, MONDAY, PARIS, borne=borne)
    assert (found.day, found.at, found.confidence, found.reason) == (None, None, None, reason)
    assert found.lifts == len(times)


def test_expected_pickups_four_weeks() -> None:
    """The calendar's estimates: the next four weeks' Thursdays, usual hours."""
    times = lifts(3, MONDAY)
    rhythm = rhythm_of(times, MONDAY)
    expected = expected_pickups(rhythm, times[-1], MONDAY, PARIS)
    assert [e.day for e in expected] == [date(2026, 11, 26) + timedelta(weeks=n) for n in range(4)]
    assert expected[0].start == at(date(2026, 11, 26), 6)
    assert expected[0].end == at(date(2026, 11, 26), 6, 45)
    assert expected[-1].day <= (MONDAY + AHEAD).date()
    december = at(date(2026, 12, 7), 12)
    fridays = expected_pickups(rhythm_of(lifts(4, december), december), None, december, PARIS)
    assert [(e.day, e.holiday) for e in fridays if e.holiday] == [
        (date(2026, 12, 25), "Noël"),
        (date(2027, 1, 1), "Jour de l'an"),
    ]


def thursday_rounds(now: datetime, newest: datetime | None = None) -> Rounds:
    times = lifts(3, now)
    return Rounds(
        rhythm=rhythm_of(times, now),
        delay=DELAY,
        newest=newest or times[-1],
        read_at=None,
    )


def test_overdue_after_delay_and_margin() -> None:
    """Overdue once past the latest usual hour, the delay and the margin; not before."""
    thursday = date(2026, 11, 26)
    before = at(thursday, 6)
    rounds = thursday_rounds(before)
    due = at(thursday, 6, 45) + DELAY + MISSED_MARGIN
    assert overdue_day(rounds, due - timedelta(minutes=1), PARIS) is None
    assert overdue_day(rounds, due, PARIS) == thursday
    lifted = thursday_rounds(before, newest=at(thursday, 9))
    assert overdue_day(lifted, due, PARIS) is None
    no_rhythm = Rounds(rhythm=None, delay=DELAY, newest=None, read_at=None)
    assert overdue_day(no_rhythm, due, PARIS) is None


def test_holiday_moves_the_expectation() -> None:
    """A Friday round on Christmas Day is not missed until Saturday's hours are over."""
    christmas = date(2026, 12, 25)
    rounds = thursday_rounds(at(christmas, 1))
    friday = Rounds(
        rhythm=rhythm_of(lifts(4, at(christmas, 1)), at(christmas, 1)),
        delay=DELAY,
        newest=at(christmas - timedelta(days=7), 6),
        read_at=None,
    )
    assert rounds.rhythm is not None
    assert overdue_day(friday, at(christmas, 23), PARIS) is None
    assert overdue_day(friday, at(christmas + timedelta(days=1), 23), PARIS) == christmas


def test_round_brought_forward_before_a_holiday() -> None:
    """Ascension Thursday's round lifted on Wednesday: held, neither expected nor missed."""
    ascension = date(2026, 5, 14)
    assert holiday(ascension) == "Ascension"
    wednesday_evening = at(ascension - timedelta(days=1), 20)
    times = [*lifts(3, wednesday_evening), at(ascension - timedelta(days=1), 6, 10)]
    rhythm = rhythm_of(times, wednesday_evening)
    assert forecast(rhythm, times, wednesday_evening, PARIS).day == date(2026, 5, 21)
    rounds = Rounds(rhythm=rhythm, delay=DELAY, newest=times[-1], read_at=None)
    assert overdue_day(rounds, at(ascension + timedelta(days=1), 20), PARIS) is None
    # Not so for a Monday-and-Tuesday round: Monday 13 July's pickup is its own, and
    # 14 July's (a Tuesday) is missed once Wednesday's hours are over.
    both = Rhythm(
        weekdays=frozenset({0, 1}),
        every=1,
        parity=0,
        earliest=timedelta(hours=6),
        latest=timedelta(hours=7),
    )
    held = Rounds(rhythm=both, delay=DELAY, newest=at(date(2026, 7, 13), 6), read_at=None)
    assert overdue_day(held, at(date(2026, 7, 14), 23), PARIS) is None
    assert overdue_day(held, at(date(2026, 7, 15), 23), PARIS) == date(2026, 7, 14)


def test_follow_missed_once_then_cleared() -> None:
    """Told once, only after a full read; forgotten when it shows or the next day begins."""
    thursday = date(2026, 11, 26)
    friday_evening = at(date(2026, 11, 27), 20)
    rounds = thursday_rounds(at(thursday, 1))
    assert follow_missed({}, {"bin": rounds}, friday_evening, PARIS, confirmed=False) == ({}, [])
    missed, new = follow_missed({}, {"bin": rounds}, friday_evening, PARIS, confirmed=True)
    assert (missed, new) == ({"bin": thursday}, [("bin", thursday)])
    assert follow_missed(missed, {"bin": rounds}, friday_evening, PARIS, confirmed=True) == (
        {"bin": thursday},
        [],
    )
    assert still_missed(rounds, thursday, friday_evening, PARIS)

    # A late upload of Thursday's pickup.
    late = thursday_rounds(at(thursday, 1), newest=at(thursday, 6, 20))
    assert not still_missed(late, thursday, friday_evening, PARIS)
    assert follow_missed(missed, {"bin": late}, friday_evening, PARIS, confirmed=True) == ({}, [])

    # Never shown: forgotten when next Thursday begins (that one is not overdue yet).
    next_thursday = at(date(2026, 12, 3), 0, 1)
    assert not still_missed(rounds, thursday, next_thursday, PARIS)
    assert follow_missed(missed, {"bin": rounds}, next_thursday, PARIS, confirmed=True) == ({}, [])

    # A waste type gone, or without a rhythm: nothing kept.
    assert follow_missed(missed, {}, friday_evening, PARIS, confirmed=False) == ({}, [])
