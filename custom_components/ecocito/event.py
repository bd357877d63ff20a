"""Event entities: accounts linked or unlinked, and each new pickup of an account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import EVENT_TYPE_ACCOUNT_LINKED, EVENT_TYPE_ACCOUNT_UNLINKED, EVENT_TYPE_PICKUP
from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
from .entity import EcocitoAccountEntity, EcocitoEntity, async_add_entities_as_they_appear

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .step import Told

PARALLEL_UPDATES = 0

ACCOUNTS = EventEntityDescription(
    key="accounts",
    translation_key="accounts",
    event_types=[EVENT_TYPE_ACCOUNT_LINKED, EVENT_TYPE_ACCOUNT_UNLINKED],
)
PICKUP = EventEntityDescription(
    key="pickup", translation_key="pickup", event_types=[EVENT_TYPE_PICKUP]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the login's accounts event, then a pickup event per place as places appear."""
    coordinator = entry.runtime_data
    async_add_entities([EcocitoAccountsEvent(coordinator, ACCOUNTS)])
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: data.places,
        lambda key: [EcocitoPickupEvent(coordinator, key[0], PICKUP, place=key[1])],
    )


class _ToldEvent(CoordinatorEntity[EcocitoCoordinator], EventEntity):
    """An event entity that fires what the coordinator tells, once, after the sensors wrote."""

    async def async_added_to_hass(self) -> None:
        """Listen to what the coordinator tells automations."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_told_listener(self._told))

    def _is_mine(self, told: Told) -> bool:
        raise NotImplementedError

    @callback
    def _told(self, told: Told, data: dict[str, Any]) -> None:
        """Fire one event, with the bus event's data.

        Its own state write: two events of a poll are both seen.
        """
        if told.entity_event is not None and self._is_mine(told):
            self._trigger_event(told.entity_event, data)
            self.async_write_ha_state()


class EcocitoAccountsEvent(EcocitoEntity, _ToldEvent):
    """Fires when an account is linked to the login or unlinked from it."""

    def _is_mine(self, told: Told) -> bool:
        return told.place is None


class EcocitoPickupEvent(EcocitoAccountEntity, _ToldEvent):
    """Fires for each pickup of the place never seen before."""

    def _is_mine(self, told: Told) -> bool:
        return told.place == (self.account_id, self.place)
