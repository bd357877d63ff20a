"""Event entities: accounts linked or unlinked, and each new pickup of an account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .changes import PollChanges, account_event_data, pickup_event_data
from .const import EVENT_TYPE_ACCOUNT_LINKED, EVENT_TYPE_ACCOUNT_UNLINKED, EVENT_TYPE_PICKUP
from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
from .entity import EcocitoAccountEntity, EcocitoEntity, async_add_entities_as_they_appear

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

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
    """Add the login's accounts event, then a pickup event per account as they appear."""
    coordinator = entry.runtime_data
    async_add_entities([EcocitoAccountsEvent(coordinator, ACCOUNTS)])
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: data.accounts,
        lambda account_id: [EcocitoPickupEvent(coordinator, account_id, PICKUP)],
    )


class _OncePerPoll(CoordinatorEntity[EcocitoCoordinator], EventEntity):
    """An event entity that fires what each poll brought, once.

    The coordinator's listeners also run when the select changes the active account:
    the poll number tells a new poll from that.
    """

    _last_poll: int | None = None

    async def async_added_to_hass(self) -> None:
        """Fire what the poll before the entity existed brought: the setup's first poll.

        It holds only what was never seen (a pickup published while Home Assistant was
        stopped, an unlinking confirmed after a restart), never history; the bus had it
        too. An entity added again (its entity ID changed) fires nothing again.
        """
        await super().async_added_to_hass()
        changes = self.coordinator.changes
        if self._last_poll is None:
            self._last_poll = changes.poll
            self._fire(changes)

    @callback
    def _handle_coordinator_update(self) -> None:
        changes = self.coordinator.changes
        if changes.poll != self._last_poll:
            self._last_poll = changes.poll
            self._fire(changes)
        super()._handle_coordinator_update()

    def _fire(self, changes: PollChanges) -> None:
        raise NotImplementedError

    def _trigger(self, event_type: str, data: dict[str, Any]) -> None:
        """Fire one event: its own state write, so two events of a poll are both seen."""
        self._trigger_event(event_type, data)
        self.async_write_ha_state()


class EcocitoAccountsEvent(EcocitoEntity, _OncePerPoll):
    """Fires when an account is linked to the login or unlinked from it."""

    def _fire(self, changes: PollChanges) -> None:
        entry_id = self.coordinator.config_entry.entry_id
        for account in changes.linked:
            self._trigger(EVENT_TYPE_ACCOUNT_LINKED, account_event_data(entry_id, account))
        for account in changes.unlinked:
            self._trigger(EVENT_TYPE_ACCOUNT_UNLINKED, account_event_data(entry_id, account))


class EcocitoPickupEvent(EcocitoAccountEntity, _OncePerPoll):
    """Fires for each pickup of the account that is new since the previous poll."""

    def _fire(self, changes: PollChanges) -> None:
        entry_id = self.coordinator.config_entry.entry_id
        for pickup in changes.new_pickups.get(self.account_id, []):
            self._trigger(
                EVENT_TYPE_PICKUP,
                pickup_event_data(
                    entry_id, self.account_state, pickup, changes.anomalies.get(pickup)
                ),
            )
