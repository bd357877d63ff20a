"""Sensors: per account and waste type this year, the active account's totals, and allowances."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform, UnitOfMass

from .allowance import EcocitoAllowanceEntity, async_track_allowance_entities
from .api import PORTAL_TZ, Pickup, Visit
from .entity import (
    EcocitoAccountEntity,
    EcocitoEntity,
    account_unique_id,
    async_add_entities_as_they_appear,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .allowance import Allowance, AllowanceUse
    from .coordinator import AccountState, EcocitoConfigEntry, EcocitoCoordinator

PARALLEL_UPDATES = 0


def _weight(pickups: Iterable[Pickup]) -> float:
    return round(sum(p.weight or 0.0 for p in pickups), 3)


def _per_year[T: (Pickup, Visit)](
    items: Iterable[T], figure: Callable[[list[T]], Any]
) -> dict[str, Any]:
    """Return a figure for each year of ``items``, most recent year first."""
    years: defaultdict[int, list[T]] = defaultdict(list)
    for item in items:
        years[item.date.year].append(item)
    return {str(year): figure(years[year]) for year in sorted(years, reverse=True)}


@dataclass(frozen=True, kw_only=True)
class EcocitoSensorDescription(SensorEntityDescription):
    """A figure of an account's year, for one waste type or all (``None``)."""

    value_fn: Callable[[AccountState, int | None], StateType | datetime]
    previous_years_fn: Callable[[AccountState, int | None], dict[str, Any]] | None = None
    """The same figure for each past year kept by the options, as an attribute."""


PICKUPS = EcocitoSensorDescription(
    key="pickups",
    translation_key="pickups",
    state_class=SensorStateClass.TOTAL,
    value_fn=lambda state, waste_type: len(state.pickups_of(waste_type)),
    previous_years_fn=lambda state, waste_type: _per_year(
        state.pickups_of(waste_type, past=True), len
    ),
)
WEIGHT = EcocitoSensorDescription(
    key="weight",
    translation_key="weight",
    device_class=SensorDeviceClass.WEIGHT,
    native_unit_of_measurement=UnitOfMass.KILOGRAMS,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=1,
    value_fn=lambda state, waste_type: _weight(state.pickups_of(waste_type)),
    previous_years_fn=lambda state, waste_type: _per_year(
        state.pickups_of(waste_type, past=True), _weight
    ),
)
LAST_PICKUP = EcocitoSensorDescription(
    key="last_pickup",
    translation_key="last_pickup",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda state, waste_type: (
        pickups[-1].date if (pickups := state.pickups_of(waste_type)) else None
    ),
)
LAST_PICKUP_WEIGHT = EcocitoSensorDescription(
    key="last_pickup_weight",
    translation_key="last_pickup_weight",
    device_class=SensorDeviceClass.WEIGHT,
    native_unit_of_measurement=UnitOfMass.KILOGRAMS,
    suggested_display_precision=1,
    value_fn=lambda state, waste_type: (
        pickups[-1].weight if (pickups := state.pickups_of(waste_type)) else None
    ),
)
VISITS = EcocitoSensorDescription(
    key="visits",
    translation_key="visits",
    state_class=SensorStateClass.TOTAL,
    value_fn=lambda state, _: len(state.visits),
    previous_years_fn=lambda state, _: _per_year(state.past_visits, len),
)
LAST_VISIT = EcocitoSensorDescription(
    key="last_visit",
    translation_key="last_visit",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda state, _: state.visits[-1].date if state.visits else None,
)

WASTE_TYPE_SENSORS = (PICKUPS, WEIGHT, LAST_PICKUP, LAST_PICKUP_WEIGHT)
"""Per account and waste type."""
ACCOUNT_SENSORS = (VISITS, LAST_VISIT)
"""Per account."""
ACTIVE_ACCOUNT_SENSORS = (PICKUPS, WEIGHT, LAST_PICKUP, VISITS)
"""On the login's device, every waste type together, for the account chosen with the select."""
LINKED_ACCOUNTS = SensorEntityDescription(
    key="linked_accounts", state_class=SensorStateClass.MEASUREMENT
)
NEXT_POLL = SensorEntityDescription(
    key="next_poll",
    translation_key="next_poll",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)
"""When the integration will next ask the portal on its own (unknown: polling is off)."""


@dataclass(frozen=True, kw_only=True)
class EcocitoAllowanceSensorDescription(SensorEntityDescription):
    """A figure of an account's allowance, for one counted waste type or all (``None``)."""

    value_fn: Callable[[AllowanceUse, int | None], StateType]
    per_waste_type: bool = True


ALLOWANCE_REMAINING = EcocitoAllowanceSensorDescription(
    key="allowance_remaining",
    translation_key="allowance_remaining",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda use, waste_type: use.remaining.get(waste_type or 0),
)
ALLOWANCE_EXTRA = EcocitoAllowanceSensorDescription(
    key="allowance_extra",
    translation_key="allowance_extra",
    state_class=SensorStateClass.TOTAL,
    value_fn=lambda use, waste_type: use.extra.get(waste_type or 0),
)
ALLOWANCE_COST = EcocitoAllowanceSensorDescription(
    key="allowance_cost",
    translation_key="allowance_cost",
    device_class=SensorDeviceClass.MONETARY,
    native_unit_of_measurement="EUR",
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    per_waste_type=False,
    value_fn=lambda use, _: use.cost,
)
ALLOWANCE_SENSORS = {
    description.key: description
    for description in (ALLOWANCE_REMAINING, ALLOWANCE_EXTRA, ALLOWANCE_COST)
}
"""Per account with an allowance: per counted waste type, and the cost of the extras."""


