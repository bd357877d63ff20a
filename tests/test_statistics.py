"""Long-term statistics at the portal's dates, read back from a real recorder."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import (
    get_last_statistics,
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ecocito.confirm import CONFIRM_AFTER
from custom_components.ecocito.const import CONF_HISTORY_YEARS
from custom_components.ecocito.statistic_ids import (
    borne_statistic_id,
    pickups_statistic_id,
    visits_statistic_id,
    weight_statistic_id,
)
from custom_components.ecocito.statistics import StatisticsImporter

from .helpers import poll, statistic_key
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID, DEMO_SECOND_LABEL
from .portal.state import PARIS

MAIN = DEMO_MAIN_ACCOUNT_ID
RESIDUAL = 15
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

type Rows = list[tuple[datetime, float, float]]


def expected_rows(items: list[tuple[datetime, float]], since: datetime, base: float = 0.0) -> Rows:
    """Hourly (UTC start, state, sum) rows from naive Paris times and figures."""
    hours: defaultdict[datetime, float] = defaultdict(float)
    for when, figure in items:
        aware = when.replace(tzinfo=PARIS)
        if aware >= since:
            hours[aware.astimezone(UTC).replace(minute=0, second=0, microsecond=0)] += figure
    rows: Rows = []
    total = base
    for start in sorted(hours):
        total += hours[start]
        rows.append((start, hours[start], total))
    return rows


def portal_pickups(simulator: PortalSimulator, account_id: int, type_id: int) -> list[Any]:
    today = dt_util.now(PARIS).date()
    return [
        p
        for p in simulator.state.get_account(account_id).pickups
        if p.type_id == type_id and p.when.date() <= today and p.address is None
    ]


def since(years: int) -> datetime:
    return datetime(dt_util.now(PARIS).year - years, 1, 1, tzinfo=PARIS)


async def recorded(hass: HomeAssistant, statistic_id: str) -> Rows:
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        EPOCH,
        None,
        {statistic_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return [
        (dt_util.utc_from_timestamp(row["start"]), row["state"] or 0.0, row["sum"] or 0.0)
        for row in found.get(statistic_id, [])
    ]


def approx(rows: Rows) -> list[tuple[datetime, Any, Any]]:
    return [(start, pytest.approx(state), pytest.approx(total)) for start, state, total in rows]


async def test_pickups_weights_and_visits_at_their_hours(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Each hour with pickups has its count and weight; sums run over the kept years."""
    pickups = portal_pickups(simulator, MAIN, RESIDUAL)
    assert await recorded(
        hass, pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    ) == approx(expected_rows([(p.when, 1.0) for p in pickups], since(2)))
    assert await recorded(hass, weight_statistic_id(statistic_key(hass), MAIN, RESIDUAL)) == approx(
        expected_rows([(p.when, p.weight or 0.0) for p in pickups], since(2))
    )
    visits = simulator.state.get_account(MAIN).visits
    rows = await recorded(hass, visits_statistic_id(statistic_key(hass), MAIN))
    assert rows == approx(expected_rows([(v.when, 1.0) for v in visits], since(2)))
    assert rows[-1][2] == len(visits)

    # The second account's summer-only packaging stream has its own series.
    second = portal_pickups(simulator, DEMO_SECOND_ACCOUNT_ID, 16)
    assert await recorded(
        hass, pickups_statistic_id(statistic_key(hass), DEMO_SECOND_ACCOUNT_ID, 16)
    ) == approx(expected_rows([(p.when, 1.0) for p in second], since(2)))

    metadata = await get_instance(hass).async_add_executor_job(
        list_statistic_ids,
        hass,
        {
            pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL),
            weight_statistic_id(statistic_key(hass), MAIN, RESIDUAL),
        },
    )
    by_id = {item["statistic_id"]: item for item in metadata}
    weight = by_id[weight_statistic_id(statistic_key(hass), MAIN, RESIDUAL)]
    assert weight["source"] == "ecocito"
    assert weight["has_sum"] is True
    assert weight["statistics_unit_of_measurement"] == "kg"
    assert weight["name"] == "12 RUE DES LILAS 23000 GUERET · Ordures ménagères · poids"
    count = by_id[pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)]
    assert count["statistics_unit_of_measurement"] is None
    assert count["name"].endswith("Ordures ménagères · levées")


