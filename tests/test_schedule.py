"""The schedule: rhythms learnt from pickups, and when the next poll is due (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from custom_components.ecocito.schedule import (
    BACKGROUND,
    BEFORE_WINDOW,
    DEFAULT_DELAY,
    FREQUENT,
    IRREGULAR,
    IRREGULAR_LOOK,
    LATE_END,
    Rhythm,
    Rounds,
    holiday,
    late_days,
    learn,
    learn_hours,
    plan,
    publication_delay,
    round_days,
    round_held,
    rounds_next,
    week_index,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)
"""A Monday."""


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


def weekly(weekday: int, weeks: int = 10, every: int = 1, hour: int = 6) -> list[datetime]:
    """Pickups on ``weekday`` before NOW, every ``every`` weeks, at about ``hour``."""
    last = NOW.date() - timedelta(days=(NOW.weekday() - weekday) % 7 or 7)
    return [
        at(last - timedelta(weeks=n * every), hour, (n * 13) % 50) for n in range(weeks // every)
    ]


def test_weekly_rhythm() -> None:
    """Ten Tuesdays between 6:00 and 6:50: every week on Tuesday, 6:00 to 6:50."""
    rhythm = learn(weekly(1), NOW, PARIS)
    assert rhythm is not None
    assert rhythm.weekdays == {1}
    assert rhythm.every == 1
    assert rhythm.earliest == timedelta(hours=6)
    assert timedelta(hours=6, minutes=40) <= rhythm.latest < timedelta(hours=7)


def test_two_weekdays() -> None:
    """Monday and Thursday rounds: both weekdays."""
    rhythm = learn(weekly(0) + weekly(3), NOW, PARIS)
    assert rhythm is not None
    assert rhythm.weekdays == {0, 3}
    assert rhythm.every == 1


def test_fortnightly_rhythm() -> None:
    """Every other Wednesday: the parity of the weeks with a pickup is learnt."""
    pickups = weekly(2, weeks=10, every=2)
    rhythm = learn(pickups, NOW, PARIS)
    assert rhythm is not None
    assert rhythm.every == 2
    assert rhythm.weekdays == {2}
    assert rhythm.parity == week_index(pickups[0].date()) % 2
    assert rhythm.on(pickups[0].date() + timedelta(weeks=2))
    assert not rhythm.on(pickups[0].date() + timedelta(weeks=1))


def test_holiday_shift_keeps_the_rhythm() -> None:
    """One Friday moved to Saturday by a holiday: still a Friday rhythm."""
    pickups = weekly(4)
    pickups[3] += timedelta(days=1)
    rhythm = learn(pickups, NOW, PARIS)
    assert rhythm is not None
    assert rhythm.weekdays == {4}
    assert rhythm.every == 1


def test_no_rhythm() -> None:
    """Pickups every 10 days fall on every weekday: no rhythm."""
    pickups = [NOW - timedelta(days=10 * n + 1) for n in range(7)]
    assert learn(pickups, NOW, PARIS) is None


def test_too_few_or_stale_pickups() -> None:
    """A new account (two pickups) or a quiet rounds (nothing for ten weeks): no rhythm."""
    assert learn(weekly(1)[:2], NOW, PARIS) is None
    assert learn([t - timedelta(weeks=11) for t in weekly(1)], NOW, PARIS) is None


def test_rhythm_with_many_missed_days_is_not_one() -> None:
    """Three Tuesdays out of ten weeks: too few of its days had a pickup."""
    pickups = weekly(1)
    assert learn([pickups[0], pickups[4], pickups[9]], NOW, PARIS) is None


def test_publication_delay() -> None:
    """The median of measured delays; the default until one is measured."""
    assert publication_delay([]) == DEFAULT_DELAY
    assert publication_delay([600, 7200, 3600]) == timedelta(hours=1)


TUESDAY = Rhythm(
    weekdays=frozenset({1}),
    every=1,
    parity=0,
    earliest=timedelta(hours=6),
    latest=timedelta(hours=7),
)


def tuesday_rounds(newest: datetime | None, read_at: datetime | None) -> Rounds:
    return Rounds(rhythm=TUESDAY, delay=timedelta(hours=1), newest=newest, read_at=read_at)


def test_window_after_the_expected_pickup() -> None:
    """The next Tuesday: from 6:00 + 1 h delay - margin, then every FREQUENT."""
    tuesday = date(2026, 12, 1)
    rounds = tuesday_rounds(at(date(2026, 11, 24), 6), NOW)
    opens = at(tuesday, 7) - BEFORE_WINDOW
    assert rounds_next(rounds, NOW, PARIS) == opens
    inside = opens + timedelta(minutes=5)
    assert rounds_next(tuesday_rounds(rounds.newest, inside), inside, PARIS) == inside + FREQUENT


def test_window_closes_once_the_pickup_shows() -> None:
    """Tuesday's pickup is held: nothing due before the next Tuesday."""
    tuesday = date(2026, 12, 1)
    now = at(tuesday, 8)
    rounds = tuesday_rounds(at(tuesday, 6, 30), now)
    assert rounds_next(rounds, now, PARIS) == at(tuesday + timedelta(weeks=1), 7) - BEFORE_WINDOW


