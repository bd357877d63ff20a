"""The base entities: identity and device of every Ecocito entity, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import AccountState, EcocitoCoordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


class EcocitoEntity(CoordinatorEntity[EcocitoCoordinator]):
    """An entity of the login itself (its device is the login)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: EcocitoCoordinator, description: EntityDescription) -> None:
        """Attach the entity to the login's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=MANUFACTURER,
            model="Identifiant Ecocito",
            configuration_url=coordinator.client.base_url,
            entry_type=DeviceEntryType.SERVICE,
        )


class EcocitoAccountEntity(CoordinatorEntity[EcocitoCoordinator]):
    """An entity of one linked account (production point); its device is the account."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EcocitoCoordinator,
        account_id: int,
        description: EntityDescription,
        unique_suffix: str = "",
    ) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.account_id = account_id
        self._attr_unique_id = f"{account_id}_{description.key}{unique_suffix}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(account_id))},
            name=self.account_state.account.label,
            manufacturer=MANUFACTURER,
            model="Point de production",
            configuration_url=coordinator.client.base_url,
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def account_state(self) -> AccountState:
        """Return the account's latest data."""
        return self.coordinator.data.accounts[self.account_id]

    @property
    def available(self) -> bool:
        """Return whether the account is still linked and the last poll succeeded."""
        return super().available and self.account_id in self.coordinator.data.accounts