def _allowance_keys(_state: AccountState, allowance: Allowance) -> list[tuple[str, int | None]]:
    """Return what an allowance has sensors for: (description key, waste type or None)."""
    counted: list[int | None] = [*sorted(allowance.included)]
    return [
        (key, waste_type)
        for key, description in ALLOWANCE_SENSORS.items()
        for waste_type in (counted if description.per_waste_type else [None])
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the login's sensors, then each account's as accounts and waste types appear."""
    coordinator = entry.runtime_data
    async_add_entities(
        [
            EcocitoLinkedAccountsSensor(coordinator, LINKED_ACCOUNTS),
            EcocitoNextPollSensor(coordinator, NEXT_POLL),
            *(EcocitoActiveAccountSensor(coordinator, d) for d in ACTIVE_ACCOUNT_SENSORS),
        ]
    )
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: [
            (account_id, waste_type)
            for account_id, state in data.accounts.items()
            for waste_type in (None, *(t.id for t in state.waste_types))
        ],
        lambda key: (
            EcocitoAccountSensor(coordinator, key[0], description, key[1])
            for description in (ACCOUNT_SENSORS if key[1] is None else WASTE_TYPE_SENSORS)
        ),
    )
    await async_track_allowance_entities(
        entry,
        async_add_entities,
        Platform.SENSOR,
        _allowance_keys,
        lambda account_id, key: EcocitoAllowanceSensor(
            coordinator, account_id, ALLOWANCE_SENSORS[key[0]], key[1]
        ),
        lambda account_id, key: account_unique_id(coordinator.portal, account_id, *key),
    )


class _YearlySensor(SensorEntity):
    """A sensor whose yearly totals start again on 1 January, portal time."""

    entity_description: EcocitoSensorDescription
    coordinator: EcocitoCoordinator

    @property
    def last_reset(self) -> datetime | None:
        """Return when the yearly total started."""
        if self.entity_description.state_class is not SensorStateClass.TOTAL:
            return None
        return datetime(self.coordinator.data.year, 1, 1, tzinfo=PORTAL_TZ)


class EcocitoAccountSensor(EcocitoAccountEntity, _YearlySensor):
    """A figure of one account's year, for one of its waste types or for its visits."""

    @property
    def available(self) -> bool:
        """Return whether the account (and its waste type) is still there."""
        return super().available and (
            self.waste_type_id is None
            or any(t.id == self.waste_type_id for t in self.account_state.waste_types)
        )

    @property
    def native_value(self) -> StateType | datetime:
        """Return the figure for this year."""
        return self.entity_description.value_fn(self.account_state, self.waste_type_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the same figure for the past years kept by the options."""
        if (previous := self.entity_description.previous_years_fn) is None:
            return None
        return {"previous_years": previous(self.account_state, self.waste_type_id)}


class EcocitoLinkedAccountsSensor(EcocitoEntity, SensorEntity):
    """How many accounts are linked to the login."""

    _attr_translation_key = "linked_accounts"

    @property
    def native_value(self) -> int:
        """Return the number of linked accounts."""
        return len(self.coordinator.data.accounts)


class EcocitoNextPollSensor(EcocitoEntity, SensorEntity):
    """When the schedule will next ask the portal."""

    @property
    def native_value(self) -> datetime | None:
        """Return the planned poll (None while polling is off)."""
        return self.coordinator.next_poll


class EcocitoActiveAccountSensor(EcocitoEntity, _YearlySensor):
    """A figure of the account chosen with the select, every waste type together."""

    def __init__(
        self, coordinator: EcocitoCoordinator, description: EcocitoSensorDescription
    ) -> None:
        """Name the sensor from its key."""
        super().__init__(coordinator, description)
        self._attr_unique_id = f"{self._attr_unique_id}_active"
        self._attr_translation_key = f"active_{description.key}"

    @property
    def active_state(self) -> AccountState | None:
        """Return the chosen account's data, if it is still linked."""
        chosen = self.coordinator.active_account_id
        return None if chosen is None else self.coordinator.data.accounts.get(chosen)

    @property
    def available(self) -> bool:
        """Return whether an account is chosen and was polled."""
        return super().available and self.active_state is not None

    @property
    def native_value(self) -> StateType | datetime:
        """Return the chosen account's figure for this year."""
        state = self.active_state
        return None if state is None else self.entity_description.value_fn(state, None)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return which account the figure is of."""
        if (state := self.active_state) is None:
            return None
        return {"account_id": state.account.id, "account": state.account.label}


class EcocitoAllowanceSensor(EcocitoAllowanceEntity, SensorEntity):
    """How much of an account's allowance is used this year: per waste type, or in euros."""

    entity_description: EcocitoAllowanceSensorDescription

    @property
    def native_value(self) -> StateType:
        """Return this year's figure."""
        use = self.allowance_use
        return None if use is None else self.entity_description.value_fn(use, self.waste_type_id)

    @property
    def last_reset(self) -> datetime | None:
        """Return 1 January (portal time) for the yearly totals."""
        if self.entity_description.state_class is not SensorStateClass.TOTAL:
            return None
        return datetime(self.coordinator.data.year, 1, 1, tzinfo=PORTAL_TZ)
