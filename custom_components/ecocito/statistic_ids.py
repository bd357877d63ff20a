"""Our long-term statistics' identity: their IDs, their metadata, and moving them.

``ecocito:<portal>_<account>_<type>_pickups``, ``…_weight``, ``…_borne_openings`` and
``ecocito:<portal>_<account>_visits``, the portal's host written ``gueret_ecocito_com``.
They move, history kept, when an identity changes: to IDs scoped by portal (entry
version 1 to 2), and to an account's number once the portal names it. The importer is
statistics.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import UnitOfMass
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .models import OWN_PLACE

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

RECORDER: Final = "recorder"
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
HAS_UNIT_CLASS: Final = "unit_class" in StatisticMetaData.__annotations__
"""2026.11 requires ``unit_class``; 2025.4.4 rejects it (see HA-COMPAT.md)."""


def _owner(account_id: int, place: str) -> str:
    """Return an account, or another place of it (its address's key after the account)."""
    return f"{account_id}" if place == OWN_PLACE else f"{account_id}_{place}"


def pickups_statistic_id(
    portal_key: str, account_id: int, waste_type_id: int, place: str = OWN_PLACE
) -> str:
    """Return the statistic ID of a place's pickup count for one waste type."""
    return f"{DOMAIN}:{portal_key}_{_owner(account_id, place)}_{waste_type_id}_pickups"


def weight_statistic_id(
    portal_key: str, account_id: int, waste_type_id: int, place: str = OWN_PLACE
) -> str:
    """Return the statistic ID of a place's collected weight for one waste type."""
    return f"{DOMAIN}:{portal_key}_{_owner(account_id, place)}_{waste_type_id}_weight"


def borne_statistic_id(portal_key: str, account_id: int, waste_type_id: int) -> str:
    """Return the statistic ID of an account's borne openings for one waste type."""
    return f"{DOMAIN}:{portal_key}_{account_id}_{waste_type_id}_borne_openings"


def visits_statistic_id(portal_key: str, account_id: int) -> str:
    """Return the statistic ID of an account's recycling-centre visit count."""
    return f"{DOMAIN}:{portal_key}_{account_id}_visits"


@dataclass(frozen=True, slots=True)
class Series:
    """One statistic: its metadata and its hourly figures (not yet cumulated)."""

    statistic_id: str
    name: str
    unit: str | None
    unit_class: str | None
    hours: tuple[tuple[datetime, float], ...]
    """(UTC start of the hour, figure within that hour), oldest first."""

    def metadata(self) -> StatisticMetaData:
        """Return the recorder metadata, with ``unit_class`` where the recorder has it."""
        metadata: dict[str, Any] = {
            "mean_type": StatisticMeanType.NONE,
            "has_sum": True,
            "name": self.name,
            "source": DOMAIN,
            "statistic_id": self.statistic_id,
            "unit_of_measurement": self.unit,
        }
        if HAS_UNIT_CLASS:
            metadata["unit_class"] = self.unit_class
        return cast("StatisticMetaData", metadata)

    def rows(self, base: float) -> list[StatisticData]:
        """Return the hourly rows, ``sum`` continuing from ``base``."""
        rows: list[StatisticData] = []
        total = base
        for start, figure in self.hours:
            total = round(total + figure, 3)
            rows.append(StatisticData(start=start, state=figure, sum=total))
        return rows


async def async_migrate_statistic_ids(
    hass: HomeAssistant, portal_key: str, account_ids: set[int]
) -> None:
    """Move the statistics of these accounts to IDs scoped by portal, history kept.

    Version 1 named them ``ecocito:<account>_…``; they become ``ecocito:<portal>_<account>_…``.
    """

    def scoped(object_id: str) -> str | None:
        account, _, rest = object_id.partition("_")
        in_scope = account.isdigit() and int(account) in account_ids and rest
        return f"{portal_key}_{object_id}" if in_scope else None

    if account_ids:
        await async_move_statistics(hass, scoped)


async def async_renumber_statistics(
    hass: HomeAssistant, portal_key: str, old: int, new: int
) -> None:
    """Move an account's statistics to its number, now that the portal says it, history kept."""
    before, after = f"{portal_key}_{old}_", f"{portal_key}_{new}_"
    await async_move_statistics(
        hass,
        lambda object_id: after + object_id.removeprefix(before)
        if object_id.startswith(before)
        else None,
    )


async def async_move_statistics(hass: HomeAssistant, rename: Callable[[str], str | None]) -> None:
    """Move our statistics to the IDs ``rename`` gives them (None: left alone), history kept.

    The recorder renames only its own statistics (source ``recorder``), so every row is
    copied to the new ID, then the old ID is cleared. Returns once the recorder has
    done both, so that the next import reads the copied sums.
    """
    if RECORDER not in hass.config.components:
        return
    instance = get_instance(hass)
    found = await instance.async_add_executor_job(
        partial(get_metadata, hass, statistic_source=DOMAIN)
    )
    moved: list[str] = []
    for statistic_id, (_metadata_id, metadata) in found.items():
        object_id = statistic_id.removeprefix(f"{DOMAIN}:")
        if (new_id := rename(object_id)) is None:
            continue
        rows = await instance.async_add_executor_job(
            statistics_during_period,
            hass,
            EPOCH,
            None,
            {statistic_id},
            "hour",
            None,
            {"state", "sum"},
        )
        unit = metadata.get("unit_of_measurement")
        series = Series(
            statistic_id=f"{DOMAIN}:{new_id}",
            name=metadata.get("name") or object_id,
            unit=unit,
            unit_class="mass" if unit == UnitOfMass.KILOGRAMS else None,
            hours=(),
        )
        async_add_external_statistics(
            hass,
            series.metadata(),
            [
                StatisticData(
                    start=dt_util.utc_from_timestamp(row["start"]),
                    state=row.get("state") or 0.0,
                    sum=row.get("sum") or 0.0,
                )
                for row in rows.get(statistic_id, [])
            ],
        )
        moved.append(statistic_id)
    if moved:
        done: asyncio.Future[None] = hass.loop.create_future()

        def on_done() -> None:
            hass.loop.call_soon_threadsafe(done.set_result, None)  # recorder thread

        instance.async_clear_statistics(moved, on_done=on_done)
        await done  # the recorder's queue runs in order: the copies are in
        LOGGER.debug("Moved %s statistics", len(moved))