def test_a_round_not_held_is_not_looked_for_the_next_day_in_its_window() -> None:
    """Tuesday's window ended without a pickup on an ordinary day: no window on Wednesday
    (a late upload is looked for instead, ``late_days``); the next one is next Tuesday's."""
    tuesday = date(2026, 12, 1)
    now = at(tuesday, 12)
    rounds = tuesday_rounds(at(tuesday - timedelta(weeks=1), 6), now)
    assert rounds_next(rounds, now, PARIS) == at(tuesday + timedelta(weeks=1), 7) - BEFORE_WINDOW


def test_the_one_rule_for_a_round_on_a_public_holiday() -> None:
    """A round on a holiday may come the day before (brought forward) or the day after
    (put back): the schedule opens its window on each of them until it is held."""
    bastille = date(2026, 7, 14)  # a Tuesday
    monday, wednesday = bastille - timedelta(days=1), bastille + timedelta(days=1)
    assert holiday(bastille) == "Fête nationale"
    assert round_days(TUESDAY, bastille) == (monday, bastille, wednesday)
    assert round_days(TUESDAY, date(2026, 7, 7)) == (date(2026, 7, 7),)
    # The day before is a round day of its own: not brought forward.
    monday_and_tuesday = replace(TUESDAY, weekdays=frozenset({0, 1}))
    assert round_days(monday_and_tuesday, bastille) == (bastille, wednesday)

    held_before = at(bastille - timedelta(weeks=1), 6)
    sunday = at(bastille - timedelta(days=2), 12)
    assert rounds_next(tuesday_rounds(held_before, sunday), sunday, PARIS) == (
        at(monday, 7) - BEFORE_WINDOW
    )
    tuesday_noon = at(bastille, 12)
    assert rounds_next(tuesday_rounds(held_before, tuesday_noon), tuesday_noon, PARIS) == (
        at(wednesday, 7) - BEFORE_WINDOW
    )
    # Brought forward: Monday's pickup holds Tuesday's round.
    assert round_held(TUESDAY, bastille, monday)
    assert not round_held(TUESDAY, bastille, monday - timedelta(days=1))
    lifted = tuesday_rounds(at(monday, 6, 10), tuesday_noon)
    assert rounds_next(lifted, tuesday_noon, PARIS) == (
        at(bastille + timedelta(weeks=1), 7) - BEFORE_WINDOW
    )
    # Late uploads are looked for after the round's last day, not on it.
    before = {date(2026, 7, 7) - timedelta(weeks=n) for n in range(4)}
    assert late_days(TUESDAY, before, wednesday) == frozenset()
    thursday = wednesday + timedelta(days=1)
    assert late_days(TUESDAY, before, thursday) == {
        thursday,
        thursday + timedelta(days=1),
        bastille + timedelta(weeks=1),
    }


def test_a_pickup_left_behind_is_looked_for_after_it_and_at_the_next_round() -> None:
    """Tuesday 1 December's lift never showed, nor on Wednesday: a late upload may come
    the two days after (Wednesday, Thursday) or with the next Tuesday's round."""
    tuesday = date(2026, 12, 1)
    wednesday, thursday = tuesday + timedelta(days=1), tuesday + timedelta(days=2)
    next_tuesday = tuesday + timedelta(weeks=1)
    before = {tuesday - timedelta(weeks=n) for n in range(1, 5)}
    assert late_days(TUESDAY, before, wednesday) == {wednesday, thursday, next_tuesday}
    assert late_days(TUESDAY, before, thursday + timedelta(days=1)) == {next_tuesday}
    assert late_days(TUESDAY, before, next_tuesday) == {next_tuesday}
    # On the next round's day, its own pickup held is not the one left behind: looked for
    # until the day's end.
    next_round = {*before, next_tuesday}
    assert late_days(TUESDAY, next_round, next_tuesday) == {next_tuesday}
    # The next round's day is over (its pickup held): no longer.
    assert late_days(TUESDAY, next_round, next_tuesday + timedelta(days=1)) == frozenset()
    # It showed (or came a day late, a holiday's shift): nothing is left behind.
    assert late_days(TUESDAY, {*before, tuesday}, thursday) == frozenset()
    assert late_days(TUESDAY, {*before, wednesday}, thursday) == frozenset()
    # Before the waste type's first pickup held, no lift was left behind.
    assert late_days(TUESDAY, {wednesday}, thursday + timedelta(days=1)) == frozenset()


