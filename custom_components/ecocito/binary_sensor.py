"""Binary sensor: an account went past the pickups its yearly fee includes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import Platform

from .allowance import EcocitoAllowanceEntity, async_track_allowance_entities
from .entity import account_unique_id

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import EcocitoConfigEntry

PARALLEL_UPDATES = 0

ALLOWANCE_EXCEEDED = BinarySensorEntityDescription(
    key="allowance_exceeded", translation_key="allowance_exceeded"
)


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
        lambda state, allowance: [ALLOWANCE_EXCEEDED.key],
        lambda account_id, _key: EcocitoAllowanceExceeded(
            coordinator, account_id, ALLOWANCE_EXCEEDED
        ),
        lambda account_id, key: account_unique_id(coordinator.portal, account_id, key),
    )


class EcocitoAllowanceExceeded(EcocitoAllowanceEntity, BinarySensorEntity):
    """On once this year's pickups of a counted waste type exceed the included ones."""

    @property
    def is_on(self) -> bool | None:
        """Return whether an extra pickup has been charged this year."""
        return None if (use := self.allowance_use) is None else use.exceeded

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the extra pickups so far, all counted waste types together."""
        if (use := self.allowance_use) is None:
            return None
        return {"extra_pickups": sum(use.extra.values())}
