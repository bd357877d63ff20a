"""Sensors: per account and waste type this year, the active account's totals, and allowances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum, auto
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform, UnitOfMass

from .allowance import AllowanceUse, EcocitoAllowanceEntity, async_track_allowance_entities
from .api import PORTAL_TZ
from .devices import account_unique_id
from .entity import (
    EcocitoAccountEntity,
    EcocitoEntity,
    EcocitoForecastEntity,
    EcocitoWasteTypeEntity,
    async_add_entities_as_they_appear,
    place_waste_types,
)
from .forecast import Forecast, describe
from .models import AccountState, WasteTypeFigures
from .waste import waste_type_icon

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .allowance import Allowance
    from .coordinator import EcocitoConfigEntry, EcocitoCoordinator

PARALLEL_UPDATES = 0


class Scope(StrEnum):
    """Which device a sensor is on, and what it counts."""

    LOGIN = auto()
    """The login's device."""
    ACTIVE_ACCOUNT = auto()
    """The login's device: the account chosen with the select, every waste type together."""
    ACCOUNT = auto()
    """Each account's device."""
    WASTE_TYPE = auto()
    """Each account's device, one per waste type."""
    BORNE = auto()
    """Each account's device, one per waste type whose bornes the badge opened."""
    ALLOWANCE = auto()
    """Each account with an allowance, one per counted waste type."""
    ALLOWANCE_TOTAL = auto()
    """Each account with an allowance, all counted waste types (and visits) together."""
    VISIT_QUOTA = auto()
    """Each account whose allowance counts recycling-centre visits."""
    BORNE_ALLOWANCE = auto()
    """Each account with a borne allowance, one per counted waste type."""


type Figure = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class EcocitoSensorEntityDescription[T](SensorEntityDescription):
    """A sensor: where it is, and how its figure is read from ``T``.

    ``T`` is what the sensor reads: the coordinator (the login's sensors), an
    account's data (``AccountState``), the use of its allowance (``AllowanceUse``), or
    what a waste type's rounds say (``Forecast``). ``value_fn`` gets it, the sensor's
    waste type (None: every type, or none) and the data's day (portal time).
    """

    scope: Scope
    value_fn: Callable[[T, int | None, date], Figure]
    previous_years_fn: Callable[[T, int | None], dict[str, Any]] | None = None
    """The same figure for each past year kept by the options, as an attribute."""
    attributes_fn: Callable[[T, str], dict[str, Any]] | None = None
    """What comes with the figure; it gets the server's language."""
    monthly: bool = False
    """A ``TOTAL`` that starts again on the 1st of each month (else on 1 January)."""
    icon_of_waste_type: bool = False
    """Shown with its waste type's icon (a placeholder cannot vary icons.json's)."""


type AccountDescription = EcocitoSensorEntityDescription[AccountState]
type AllowanceDescription = EcocitoSensorEntityDescription[AllowanceUse]


def _this_month(state: AccountState, waste_type: int | None, today: date) -> int | None:
    """Return this month's borne openings (portal time); 0 once the data's year is over.

    None (unknown) when the portal gave the year's total alone: no month to count in.
    """
    last = state.drop_offs_of(waste_type or 0)
    if last and last[-1].year != today.year:
        return 0
    if last and all(month.month is None for month in last):
        return None
    return state.openings(waste_type, today.month)


