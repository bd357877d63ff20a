"""The step on its own: given this state, these rows and this time, the outcome is…

``step.py`` is a pure function of plain values: no portal, no Home Assistant. Each test
states a fact of a poll: what is read, what the entities show, what automations are
told, what is kept for the next poll.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from custom_components.ecocito.api import (
    UNNUMBERED_ACCOUNT_ID,
    Account,
    AccountData,
    AccountList,
    Pickup,
    WasteType,
)
from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import (
    EVENT_ACCOUNT_LINKED,
    EVENT_ACCOUNT_UNLINKED,
    EVENT_PICKUP,
    EVENT_PICKUP_MISSED,
)
from custom_components.ecocito.models import OWN_PLACE
from custom_components.ecocito.state import EntryState
from custom_components.ecocito.step import FullRead, Look, Looks, Outcome, ask, pickup_key, step

from .portal.state import PARIS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=PARIS)
"""A Thursday noon: the residual-waste round (Thursdays, 6:00) is done."""
TODAY = NOW.date()
HISTORY = 2
HOME = Account(id=104233, label="N° 104233 - 12 RUE DES LILAS 23000 GUERET")
COTTAGE = Account(id=118871, label="N° 118871 - LE BOURG 23200 AUBUSSON")
RESIDUAL = WasteType(id=15, label="Ordures ménagères")
PACKAGING = WasteType(id=16, label="Emballages")


def lift(day: date, *, hour: int = 6, kind: WasteType = RESIDUAL, bin_number: str = "B1") -> Pickup:
    """A pickup of one bin on ``day`` at ``hour``, weighing 10 kg."""
    when = datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
    return Pickup(date=when, waste_type_id=kind.id, weight=10.0, bin_number=bin_number)


def thursdays(weeks: int, *, until: date = TODAY) -> list[Pickup]:
    """The residual-waste round of the last ``weeks`` Thursdays, ``until`` included."""
    return [lift(until - timedelta(weeks=n)) for n in reversed(range(weeks))]


def rows(
    account: Account, *pickups: Pickup, types: tuple[WasteType, ...] = (RESIDUAL,)
) -> AccountData:
    """What the portal gives of an account: its waste types and pickups, no visit."""
    return AccountData(
        account=account, waste_types=types, pickups=tuple(pickups), visits=(), borne_drop_offs={}
    )


def full_read(
    state: EntryState,
    *accounts: AccountData,
    now: datetime = NOW,
    listed: tuple[Account, ...] | None = None,
) -> FullRead:
    """A read of the whole login at ``now``: the drop-down lists ``listed`` (else the
    accounts read), and each account read gives its rows."""
    today = now.astimezone(PARIS).date()
    start = date(today.year - HISTORY, 1, 1)
    shown = listed if listed is not None else tuple(data.account for data in accounts)
    return FullRead(
        linked=AccountList(accounts=shown, active_id=shown[0].id if shown else None),
        accounts={
            data.account.id: (ask(state, data.account.id, today, start), data) for data in accounts
        },
        history_start=start,
    )


def poll(
    state: EntryState, *accounts: AccountData, now: datetime = NOW, **kwargs: object
) -> tuple[EntryState, Outcome]:
    """One step of a full read."""
    return step(state, full_read(state, *accounts, now=now, **kwargs), now)  # type: ignore[arg-type]


def told(outcome: Outcome) -> list[tuple[str, dict[str, object]]]:
    """What automations are told, in order: the bus event and its data."""
    return [(item.event, dict(item.data)) for item in outcome.told]


def test_the_first_read_tells_nothing_and_remembers_every_pickup() -> None:
    """At a start, every pickup held is history: none is told; all are seen."""
    state, outcome = poll(EntryState(), rows(HOME, *thursdays(8)))
    assert outcome.told == ()
    assert outcome.rows_changed == {HOME.id}
    assert outcome.data.accounts[HOME.id].pickup_count(RESIDUAL.id) == 8
    assert state.known == {HOME.id: HOME.label}
    assert sum(state.seen[HOME.id].counts.values()) == 8
    assert state.seen[HOME.id].floors == {RESIDUAL.id: datetime(2024, 1, 1, tzinfo=PARIS)}
    assert outcome.plan is not None
    assert state.plan is outcome.plan


def test_a_new_pickup_is_told_once_with_its_figures() -> None:
    """A lift that was not there before is told, with its weight and waste type; the next
    read tells it no more."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)[:-1]))
    new = lift(NOW.date())
    state, outcome = poll(state, rows(HOME, *thursdays(8)))
    assert told(outcome) == [
        (
            EVENT_PICKUP,
            {
                "account_id": HOME.id,
                "address": None,
                "date": new.date.isoformat(),
                "waste_type_id": RESIDUAL.id,
                "waste_type": RESIDUAL.label,
                "weight": 10.0,
                "anomaly": None,
            },
        )
    ]
    assert outcome.told[0].place == (HOME.id, OWN_PLACE)  # the place's event entity fires it
    assert outcome.data.accounts[HOME.id].last_pickup(RESIDUAL.id) == new
    _state, again = poll(state, rows(HOME, *thursdays(8)))
    assert again.told == ()
    assert again.rows_changed == frozenset()  # the same rows: the same object, no write


