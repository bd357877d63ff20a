"""The base entities: identity and device of every Ecocito entity, in one place."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import UNNUMBERED_ACCOUNT_ID
from .const import DOMAIN, MANUFACTURER
from .coordinator import EcocitoCoordinator
from .devices import account_unique_id, link_to_account, place_identifier
from .models import OWN_PLACE, address_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.helpers.entity import Entity, EntityDescription
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import EcocitoConfigEntry
    from .forecast import Forecast
    from .models import AccountState, EcocitoData, PlaceKey, TypeKey


def place_name(data: EcocitoData, place: PlaceKey) -> str:
    """Return the name of a place's device: its address.

    Where another account's place has the same, its account's number tells them apart.
    """
    name = data.places[place].name
    key = address_key(name)
    shared = any(
        other[0] != place[0] and address_key(found.name) == key
        for other, found in data.places.items()
    )
    return f"{name} (N° {place[0]})" if shared else name


def login_unique_id(portal: str, entry_id: str, key: str) -> str:
    """Return the unique ID of a login's entity: its portal and entry, never the e-mail."""
    return f"{portal}_{entry_id}_{key}"


class EcocitoEntity(CoordinatorEntity[EcocitoCoordinator]):
    """An entity of the login itself (its device is the login)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: EcocitoCoordinator, description: EntityDescription) -> None:
        """Attach the entity to the login's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = login_unique_id(coordinator.portal, entry.entry_id, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer=MANUFACTURER,
            model="Identifiant Ecocito",
            configuration_url=coordinator.client.base_url,
            entry_type=DeviceEntryType.SERVICE,
        )


class EcocitoAccountEntity(CoordinatorEntity[EcocitoCoordinator]):
    """An entity of one linked account (production point), on one of its places' devices.

    The account's own place's device holds the whole account's figures too; another
    address's, that place's.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EcocitoCoordinator,
        account_id: int,
        description: EntityDescription,
        waste_type_id: int | None = None,
        place: str = OWN_PLACE,
    ) -> None:
        """Attach the entity to its place's device; name it after a waste type if given.

        A waste type's entity has a name holding the portal's label of the type
        (``{waste_type}``). The device is named after the place's address; the account
        number is its serial number.
        """
        super().__init__(coordinator)
        self.entity_description = description
        self.account_id = account_id
        self.waste_type_id = waste_type_id
        self.place = place
        self._attr_unique_id = account_unique_id(
            coordinator.portal, account_id, description.key, waste_type_id, place
        )
        if waste_type_id is not None:
            self._attr_translation_placeholders = {
                "waste_type": self.account_state.labels.get(waste_type_id, str(waste_type_id))
            }
        self._attr_device_info = DeviceInfo(
            identifiers={place_identifier(coordinator.portal, (account_id, place))},
            name=place_name(coordinator.data, (account_id, place)),
            manufacturer=MANUFACTURER,
            model="Point de production" if place == OWN_PLACE else "Adresse de collecte",
            serial_number=None if account_id == UNNUMBERED_ACCOUNT_ID else str(account_id),
            configuration_url=coordinator.client.base_url,
            entry_type=DeviceEntryType.SERVICE,
        )

    _written_from: tuple[object, ...] = ()

    @property
    def account_state(self) -> AccountState:
        """Return the account's latest data."""
        return self.coordinator.data.accounts[self.account_id]

    def _state_depends_on(self) -> tuple[object, ...]:
        """Return what the entity's state is made of, compared by identity.

        The coordinator keeps an account's previous data object when a poll changed
        nothing, so the hundreds of entities of unchanged accounts write nothing.
        """
        return (
            self.coordinator.last_update_success,
            self.coordinator.data.accounts.get(self.account_id),
        )

    async def async_added_to_hass(self) -> None:
        """Remember what the first state is made of; follow the account's own updates.

        Another place's device is made a child of the account's.
        """
        await super().async_added_to_hass()
        if self.place != OWN_PLACE and self.registry_entry and self.registry_entry.device_id:
            link_to_account(
                self.hass,
                self.registry_entry.device_id,
                self.coordinator.config_entry.entry_id,
                self.coordinator.portal,
            )
        self._written_from = self._state_depends_on()
        self.async_on_remove(
            self.coordinator.async_add_account_listener(
                self.account_id, self._handle_coordinator_update
            )
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        inputs = self._state_depends_on()
        if len(inputs) == len(self._written_from) and all(
            new is old for new, old in zip(inputs, self._written_from, strict=True)
        ):
            return
        self._written_from = inputs
        super()._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Return whether the account is still linked and the last poll succeeded."""
        return super().available and self.account_id in self.coordinator.data.accounts


class EcocitoWasteTypeEntity[T](EcocitoAccountEntity):
    """An entity of one waste type of an account, read from what the step gave of it.

    ``source`` is that: the waste type's figures, or what its rounds say today.
    """

    waste_type_id: int

    @property
    def source(self) -> T | None:
        """Return what the entity reads (None: the step gave nothing of the waste type)."""
        raise NotImplementedError

    @property
    def waste_type(self) -> str:
        """Return the portal's label of the waste type (blueprints match on it)."""
        return self.account_state.labels.get(self.waste_type_id, str(self.waste_type_id))

    def _state_depends_on(self) -> tuple[object, ...]:
        return (*super()._state_depends_on(), self.source)

    @property
    def available(self) -> bool:
        """Return whether the account still has the waste type, and the step gave of it."""
        return (
            super().available
            and self.account_state.has_waste_type(self.waste_type_id)
            and self.source is not None
        )


class EcocitoForecastEntity(EcocitoWasteTypeEntity["Forecast"]):
    """An entity of what a waste type's rounds say today (``Forecast``)."""

    @property
    def source(self) -> Forecast | None:
        """Return the waste type's forecast (None: not planned yet)."""
        return self.coordinator.data.forecasts.get(
            (self.account_id, self.place, self.waste_type_id)
        )


def place_waste_types(data: EcocitoData) -> list[TypeKey]:
    """Return a key per waste type lifted at each place: (account, place, waste type)."""
    return [
        (account_id, key, type_id)
        for (account_id, key), place in data.places.items()
        for type_id in place.waste_types
    ]


async def async_add_entities_as_they_appear[K](
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    keys: Callable[[EcocitoData], Iterable[K]],
    build: Callable[[K], Iterable[Entity]],
    *,
    forget: Callable[[K], None] | None = None,
) -> None:
    """Add entities now and after every coordinator update, for each key new.

    ``keys`` lists what should have entities (an account, a waste type, an
    allowance…); ``build`` makes the entities of one key; ``forget``, if given, is
    told of each key that disappears. A key that comes back gets new entities. At
    setup the entities are added one key at a time, giving the event loop a turn in
    between: a login with many accounts has hundreds of entities.
    """
    coordinator = entry.runtime_data
    known = list(keys(coordinator.data))
    for key in known:
        async_add_entities(build(key))
        await asyncio.sleep(0)

    @callback
    def add_new_entities() -> None:
        current = list(keys(coordinator.data))
        new = [key for key in current if key not in known]
        if forget is not None:
            for key in known:
                if key not in current:
                    forget(key)
        known[:] = current
        async_add_entities(entity for key in new for entity in build(key))

    entry.async_on_unload(coordinator.async_add_listener(add_new_entities))