LOGIN_SENSORS: tuple[EcocitoSensorEntityDescription[EcocitoCoordinator], ...] = (
    EcocitoSensorEntityDescription(
        key="linked_accounts",
        translation_key="linked_accounts",
        scope=Scope.LOGIN,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda coordinator, _, _day: len(coordinator.data.accounts),
    ),
    EcocitoSensorEntityDescription(
        # When the integration will next ask the portal on its own (unknown: polling is off).
        key="next_poll",
        translation_key="next_poll",
        scope=Scope.LOGIN,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator, _, _day: coordinator.next_poll,
    ),
)
ACCOUNT_SENSORS: tuple[AccountDescription, ...] = (
    EcocitoSensorEntityDescription(
        key="pickups_active",
        translation_key="active_pickups",
        scope=Scope.ACTIVE_ACCOUNT,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda state, _, _day: state.pickup_count(None),
    ),
    EcocitoSensorEntityDescription(
        key="weight_active",
        translation_key="active_weight",
        scope=Scope.ACTIVE_ACCOUNT,
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=1,
        value_fn=lambda state, _, _day: state.pickup_weight(None),
    ),
    EcocitoSensorEntityDescription(
        key="last_pickup_active",
        translation_key="active_last_pickup",
        scope=Scope.ACTIVE_ACCOUNT,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state, _, _day: state.last_pickup_date(None),
    ),
    EcocitoSensorEntityDescription(
        key="visits_active",
        translation_key="active_visits",
        scope=Scope.ACTIVE_ACCOUNT,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda state, _, _day: state.visit_count,
    ),
    EcocitoSensorEntityDescription(
        key="visits",
        translation_key="visits",
        scope=Scope.ACCOUNT,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda state, _, _day: state.visit_count,
        previous_years_fn=lambda state, _: state.visits_per_year(),
    ),
    EcocitoSensorEntityDescription(
        key="last_visit",
        translation_key="last_visit",
        scope=Scope.ACCOUNT,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state, _, _day: state.last_visit_date,
    ),
    EcocitoSensorEntityDescription(
        key="borne_openings_month",
        translation_key="waste_type_borne_openings_month",
        scope=Scope.BORNE,
        state_class=SensorStateClass.TOTAL,
        monthly=True,
        value_fn=_this_month,
    ),
    EcocitoSensorEntityDescription(
        key="borne_openings",
        translation_key="waste_type_borne_openings",
        scope=Scope.BORNE,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda state, waste_type, _day: state.openings(waste_type),
        previous_years_fn=AccountState.openings_per_year,
    ),
)
WASTE_TYPE_SENSORS: tuple[EcocitoSensorEntityDescription[WasteTypeFigures], ...] = (
    EcocitoSensorEntityDescription(
        key="pickups",
        translation_key="waste_type_pickups",
        scope=Scope.WASTE_TYPE,
        icon_of_waste_type=True,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda figures, _, _day: figures.count,
        previous_years_fn=lambda figures, _: dict(figures.counts_before),
    ),
    EcocitoSensorEntityDescription(
        key="weight",
        translation_key="waste_type_weight",
        scope=Scope.WASTE_TYPE,
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=1,
        value_fn=lambda figures, _, _day: figures.weight,
        previous_years_fn=lambda figures, _: dict(figures.weights_before),
    ),
    EcocitoSensorEntityDescription(
        key="last_pickup",
        translation_key="waste_type_last_pickup",
        scope=Scope.WASTE_TYPE,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda figures, _, _day: figures.last.date if figures.last else None,
    ),
    EcocitoSensorEntityDescription(
        key="last_pickup_weight",
        translation_key="waste_type_last_pickup_weight",
        scope=Scope.WASTE_TYPE,
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        suggested_display_precision=1,
        value_fn=lambda figures, _, _day: figures.last.weight if figures.last else None,
    ),
    EcocitoSensorEntityDescription(
        # What the collectivité asks for when a pickup is disputed.
        key="bin_number",
        translation_key="waste_type_bin_number",
        scope=Scope.WASTE_TYPE,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda figures, _, _day: figures.bin_number,
    ),
    EcocitoSensorEntityDescription(
        key="chip_number",
        translation_key="waste_type_chip_number",
        scope=Scope.WASTE_TYPE,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda figures, _, _day: figures.chip_number,
    ),
)
ALLOWANCE_SENSORS: tuple[AllowanceDescription, ...] = (
    EcocitoSensorEntityDescription(
        key="allowance_remaining",
        translation_key="waste_type_allowance_remaining",
        scope=Scope.ALLOWANCE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, waste_type, _day: use.remaining.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="allowance_extra",
        translation_key="waste_type_allowance_extra",
        scope=Scope.ALLOWANCE,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda use, waste_type, _day: use.extra.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="borne_allowance_remaining",
        translation_key="waste_type_borne_allowance_remaining",
        scope=Scope.BORNE_ALLOWANCE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, waste_type, _day: use.borne_remaining.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="borne_allowance_extra",
        translation_key="waste_type_borne_allowance_extra",
        scope=Scope.BORNE_ALLOWANCE,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda use, waste_type, _day: use.borne_extra.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="borne_allowance_projected",
        translation_key="waste_type_borne_allowance_projected",
        scope=Scope.BORNE_ALLOWANCE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, waste_type, _day: use.borne_projected.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="borne_allowance_projected_extra",
        translation_key="waste_type_borne_allowance_projected_extra",
        scope=Scope.BORNE_ALLOWANCE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, waste_type, _day: use.borne_projected_extra.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="allowance_cost",
        translation_key="allowance_cost",
        scope=Scope.ALLOWANCE_TOTAL,
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda use, _, _day: use.cost,
    ),
    EcocitoSensorEntityDescription(
        # At the year's pace so far (allowance.year_end_projection); unknown until 7 January.
        key="allowance_projected",
        translation_key="waste_type_allowance_projected",
        scope=Scope.ALLOWANCE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, waste_type, _day: use.projected.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="allowance_projected_extra",
        translation_key="waste_type_allowance_projected_extra",
        scope=Scope.ALLOWANCE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, waste_type, _day: use.projected_extra.get(waste_type or 0),
    ),
    EcocitoSensorEntityDescription(
        key="allowance_projected_cost",
        translation_key="allowance_projected_cost",
        scope=Scope.ALLOWANCE_TOTAL,
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        suggested_display_precision=2,
        value_fn=lambda use, _, _day: use.projected_cost,
    ),
    EcocitoSensorEntityDescription(
        key="visit_quota_remaining",
        translation_key="visit_quota_remaining",
        scope=Scope.VISIT_QUOTA,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda use, _, _day: use.visits_remaining,
    ),
    EcocitoSensorEntityDescription(
        key="visit_quota_extra",
        translation_key="visit_quota_extra",
        scope=Scope.VISIT_QUOTA,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda use, _, _day: use.visits_extra,
    ),
    EcocitoSensorEntityDescription(
        key="visit_quota_cost",
        translation_key="visit_quota_cost",
        scope=Scope.VISIT_QUOTA,
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda use, _, _day: use.visits_cost,
    ),
)


