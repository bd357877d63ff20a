"""Long-term statistics at the portal's own dates: pickups, weights and visits per hour.

Each place's pickups (count and weight per waste type) and each account's
recycling-centre visits (count) are imported as external statistics
(``ecocito:<portal>_<account>_<type>_pickups``, ``…_weight``, another place's with its
address's key after the account, ``ecocito:<portal>_<account>_visits``, the portal's
host written ``gueret_ecocito_com``), one row per hour that had something, so
statistics graphs show real weekly, monthly and yearly figures. The portal counts borne
openings per month only: they are imported at the hour each month starts (portal time),
``ecocito:<portal>_<account>_<type>_borne_openings``, for the waste types that have some.

After each poll, the series of every year the options keep of each account whose rows
changed (the step says which) is rebuilt and imported again, unless it is the same as
the last one imported; the recorder replaces rows with the same start, so a re-import is
idempotent, a newly fetched pickup extends the series (a late one at its own hour, the
sums after it recomputed), and an hour whose pickup the portal removed is written again
with nothing, so that no hour keeps a pickup that is gone. ``sum`` continues the sum
recorded just before the first kept year (0 the first time), so that shortening the
history, or the turn of the year, never makes a sum go back. A series that would end
lower than the sum already recorded (a short read from the portal, say right after a
restart) is not imported until it has come back so at CONFIRM_AFTER polls in a row.
Nothing is ever deleted: removing the integration leaves the recorded history alone.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    statistics_during_period,
)
from homeassistant.const import UnitOfMass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .api import PORTAL_TZ
from .confirm import Streak
from .const import DOMAIN, LOGGER
from .statistic_ids import (
    EPOCH,
    RECORDER,
    Series,
    borne_statistic_id,
    pickups_statistic_id,
    visits_statistic_id,
    weight_statistic_id,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
    from .models import AccountState, Place


def _hourly(items: Iterable[tuple[datetime, float]]) -> tuple[tuple[datetime, float], ...]:
    """Add up figures per hour (UTC start of the hour)."""
    hours: defaultdict[datetime, float] = defaultdict(float)
    for when, figure in items:
        hours[when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)] += figure
    return tuple((start, round(figure, 3)) for start, figure in sorted(hours.items()))


def account_series(
    state: AccountState, places: Iterable[Place], since: datetime, portal_key: str
) -> list[Series]:
    """Return every statistic of one account, from ``since`` (aware) on.

    Its places' pickups and weights per waste type, its borne openings and visits.
    ``portal_key`` is the coordinator's ``statistic_key``: the portal's host.
    """
    account = state.account
    labels = state.labels
    series: list[Series] = []
    for place in places:
        pickups = [p for p in place.all_pickups if p.date >= since]
        for type_id in place.waste_types:
            mine = [p for p in pickups if p.waste_type_id == type_id]
            where = f"{place.name} · {labels[type_id]}"
            series.append(
                Series(
                    statistic_id=pickups_statistic_id(portal_key, account.id, type_id, place.key),
                    name=f"{where} · levées",
                    unit=None,
                    unit_class=None,
                    hours=_hourly((p.date, 1.0) for p in mine),
                )
            )
            series.append(
                Series(
                    statistic_id=weight_statistic_id(portal_key, account.id, type_id, place.key),
                    name=f"{where} · poids",
                    unit=UnitOfMass.KILOGRAMS,
                    unit_class="mass",
                    hours=_hourly((p.date, p.weight or 0.0) for p in mine),
                )
            )
    for type_id in state.borne_types:
        months = (
            (datetime(month.year, month.month, 1, tzinfo=PORTAL_TZ), float(month.count))
            for month in state.drop_offs_of(type_id, past=True)
            if month.count and month.month is not None  # a year's total has no month
        )
        series.append(
            Series(
                statistic_id=borne_statistic_id(portal_key, account.id, type_id),
                name=f"{account.label} · {labels[type_id]} · ouvertures de borne",
                unit=None,
                unit_class=None,
                hours=_hourly((start, count) for start, count in months if start >= since),
            )
        )
    series.append(
        Series(
            statistic_id=visits_statistic_id(portal_key, account.id),
            name=f"{account.label} · passages en déchèterie",
            unit=None,
            unit_class=None,
            hours=_hourly((v.date, 1.0) for v in state.all_visits if v.date >= since),
        )
    )
    return series


@dataclass(frozen=True, slots=True)
class _Recorded:
    """What the recorder holds of one statistic, as an import needs it."""

    base: float
    """The last sum before the first kept year (0: none)."""
    last: float
    """The last sum recorded."""
    hours: frozenset[datetime]
    """The hours recorded from the first kept year on (UTC starts)."""


def _recorded_sums(
    hass: HomeAssistant, statistic_ids: set[str], since: datetime
) -> dict[str, _Recorded]:
    """Return what the recorder holds of each statistic around ``since`` (recorder thread).

    Hourly rows: monthly ones follow Home Assistant's time zone, not the portal's, and
    would mix rows on both sides of ``since``. Ours are sparse (an hour per pickup).
    """
    before = statistics_during_period(hass, EPOCH, since, statistic_ids, "hour", None, {"sum"})
    after = statistics_during_period(hass, since, None, statistic_ids, "hour", None, {"sum"})
    recorded: dict[str, _Recorded] = {}
    for statistic_id in statistic_ids:
        rows_before = before.get(statistic_id)
        rows_after = after.get(statistic_id, [])
        base = float(rows_before[-1].get("sum") or 0.0) if rows_before else 0.0
        last = float(rows_after[-1].get("sum") or 0.0) if rows_after else base
        hours = frozenset(dt_util.utc_from_timestamp(row["start"]) for row in rows_after)
        recorded[statistic_id] = _Recorded(base, last, hours)
    return recorded


class StatisticsImporter:
    """Import a coordinator's data into the recorder after each successful poll."""

    def __init__(self, hass: HomeAssistant, coordinator: EcocitoCoordinator) -> None:
        """Prepare the importer of one config entry."""
        self.hass = hass
        self.coordinator = coordinator
        self._lock = asyncio.Lock()
        self._imported: dict[str, tuple[datetime, tuple[tuple[datetime, float], ...]]] = {}
        """What was last imported per statistic: unchanged series are not sent again."""
        self._short: Streak[str] = Streak()
        """Per statistic, the polls in a row whose series would have lowered its sum."""
        self._withheld: set[int] = set()
        """Accounts with a series not imported (it would have lowered its sum): they are
        tried again after each poll, until the lower sum is believed or goes away."""

    @callback
    def async_schedule(self, accounts: frozenset[int]) -> None:
        """Import the statistics of some accounts, in a task of its own (it must not block).

        The accounts with a series withheld are tried again too.
        """
        if accounts or self._withheld:
            self.coordinator.config_entry.async_create_task(
                self.hass, self.async_import(accounts), f"{DOMAIN} statistics import"
            )

    def since(self) -> datetime:
        """Return the start of the first year the data covers (portal time).

        The data's own first day, not the options': they may have changed since the
        poll, and a series must not start before the data it is built from.
        """
        return datetime.combine(self.coordinator.data.first_day, time(), PORTAL_TZ)

    async def async_import(self, accounts: frozenset[int]) -> None:
        """Import every changed series of these accounts."""
        async with self._lock:
            since = self.since()
            changed: list[tuple[int, Series]] = []
            data = self.coordinator.data.accounts
            wanted, self._withheld = accounts | self._withheld, set()
            for state in (data[account_id] for account_id in wanted if account_id in data):
                mine = self.coordinator.data.places_of(state.account.id)
                changed.extend(
                    (state.account.id, series)
                    for series in account_series(state, mine, since, self.coordinator.statistic_key)
                    if self._imported.get(series.statistic_id) != (since, series.hours)
                )
                await asyncio.sleep(0)  # one account per turn of the event loop
            if not changed:
                return
            recorded = await get_instance(self.hass).async_add_executor_job(
                _recorded_sums, self.hass, {series.statistic_id for _id, series in changed}, since
            )
            for account_id, series in changed:
                held = recorded.get(series.statistic_id, _Recorded(0.0, 0.0, frozenset()))
                # An hour recorded that no longer has anything (the portal removed its
                # pickup) is written again with nothing, its sum the one before it.
                gone = held.hours - {start for start, _figure in series.hours}
                hours = tuple(sorted((*series.hours, *((start, 0.0) for start in gone))))
                rows = replace(series, hours=hours).rows(held.base)
                if (
                    rows
                    and rows[-1]["sum"] < held.last - 0.0005
                    and not self._lower_accepted(series)
                ):
                    self._withheld.add(account_id)
                    continue
                self._short.clear(series.statistic_id)
                async_add_external_statistics(self.hass, series.metadata(), rows)
                self._imported[series.statistic_id] = (since, series.hours)
            LOGGER.debug("Imported %s statistics since %s", len(changed), since.date())

    def _lower_accepted(self, series: Series) -> bool:
        """Return whether a series ending below its recorded sum has come back so enough.

        A short read must never lower a recorded sum; the portal correcting a mistake
        may, once the lower figures have come back at CONFIRM_AFTER polls in a row.
        """
        if not self._short.count(series.statistic_id):
            LOGGER.info("Not importing %s: it would lower the recorded sum", series.statistic_id)
        return self._short.note(series.statistic_id, poll=self.coordinator.state.poll)


@callback
def async_setup_statistics(hass: HomeAssistant, entry: EcocitoConfigEntry) -> None:
    """Import the statistics of what each poll changed, when the recorder is running."""
    if RECORDER not in hass.config.components:
        LOGGER.debug("The recorder is not running: no long-term statistics")
        return
    entry.runtime_data.statistics = StatisticsImporter(hass, entry.runtime_data).async_schedule