def test_two_bins_lifted_in_the_same_minute_are_two_pickups() -> None:
    """Two rows of one identity are two pickups: both are told."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)[:-1]))
    twins = (lift(NOW.date()), lift(NOW.date()))
    _state, outcome = poll(state, rows(HOME, *thursdays(8)[:-1], *twins))
    assert [event for event, _data in told(outcome)] == [EVENT_PICKUP, EVENT_PICKUP]
    assert outcome.told[1].data["anomaly"] == "duplicate"  # the same bin within the hour


def test_a_waste_type_seen_first_brings_its_history_untold() -> None:
    """The portal lists a waste type for the first time: its pickups are history."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)))
    glass = [lift(NOW.date() - timedelta(days=n), kind=PACKAGING) for n in (1, 8)]
    state, outcome = poll(state, rows(HOME, *thursdays(8), *glass, types=(RESIDUAL, PACKAGING)))
    assert outcome.told == ()
    assert set(state.seen[HOME.id].floors) == {RESIDUAL.id, PACKAGING.id}


def test_an_account_missing_is_unlinked_at_the_third_full_read() -> None:
    """Missing from the drop-down, an account keeps its data twice; the third time it is
    unlinked: told with its label, its devices go, its pickups are forgotten."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(4)), rows(COTTAGE, *thursdays(4)))
    held = state.held
    assert held is not None
    for missing in range(1, CONFIRM_AFTER):
        state, outcome = poll(state, rows(HOME, *thursdays(4)))
        assert outcome.data.accounts[COTTAGE.id] is held.accounts[COTTAGE.id]
        assert (outcome.told, outcome.unlinked) == ((), ())
        assert state.absent == {COTTAGE.id: missing}
    state, outcome = poll(state, rows(HOME, *thursdays(4)))
    assert told(outcome) == [
        (EVENT_ACCOUNT_UNLINKED, {"account_id": COTTAGE.id, "label": COTTAGE.label})
    ]
    assert outcome.told[0].place is None  # the login's event entity fires it
    assert outcome.unlinked == (COTTAGE.id,)
    assert set(outcome.data.accounts) == {HOME.id}
    assert COTTAGE.id not in state.seen
    assert state.known == {HOME.id: HOME.label}


def test_an_account_linked_on_the_portal_is_told_its_history_not() -> None:
    """A second account in the drop-down: it is told linked; its pickups are history."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(4)))
    state, outcome = poll(state, rows(HOME, *thursdays(4)), rows(COTTAGE, *thursdays(6)))
    assert told(outcome) == [
        (EVENT_ACCOUNT_LINKED, {"account_id": COTTAGE.id, "label": COTTAGE.label})
    ]
    assert outcome.rows_changed == {COTTAGE.id}
    assert state.known == {HOME.id: HOME.label, COTTAGE.id: COTTAGE.label}


def test_an_empty_drop_down_is_believed_at_the_third_full_read() -> None:
    """No account listed where some are known: the poll fails twice (the data stays),
    then the accounts count as missing."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(4)))
    held = state.held
    for _read in range(1, CONFIRM_AFTER):
        state, outcome = poll(state, listed=())
        assert outcome.failure == "no_accounts"
        assert state.held is held
    state, outcome = poll(state, listed=())
    assert outcome.failure is None
    assert state.absent == {HOME.id: 1}
    assert outcome.data.accounts[HOME.id] is held.accounts[HOME.id]  # type: ignore[union-attr]


def test_a_short_table_is_kept_until_the_third_full_read() -> None:
    """Fewer rows than held (read twice by the reader): the figures stay until the
    portal has said so at three full reads in a row."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)))
    held = state.held
    assert held is not None
    for _read in range(1, CONFIRM_AFTER):
        state, outcome = poll(state, rows(HOME, *thursdays(8)[-4:]))
        assert outcome.data.accounts[HOME.id].pickups == held.accounts[HOME.id].pickups
    state, outcome = poll(state, rows(HOME, *thursdays(8)[-4:]))
    assert outcome.data.accounts[HOME.id].pickup_count(RESIDUAL.id) == 4
    assert outcome.told == ()


def test_the_login_s_one_account_takes_its_number_from_a_drop_down() -> None:
    """A login whose pages named no account: once a drop-down names it, what is kept of it
    moves to its number, nothing is told again, and the coordinator renumbers its device."""
    unnamed = Account(id=UNNUMBERED_ACCOUNT_ID, label="12 RUE DES LILAS 23000 GUERET")
    state, _ = poll(EntryState(), rows(unnamed, *thursdays(8)))
    state, outcome = poll(state, rows(HOME, *thursdays(8)))
    assert outcome.renumbered == {UNNUMBERED_ACCOUNT_ID: HOME.id}
    assert outcome.told == ()
    assert set(state.seen) == {HOME.id}
    assert state.known == {HOME.id: HOME.label}