def test_late_uploads_are_looked_for_through_the_day() -> None:
    """With a lift left behind, the account is looked at every IRREGULAR_LOOK from the
    window's start to LATE_END, also on the next round's day once its pickup showed."""
    tuesday = date(2026, 12, 1)
    next_tuesday = tuesday + timedelta(weeks=1)
    thursday = tuesday + timedelta(days=2)

    def late(newest: datetime, read_at: datetime) -> Rounds:
        return Rounds(
            rhythm=TUESDAY,
            delay=timedelta(hours=1),
            newest=newest,
            read_at=read_at,
            late_days=frozenset({thursday, thursday + timedelta(days=1), next_tuesday}),
        )

    held = at(tuesday - timedelta(weeks=1), 6)
    # Thursday: from 6:45 (6:00 + 1 h - BEFORE_WINDOW), then every IRREGULAR_LOOK.
    assert rounds_next(
        late(held, at(thursday, 1) - timedelta(hours=13)), at(thursday, 1), PARIS
    ) == (at(thursday, 7) - BEFORE_WINDOW)
    assert rounds_next(late(held, at(thursday, 9)), at(thursday, 9), PARIS) == (
        at(thursday, 9) + IRREGULAR_LOOK
    )
    # The day's last look comes at LATE_END; then the next day's hours.
    evening = datetime.combine(thursday, LATE_END, PARIS)
    assert rounds_next(late(held, at(thursday, 19)), at(thursday, 19), PARIS) == evening
    assert rounds_next(late(held, evening), evening, PARIS) == (
        at(thursday + timedelta(days=1), 7) - BEFORE_WINDOW
    )
    # Not looked for from Saturday to Monday: next, the Tuesday round's window.
    friday_evening = datetime.combine(thursday + timedelta(days=1), LATE_END, PARIS)
    assert rounds_next(late(held, friday_evening), friday_evening, PARIS) == (
        at(next_tuesday, 7) - BEFORE_WINDOW
    )
    # The next round's pickup showed at 6:30: the looks for the late one go on that day.
    shown = at(next_tuesday, 6, 30)
    assert rounds_next(late(shown, at(next_tuesday, 8)), at(next_tuesday, 8), PARIS) == (
        at(next_tuesday, 8) + IRREGULAR_LOOK
    )
    # Without a lift left behind, the window closed until the next round.
    closed = Rounds(rhythm=TUESDAY, delay=timedelta(hours=1), newest=shown, read_at=shown)
    assert rounds_next(closed, at(next_tuesday, 8), PARIS) == (
        at(next_tuesday + timedelta(weeks=1), 7) - BEFORE_WINDOW
    )


def test_fallback_without_rhythm() -> None:
    """A rounds without a rhythm is read every IRREGULAR, at once if never read."""
    rounds = Rounds(rhythm=None, delay=DEFAULT_DELAY, newest=None, read_at=NOW)
    assert rounds_next(rounds, NOW, PARIS) == NOW + IRREGULAR
    assert (
        rounds_next(Rounds(rhythm=None, delay=DEFAULT_DELAY, newest=None, read_at=None), NOW, PARIS)
        == NOW
    )


def test_usual_hours_without_a_rhythm() -> None:
    """A bin put out when full: no weekday rhythm, but its round comes at the same hours."""
    days = [NOW.date() - timedelta(days=d) for d in (2, 9, 13, 22, 26, 35, 41, 47, 58)]
    times = [at(day, 6, (7 * n) % 50) for n, day in enumerate(days)]
    assert learn(times, NOW, PARIS) is None
    hours = learn_hours(times, NOW, PARIS)
    assert hours is not None
    assert hours.weekdays == frozenset(range(7))
    assert (hours.earliest, hours.latest) == (timedelta(hours=6), timedelta(hours=6, minutes=49))
    # Spread over the day (no usual round), or too few: no usual hours.
    spread = [at(day, 6 + 2 * n) for n, day in enumerate(days)]
    assert learn_hours(spread, NOW, PARIS) is None
    assert learn_hours(times[:2], NOW, PARIS) is None