def _of_scope[T](
    descriptions: tuple[EcocitoSensorEntityDescription[T], ...], *scopes: Scope
) -> tuple[EcocitoSensorEntityDescription[T], ...]:
    return tuple(description for description in descriptions if description.scope in scopes)


def _next_pickup_attributes(found: Forecast, language: str) -> dict[str, Any]:
    """Return the rhythm in words (the server's language), what it rests on, the days."""
    if found.rhythm is None or found.day is None:
        return {"reason": found.reason, "lifts": found.lifts}
    return {
        "rhythm": describe(found.rhythm, language),
        "lifts": found.lifts,
        "confidence": found.confidence,
        "days_until": found.days_until,
        "holiday": found.holiday,
    }


NEXT_PICKUP: EcocitoSensorEntityDescription[Forecast] = EcocitoSensorEntityDescription(
    # An estimate from the waste type's rounds (forecast.py): unknown without a rhythm.
    key="next_pickup",
    translation_key="waste_type_next_pickup",
    scope=Scope.WASTE_TYPE,
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=lambda found, _, _day: found.at,
    attributes_fn=_next_pickup_attributes,
)

ALLOWANCE_BY_KEY = {description.key: description for description in ALLOWANCE_SENSORS}


def _allowance_keys(_state: AccountState, allowance: Allowance) -> list[tuple[str, int | None]]:
    """Return what an allowance has sensors for: (description key, waste type or None)."""
    of_scope: dict[Scope, list[int | None]] = {
        Scope.ALLOWANCE: [*sorted(allowance.included)],
        Scope.BORNE_ALLOWANCE: [*sorted(allowance.borne_included)],
        Scope.ALLOWANCE_TOTAL: [None],
        Scope.VISIT_QUOTA: [] if allowance.visits is None else [None],
    }
    return [
        (description.key, waste_type)
        for description in ALLOWANCE_SENSORS
        for waste_type in of_scope[description.scope]
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
            *(EcocitoLoginSensor(coordinator, d) for d in LOGIN_SENSORS),
            *(
                EcocitoActiveAccountSensor(coordinator, d)
                for d in _of_scope(ACCOUNT_SENSORS, Scope.ACTIVE_ACCOUNT)
            ),
        ]
    )
    account_sensors = _of_scope(ACCOUNT_SENSORS, Scope.ACCOUNT)
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: data.accounts,
        lambda account_id: (
            EcocitoAccountSensor(coordinator, account_id, description)
            for description in account_sensors
        ),
    )
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        place_waste_types,
        lambda key: [
            *(
                EcocitoFiguresSensor(coordinator, key[0], description, key[2], key[1])
                for description in WASTE_TYPE_SENSORS
            ),
            EcocitoForecastSensor(coordinator, key[0], NEXT_PICKUP, key[2], key[1]),
        ],
    )
    borne_sensors = _of_scope(ACCOUNT_SENSORS, Scope.BORNE)
    await async_add_entities_as_they_appear(
        entry,
        async_add_entities,
        lambda data: [
            (account_id, waste_type)
            for account_id, state in data.accounts.items()
            for waste_type in state.borne_types
        ],
        lambda key: (
            EcocitoAccountSensor(coordinator, key[0], description, key[1])
            for description in borne_sensors
        ),
    )
    await async_track_allowance_entities(
        entry,
        async_add_entities,
        Platform.SENSOR,
        _allowance_keys,
        lambda account_id, key: EcocitoAllowanceSensor(
            coordinator, account_id, ALLOWANCE_BY_KEY[key[0]], key[1]
        ),
        lambda account_id, key: account_unique_id(coordinator.portal, account_id, *key),
    )


