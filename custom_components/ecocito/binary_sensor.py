"""Binary sensor: an account went past the pickups or visits its yearly fee includes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import Platform

from .allowance import EcocitoAllowanceEntity, async_track_allowance_entities
from .entity import account_unique_id

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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an "allowance exceeded" sensor to each account that has an allowance."""
    coordinator = entry.runtime_data
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