def test_looks_within_the_usual_hours_every_day() -> None:
    """Without a rhythm, its usual hours are looked at every IRREGULAR_LOOK, each day."""
    hours = learn_hours([at(NOW.date() - timedelta(days=d), 6) for d in (3, 10, 17)], NOW, PARIS)
    assert hours is not None
    tomorrow = NOW.date() + timedelta(days=1)
    rounds = Rounds(rhythm=None, hours=hours, delay=timedelta(hours=1), newest=None, read_at=NOW)
    # Today's hours are over (6:00 + 1 h delay + 2 h): tomorrow's open at 6:45.
    assert rounds_next(rounds, NOW, PARIS) == at(tomorrow, 7) - BEFORE_WINDOW
    looked = at(tomorrow, 7)
    inside = Rounds(rhythm=None, hours=hours, delay=timedelta(hours=1), newest=None, read_at=looked)
    assert rounds_next(inside, looked, PARIS) == looked + IRREGULAR_LOOK
    # The day's last look comes at the hours' end (9:00), not an IRREGULAR_LOOK later.
    late = Rounds(
        rhythm=None, hours=hours, delay=timedelta(hours=1), newest=None, read_at=at(tomorrow, 8)
    )
    assert rounds_next(late, at(tomorrow, 8), PARIS) == at(tomorrow, 9)
    ended = Rounds(
        rhythm=None, hours=hours, delay=timedelta(hours=1), newest=None, read_at=at(tomorrow, 9)
    )
    assert rounds_next(ended, at(tomorrow, 9), PARIS) == at(tomorrow + timedelta(days=1), 7) - (
        BEFORE_WINDOW
    )
    # Its pickup of the day is held: the next look is the day after.
    held = Rounds(
        rhythm=None, hours=hours, delay=timedelta(hours=1), newest=at(tomorrow, 6), read_at=looked
    )
    assert rounds_next(held, looked, PARIS) == at(tomorrow + timedelta(days=1), 7) - BEFORE_WINDOW


def test_a_pickup_dated_ahead_leaves_only_the_whole_login_read() -> None:
    """A row dated weeks ahead (a typo at the collectivité) holds every window shut.

    Neither the rhythm's windows nor the usual hours are looked at until that date: the
    rounds is read with the whole login, every BACKGROUND, and the plan says so.
    """
    ahead = NOW + timedelta(weeks=3)
    hours = learn_hours([at(NOW.date() - timedelta(days=d), 6) for d in (3, 10, 17)], NOW, PARIS)
    assert hours is not None
    by_type = {
        "weekly": tuesday_rounds(ahead, NOW),
        "hours": Rounds(rhythm=None, hours=hours, delay=DEFAULT_DELAY, newest=ahead, read_at=NOW),
    }
    assert [rounds_next(rounds, NOW, PARIS) for rounds in by_type.values()] == [None, None]
    planned = plan(by_type, last_full=NOW, now=NOW, tz=PARIS)
    assert (planned.at, planned.full, planned.types) == (NOW + BACKGROUND, True, frozenset())


def test_plan_background_and_batching() -> None:
    """The soonest due rounds sets the time; by_type due together are read together;
    the whole login is read every BACKGROUND (at once the first time)."""
    irregular = Rounds(rhythm=None, delay=DEFAULT_DELAY, newest=None, read_at=NOW)
    by_type = {
        (1, 1): tuesday_rounds(at(date(2026, 11, 24), 6), NOW),
        (1, 2): irregular,
        (2, 5): irregular,
    }
    first = plan(by_type, last_full=NOW, now=NOW, tz=PARIS)
    assert first.at == NOW + IRREGULAR
    assert not first.full
    assert first.types == {(1, 2), (2, 5)}
    assert plan(by_type, last_full=None, now=NOW, tz=PARIS).full
    quiet = {(1, 1): by_type[(1, 1)]}
    later = NOW + timedelta(hours=7)
    background = plan(quiet, last_full=later - BACKGROUND + timedelta(hours=1), now=later, tz=PARIS)
    assert background.full
    assert background.at == later + timedelta(hours=1)
