"""Binary sensors: an account went past its allowance; a waste type's pickup did not come."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import Platform
from homeassistant.util import dt as dt_util

from .allowance import EcocitoAllowanceEntity, async_track_allowance_entities
from .api import PORTAL_TZ
from .entity import account_unique_id, account_waste_types, async_add_entities_as_they_appear
from .forecast import holiday, still_missed
from .rhythm_entity import EcocitoRhythmEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .allowance import AllowanceUse
    from .coordinator import EcocitoConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EcocitoBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A yes/no of an account's allowance, and what it says with it."""

    is_on_fn: Callable[[AllowanceUse], bool]
    attributes_fn: Callable[[AllowanceUse], dict[str, Any]]


BINARY_SENSORS: tuple[EcocitoBinarySensorEntityDescription, ...] = (
    EcocitoBinarySensorEntityDescription(
        # On once an extra pickup, visit or opening has been charged this year; the extra
        # pickups so far, all counted waste types together, and the extra visits and
        # borne openings if counted.
        key="allowance_exceeded",
        translation_key="allowance_exceeded",
        is_on_fn=lambda use: use.exceeded,
        attributes_fn=lambda use: {
            "extra_pickups": sum(use.extra.values()),
            **({} if use.visits_extra is None else {"extra_visits": use.visits_extra}),
            **({"extra_borne_openings": sum(use.borne_extra.values())} if use.borne_extra else {}),
        },
    ),
)
DESCRIPTIONS = {description.key: description for description in BINARY_SENSORS}
MISSED_PICKUP = BinarySensorEntityDescription(
    key="missed_pickup", translation_key="waste_type_missed_pickup"
)
"""Each account's device, one per waste type (forecast.py says when it is on). No device
class: its own states ("Not emptied" / "OK") say more than "Problem" would."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a "missed pickup" sensor per waste type, and "allowance exceeded" ones."""
    coordinator = entry.runtime_data
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        account_waste_types,
        lambda key: [EcocitoMissedPickupBinarySensor(coordinator, key[0], MISSED_PICKUP, key[1])],
    )
    await async_track_allowance_entities(
        entry,
        async_add_entities,
        Platform.BINARY_SENSOR,
        lambda state, allowance: list(DESCRIPTIONS),
        lambda account_id, key: EcocitoAllowanceBinarySensor(
            coordinator, account_id, DESCRIPTIONS[key]
        ),
        lambda account_id, key: account_unique_id(coordinator.portal, account_id, key),
    )


class EcocitoAllowanceBinarySensor(EcocitoAllowanceEntity, BinarySensorEntity):
    """A yes/no of an account's allowance this year, all counted waste types together."""

    entity_description: EcocitoBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Return the yes/no of this year's use."""
        use = self.allowance_use
        return None if use is None else self.entity_description.is_on_fn(use)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return what comes with the yes/no."""
        use = self.allowance_use
        return None if use is None else self.entity_description.attributes_fn(use)


class EcocitoMissedPickupBinarySensor(EcocitoRhythmEntity, BinarySensorEntity):
    """On while an expected pickup of the waste type is missing (a full read confirmed it).

    Off again when it shows (a late upload) or the next day of the rhythm begins.
    """

    @property
    def is_on(self) -> bool:
        """Return whether the pickup told missing is still missing."""
        day = self.missed_day
        return day is not None and still_missed(self.table, day, dt_util.now(), PORTAL_TZ)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the day the missing pickup was expected, and its holiday if it is one."""
        day = self.missed_day if self.is_on else None
        return {
            "waste_type": self.waste_type,
            "expected_date": None if day is None else day.isoformat(),
            "holiday": None if day is None else holiday(day),
        }