async def test_borne_openings_at_each_month_start(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Each month with borne openings has its count at the month's first hour (Paris)."""
    today = dt_util.now(PARIS).date()
    months = [
        (datetime(d.when.year, d.when.month, 1), 1.0)
        for d in simulator.state.get_account(DEMO_SECOND_ACCOUNT_ID).drop_offs
        if d.type_id == 16 and d.when.date() <= today
    ]
    rows = await recorded(hass, borne_statistic_id(statistic_key(hass), DEMO_SECOND_ACCOUNT_ID, 16))
    assert rows == approx(expected_rows(months, since(2)))
    assert len(rows) > 3  # holidays of three years
    assert all(start.astimezone(PARIS).day == 1 for start, _state, _sum in rows)
    # No borne opened: no series.
    assert (
        await recorded(hass, borne_statistic_id(statistic_key(hass), DEMO_SECOND_ACCOUNT_ID, 15))
        == []
    )
    assert await recorded(hass, borne_statistic_id(statistic_key(hass), MAIN, RESIDUAL)) == []


async def test_reimport_is_idempotent_and_new_pickups_extend(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Importing the same data again changes nothing; a new pickup adds its hour."""
    statistic_id = pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    before = await recorded(hass, statistic_id)
    assert before

    # A fresh importer (as after a restart) sends every series again: same rows.
    await StatisticsImporter(hass, init_integration.runtime_data).async_import(
        frozenset(init_integration.runtime_data.data.accounts)
    )
    assert await recorded(hass, statistic_id) == before
    # So does a reload of the entry.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await recorded(hass, statistic_id) == before

    when = (dt_util.now(PARIS) - timedelta(minutes=1)).replace(tzinfo=None)
    simulator.state.add_pickup(MAIN, RESIDUAL, when, 11.5)
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    after = await recorded(hass, statistic_id)
    pickups = portal_pickups(simulator, MAIN, RESIDUAL)
    assert after == approx(expected_rows([(p.when, 1.0) for p in pickups], since(2)))
    assert after[-1][2] >= before[-1][2] + 1
    hour = when.replace(tzinfo=PARIS).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    assert hour in {start for start, _, _ in after}


async def test_shorter_history_keeps_sums_going_up(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Keeping fewer years re-imports from the new first year, continuing the old sum."""
    statistic_id = pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    before = await recorded(hass, statistic_id)
    hass.config_entries.async_update_entry(init_integration, options={CONF_HISTORY_YEARS: 1})
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert await recorded(hass, statistic_id) == before

    # Keeping more years again re-imports from the older first year: the same sums.
    hass.config_entries.async_update_entry(init_integration, options={CONF_HISTORY_YEARS: 2})
    # Until the next poll fetches the older year, an import keeps to the data's years.
    await StatisticsImporter(hass, init_integration.runtime_data).async_import(
        frozenset(init_integration.runtime_data.data.accounts)
    )
    assert await recorded(hass, statistic_id) == before
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert await recorded(hass, statistic_id) == before


async def test_no_history_starts_at_this_year(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PortalSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With no past year kept, the series starts on 1 January."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_HISTORY_YEARS: 0})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    rows = await recorded(hass, visits_statistic_id(statistic_key(hass), MAIN))
    visits = simulator.state.get_account(MAIN).visits
    assert rows == approx(expected_rows([(v.when, 1.0) for v in visits], since(0)))
    assert all(start >= since(0) for start, _, _ in rows)


async def test_without_recorder(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Without the recorder the entry runs, without statistics."""
    assert "recorder" not in hass.config.components
    assert init_integration.runtime_data.last_update_success


def test_first_day_is_portal_time() -> None:
    """The first kept year starts at midnight in Paris (23:00 UTC the day before)."""
    assert since(0).astimezone(UTC).date() == date(dt_util.now(PARIS).year - 1, 12, 31)


async def test_failed_poll_and_unchanged_data_import_nothing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed poll imports nothing; an unchanged series is not sent again."""
    statistic_id = pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    before = await recorded(hass, statistic_id)
    coordinator = init_integration.runtime_data
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR))
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    simulator.clear_faults()
    with patch(
        "custom_components.ecocito.statistics.async_add_external_statistics"
    ) as add_statistics:
        await coordinator.async_refresh()
        await hass.async_block_till_done()
    add_statistics.assert_not_called()
    assert await recorded(hass, statistic_id) == before


def hour_of(when: datetime) -> datetime:
    """The UTC start of the hour of a naive Paris time."""
    return when.replace(tzinfo=PARIS).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def never_down(rows: Rows) -> bool:
    """Whether the sums of recorded rows never go down from one hour to the next."""
    return all(earlier[2] <= later[2] + 0.0005 for earlier, later in pairwise(rows))


async def last_sum(hass: HomeAssistant, statistic_id: str) -> tuple[datetime, float]:
    """The recorder's last row of a statistic: its hour and its sum."""
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, statistic_id, True, {"sum"}
    )
    row = found[statistic_id][0]
    return dt_util.utc_from_timestamp(row["start"]), float(row["sum"] or 0.0)


async def test_a_late_pickup_is_imported_at_its_own_hour(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A pickup of six days ago published today: its hour gets it, the sums after it move up."""
    count_id = pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    weight_id = weight_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    count_before = await recorded(hass, count_id)
    weight_before = await recorded(hass, weight_id)
    last_hour, last_total = await last_sum(hass, count_id)
    lifted = datetime(2026, 11, 20, 3, 10)  # a Friday night: no residual round then
    hour = hour_of(lifted)
    assert hour not in {start for start, _, _ in count_before}
    simulator.state.add_pickup(MAIN, RESIDUAL, lifted, 4.0)
    await poll(hass, init_integration)

    count_after = await recorded(hass, count_id)
    weight_after = await recorded(hass, weight_id)
    pickups = portal_pickups(simulator, MAIN, RESIDUAL)
    assert count_after == approx(expected_rows([(p.when, 1.0) for p in pickups], since(2)))
    # Its own hour, with the sum of the hour before plus one.
    at_hour = {start: (state, total) for start, state, total in count_after}
    earlier = [total for start, _, total in count_before if start < hour]
    assert at_hour[hour][0] == 1.0
    assert at_hour[hour][1] == pytest.approx(earlier[-1] + 1)
    # The hours before it are as they were; every hour after it counts one more.
    weights = {start: total for start, _, total in weight_after}
    for start, state, total in count_before:
        assert at_hour[start][0] == state
        assert at_hour[start][1] == pytest.approx(total + (1 if start > hour else 0))
    for start, _, total in weight_before:
        assert weights[start] == pytest.approx(total + (4.0 if start > hour else 0))
    assert never_down(count_after)
    assert never_down(weight_after)
    recorded_last = await last_sum(hass, count_id)
    assert recorded_last[0] == last_hour
    assert recorded_last[1] == pytest.approx(last_total + 1)


async def test_a_removed_pickup_lowers_the_sums_only_once_confirmed(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The portal removes a pickup: the sums stay until the lower figures are confirmed.

    The reader believes the shorter table at its CONFIRM_AFTER-th poll; the statistics
    take the lower sums once they have come back so at CONFIRM_AFTER polls from then
    (choosing another active account is no poll). Then the removed pickup's hour shows
    none, and the sums after it are one less.
    """
    count_id = pickups_statistic_id(statistic_key(hass), MAIN, RESIDUAL)
    before = await recorded(hass, count_id)
    pickups = simulator.state.get_account(MAIN).pickups
    removed = max((p for p in pickups if p.type_id == RESIDUAL), key=lambda p: p.when)
    pickups.remove(removed)

    for _poll in range(CONFIRM_AFTER):
        await poll(hass, init_integration)
        assert await recorded(hass, count_id) == before
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: "select.ecocito_gueret_active_account", ATTR_OPTION: DEMO_SECOND_LABEL},
        blocking=True,
    )
    await hass.async_block_till_done()
    for _poll in range(CONFIRM_AFTER - 2):
        await poll(hass, init_integration)
        assert await recorded(hass, count_id) == before
    await poll(hass, init_integration)

    after = await recorded(hass, count_id)
    gone = hour_of(removed.when)
    assert [row for row in after if row[0] < gone] == [row for row in before if row[0] < gone]
    shown = {start: (state, total) for start, state, total in after}
    sum_before_it = [total for start, _, total in before if start < gone][-1]
    assert shown[gone][0] == 0.0
    assert shown[gone][1] == pytest.approx(sum_before_it)
    assert never_down(after)
    assert (await last_sum(hass, count_id))[1] == pytest.approx(before[-1][2] - 1)
