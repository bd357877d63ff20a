"""The active-account select: which linked account the dashboard sensors follow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.helpers.restore_state import RestoreEntity

from .entity import EcocitoEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import EcocitoConfigEntry

PARALLEL_UPDATES = 1

ATTR_ACCOUNT_ID = "account_id"

ACTIVE_ACCOUNT = SelectEntityDescription(key="active_account", translation_key="active_account")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the active-account select."""
    async_add_entities([EcocitoActiveAccountSelect(entry.runtime_data, ACTIVE_ACCOUNT)])


class EcocitoActiveAccountSelect(EcocitoEntity, SelectEntity, RestoreEntity):
    """Choose the active account among the linked ones; the choice survives restarts.

    Choosing is local to Home Assistant: it asks nothing of the portal, it only tells
    the active-account sensors which account to show.
    """

    async def async_added_to_hass(self) -> None:
        """Restore the account chosen before the restart, if it is still linked."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None:
            saved = last.attributes.get(ATTR_ACCOUNT_ID)
            if isinstance(saved, int) and saved in self.coordinator.data.accounts:
                self.coordinator.active_account_id = saved
                self.coordinator.async_update_listeners()

    @property
    def options(self) -> list[str]:
        """Return the labels of the linked accounts."""
        return [state.account.label for state in self.coordinator.data.accounts.values()]

    @property
    def current_option(self) -> str | None:
        """Return the label of the chosen account."""
        chosen = self.coordinator.data.accounts.get(self.coordinator.active_account_id or 0)
        return None if chosen is None else chosen.account.label

    @property
    def extra_state_attributes(self) -> dict[str, int | None]:
        """Return the chosen account's id (what is restored after a restart)."""
        return {ATTR_ACCOUNT_ID: self.coordinator.active_account_id}

    async def async_select_option(self, option: str) -> None:
        """Choose an account by its label; the sensors follow at once."""
        self.coordinator.active_account_id = next(
            key
            for key, state in self.coordinator.data.accounts.items()
            if state.account.label == option
        )
        self.coordinator.async_update_listeners()
