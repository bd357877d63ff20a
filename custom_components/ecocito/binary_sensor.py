"""Binary sensors: an account went past its allowance; a waste type's pickup did not come."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import Platform

from .allowance import EcocitoAllowanceEntity, async_track_allowance_entities
from .devices import account_unique_id
from .entity import (
    EcocitoForecastEntity,
    async_add_entities_as_they_appear,
    place_waste_types,
)
from .schedule import holiday

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .allowance import AllowanceUse
    from .coordinator import EcocitoConfigEntry
    from .forecast import Forecast

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EcocitoBinarySensorEntityDescription[T](BinarySensorEntityDescription):
    """A yes/no read from ``T`` (an allowance's use, a waste type's forecast), and more."""

    is_on_fn: Callable[[T], bool]
    attributes_fn: Callable[[T], dict[str, Any]]


BINARY_SENSORS: tuple[EcocitoBinarySensorEntityDescription[AllowanceUse], ...] = (
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
MISSED_PICKUP: EcocitoBinarySensorEntityDescription[Forecast] = (
    EcocitoBinarySensorEntityDescription(
        # Each account's device, one per waste type: on while a round is missed (a full read
        # confirmed it), off when it shows or the rhythm's next day begins (forecast.py). No
        # device class: its own states ("Not emptied" / "OK") say more than "Problem" would.
        key="missed_pickup",
        translation_key="waste_type_missed_pickup",
        is_on_fn=lambda found: found.missed is not None,
        attributes_fn=lambda found: {
            "expected_date": None if found.missed is None else found.missed.isoformat(),
            "holiday": None if found.missed is None else holiday(found.missed),
        },
    )
)


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
        place_waste_types,
        lambda key: [
            EcocitoForecastBinarySensor(coordinator, key[0], MISSED_PICKUP, key[2], key[1])
        ],
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

    entity_description: EcocitoBinarySensorEntityDescription[AllowanceUse]

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


class EcocitoForecastBinarySensor(EcocitoForecastEntity, BinarySensorEntity):
    """A yes/no of what a waste type's rounds say today (``Forecast``): a missed round."""

    entity_description: EcocitoBinarySensorEntityDescription[Forecast]

    @property
    def is_on(self) -> bool | None:
        """Return the yes/no of the waste type's forecast."""
        found = self.source
        return None if found is None else self.entity_description.is_on_fn(found)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the waste type's label, and what comes with the yes/no."""
        found = self.source
        more = {} if found is None else self.entity_description.attributes_fn(found)
        return {"waste_type": self.waste_type, **more}