def test_a_look_with_the_same_count_changes_nothing() -> None:
    """A look whose count is the one held: the same data object, nothing told; the
    account's look is noted (the schedule plans from it)."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)))
    later = NOW + timedelta(minutes=5)
    state, outcome = step(state, Looks(looks={HOME.id: Look(total=8)}), later)
    assert outcome.data.accounts[HOME.id] is state.held.accounts[HOME.id]  # type: ignore[union-attr]
    assert (outcome.told, outcome.rows_changed) == ((), frozenset())
    assert state.looked_at[HOME.id] == later


def test_a_look_that_finds_a_pickup_tells_it() -> None:
    """A look whose count changed brought the pickups: the new one is told."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)[:-1]))
    later = NOW + timedelta(minutes=5)
    look = Look(total=8, pickups={RESIDUAL.id: tuple(thursdays(8))})
    state, outcome = step(state, Looks(looks={HOME.id: look}), later)
    assert [event for event, _data in told(outcome)] == [EVENT_PICKUP]
    assert outcome.rows_changed == {HOME.id}
    assert pickup_key(thursdays(8)[-1]) in state.seen[HOME.id].counts


def test_a_look_at_an_account_no_longer_held_is_left_alone() -> None:
    """A full read unlinked it while the look was under way: the look is dropped."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)))
    look = Look(total=1, pickups={RESIDUAL.id: (lift(NOW.date()),)})
    after, outcome = step(state, Looks(looks={COTTAGE.id: look}), NOW)
    assert set(outcome.data.accounts) == {HOME.id}
    assert COTTAGE.id not in after.looked_at


def test_the_next_pickup_is_the_next_round_and_the_day_turns_it() -> None:
    """Weekly on Thursdays at 6:00, today's lifted: next Thursday, 7 days away. At
    midnight, with nothing read, it is 6 days away; the poll planned stays planned."""
    state, outcome = poll(EntryState(), rows(HOME, *thursdays(10)))
    found = outcome.data.forecasts[(HOME.id, OWN_PLACE, RESIDUAL.id)]
    assert found.at == datetime(2026, 12, 3, 6, tzinfo=PARIS)
    assert (found.days_until, found.missed) == (7, None)
    midnight = datetime(2026, 11, 27, 0, 0, 1, tzinfo=PARIS)
    state, outcome = step(state, None, midnight)
    assert outcome.data.forecasts[(HOME.id, OWN_PLACE, RESIDUAL.id)].days_until == 6
    assert (outcome.told, outcome.plan) == ((), None)
    assert outcome.data.next_poll == state.plan.at  # type: ignore[union-attr]


def test_a_missed_round_is_told_once_at_a_full_read_and_forgotten_next_round() -> None:
    """Thursday's lift never came: by Friday a look says nothing, a full read tells it
    once (it is kept across restarts); it is forgotten when next Thursday begins."""
    before = rows(HOME, *thursdays(9, until=NOW.date() - timedelta(weeks=1)))
    state, outcome = poll(EntryState(), before, now=NOW.replace(hour=8))  # not due yet
    assert outcome.told == ()
    friday = datetime(2026, 11, 27, 12, tzinfo=PARIS)
    _looked, outcome = step(state, Looks(looks={HOME.id: Look(total=9)}), friday)
    assert outcome.told == ()
    state, outcome = poll(state, before, now=friday)
    assert told(outcome) == [
        (
            EVENT_PICKUP_MISSED,
            {
                "account_id": HOME.id,
                "address": None,
                "waste_type_id": RESIDUAL.id,
                "waste_type": RESIDUAL.label,
                "expected_date": "2026-11-26",
                "holiday": None,
            },
        )
    ]
    assert state.missed == {(HOME.id, OWN_PLACE, RESIDUAL.id): date(2026, 11, 26)}
    assert outcome.data.forecasts[(HOME.id, OWN_PLACE, RESIDUAL.id)].missed == date(2026, 11, 26)
    state, outcome = poll(state, before, now=friday + timedelta(hours=1))
    assert outcome.told == ()
    next_thursday = datetime(2026, 12, 3, 0, 0, 1, tzinfo=PARIS)
    state, outcome = step(state, None, next_thursday)
    assert state.missed == {}
    assert outcome.data.forecasts[(HOME.id, OWN_PLACE, RESIDUAL.id)].missed is None


def test_the_state_given_is_never_changed() -> None:
    """The step makes a new state: the one it was given is the same after."""
    state, _ = poll(EntryState(), rows(HOME, *thursdays(8)[:-1]))
    copy = replace(state)
    poll(state, rows(HOME, *thursdays(8)), rows(COTTAGE, *thursdays(2)))
    assert state == copy
    assert dict(state.seen[HOME.id].counts) == dict(copy.seen[HOME.id].counts)