class _YearlySensor[T](SensorEntity):
    """A sensor whose yearly totals start again on 1 January, portal time."""

    coordinator: EcocitoCoordinator
    entity_description: EcocitoSensorEntityDescription[T]

    @property
    def last_reset(self) -> datetime | None:
        """Return when the yearly (or monthly) total started."""
        if self.entity_description.state_class is not SensorStateClass.TOTAL:
            return None
        if self.entity_description.monthly:
            today = self.coordinator.data.today
            return datetime(today.year, today.month, 1, tzinfo=PORTAL_TZ)
        return datetime(self.coordinator.data.year, 1, 1, tzinfo=PORTAL_TZ)


class EcocitoAccountSensor(EcocitoAccountEntity, _YearlySensor[AccountState]):
    """A figure of one account's year: its visits, or its borne openings of a waste type."""

    entity_description: AccountDescription

    def _state_depends_on(self) -> tuple[object, ...]:
        """Depend on the day too for a monthly figure: it starts again when the month turns."""
        inputs = super()._state_depends_on()
        return (*inputs, self.coordinator.data.today) if self.entity_description.monthly else inputs

    @property
    def available(self) -> bool:
        """Return whether the account (and its waste type) is still there."""
        return super().available and (
            self.waste_type_id is None or self.account_state.has_waste_type(self.waste_type_id)
        )

    @property
    def native_value(self) -> Figure:
        """Return the figure for this year."""
        return self.entity_description.value_fn(
            self.account_state, self.waste_type_id, self.coordinator.data.today
        )

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the same figure for the past years kept by the options."""
        if (previous := self.entity_description.previous_years_fn) is None:
            return None
        return {"previous_years": previous(self.account_state, self.waste_type_id)}


class _WasteTypeSensor[T](EcocitoWasteTypeEntity[T], _YearlySensor[T]):
    """A figure of one waste type of an account, read from what the step gave of it."""

    entity_description: EcocitoSensorEntityDescription[T]

    @property
    def native_value(self) -> Figure:
        """Return the waste type's figure."""
        if (source := self.source) is None:
            return None
        return self.entity_description.value_fn(
            source, self.waste_type_id, self.coordinator.data.today
        )

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the waste type's label, and what comes with the figure."""
        source, description = self.source, self.entity_description
        attributes: dict[str, Any] = {}
        if source is not None and description.previous_years_fn is not None:
            attributes["previous_years"] = description.previous_years_fn(source, self.waste_type_id)
        if source is not None and description.attributes_fn is not None:
            attributes |= {
                "waste_type": self.waste_type,
                **description.attributes_fn(source, self.hass.config.language),
            }
        return attributes


class EcocitoFiguresSensor(_WasteTypeSensor[WasteTypeFigures]):
    """A figure of one waste type's pickups: this year's count, weight, last pickup."""

    def __init__(
        self,
        coordinator: EcocitoCoordinator,
        account_id: int,
        description: EcocitoSensorEntityDescription[WasteTypeFigures],
        waste_type_id: int,
        place: str,
    ) -> None:
        """Attach the sensor to its place; give it its waste type's icon if it shows one."""
        super().__init__(coordinator, account_id, description, waste_type_id, place)
        if description.icon_of_waste_type:
            self._attr_icon = waste_type_icon(self.waste_type)

    @property
    def source(self) -> WasteTypeFigures | None:
        """Return the waste type's figures."""
        return self.coordinator.data.figures.get((self.account_id, self.place, self.waste_type_id))


class EcocitoForecastSensor(EcocitoForecastEntity, _WasteTypeSensor[Forecast]):
    """What a waste type's rounds say today (``Forecast``): its next expected pickup."""


class EcocitoLoginSensor(EcocitoEntity, SensorEntity):
    """A figure of the login: its linked accounts, its next poll."""

    entity_description: EcocitoSensorEntityDescription[EcocitoCoordinator]

    @property
    def native_value(self) -> Figure:
        """Return the login's figure."""
        return self.entity_description.value_fn(self.coordinator, None, self.coordinator.data.today)


class EcocitoActiveAccountSensor(EcocitoEntity, _YearlySensor[AccountState]):
    """A figure of the account chosen with the select, every waste type together."""

    entity_description: AccountDescription

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
    def native_value(self) -> Figure:
        """Return the chosen account's figure for this year."""
        state = self.active_state
        if state is None:
            return None
        return self.entity_description.value_fn(state, None, self.coordinator.data.today)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return which account the figure is of (asked only while it is available)."""
        state = self.active_state
        return (
            None
            if state is None
            else {"account_id": state.account.id, "account": state.account.label}
        )


class EcocitoAllowanceSensor(EcocitoAllowanceEntity, _YearlySensor[AllowanceUse]):
    """How much of an account's allowance is used this year: per waste type, or in euros."""

    entity_description: AllowanceDescription

    @property
    def native_value(self) -> Figure:
        """Return this year's figure."""
        use = self.allowance_use
        if use is None:
            return None
        return self.entity_description.value_fn(
            use, self.waste_type_id, self.coordinator.data.today
        )
