"""The entry's store: the part of its state kept across restarts, versioned.

The state (``state.py``) is encoded through one codec and written only when what is
kept changed; a store of an older version is migrated by the ``Store``'s own version
migration (``state.migrate``), before anything reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .state import STORAGE_MINOR_VERSION, STORAGE_VERSION, StateCodec, migrate

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .state import EntryState


class _VersionedStore(Store[dict[str, Any]]):
    """A store that migrates what an older version of the integration wrote."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        return migrate(old_major_version, old_minor_version, old_data)


def entry_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of an entry's state."""
    return _VersionedStore(
        hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", minor_version=STORAGE_MINOR_VERSION
    )


class EntryStore:
    """An entry's state in its store: loaded once, written when what is kept changed."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store of one entry."""
        self._hass = hass
        self._store = entry_store(hass, entry_id)
        self._codec = StateCodec()
        self._saved: dict[str, Any] | None = None

    async def async_load(self) -> EntryState:
        """Return what the entry kept before the restart (migrated if need be)."""
        stored = await self._store.async_load()
        state = self._codec.decode(migrate(STORAGE_VERSION, STORAGE_MINOR_VERSION, stored or {}))
        self._saved = self._codec.encode(state)
        return state

    async def async_save(self, state: EntryState) -> None:
        """Write what is kept of the state, if it changed since it was read or written.

        Encoded in the executor: an account's pickups seen are thousands of rows.
        """
        stored = await self._hass.async_add_executor_job(self._codec.encode, state)
        if stored != self._saved:
            await self._store.async_save(stored)
            self._saved = stored
