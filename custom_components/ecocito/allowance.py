"""The pay-as-you-throw allowance: pickups included in the yearly fee, and the extras.

Most collectivités include a number of pickups per year in the fee (often for the
residual-waste bin only) and charge each extra one. The options keep, per account:

    {"allowances": {"<account id>": {"included": {"<waste type id>": 12}, "price": 3.5,
                                     "borne_included": {"<waste type id>": 52},
                                     "borne_price": 0.5}}}

Where residents open bornes with a badge, the openings are counted the same way, per
waste type, with a price per extra opening. A waste type without a number is not counted. The figures below are this year's
(1 January, portal time); the entities exist only for accounts with an allowance and
follow the options without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

from .const import (
    CONF_ALLOWANCES,
    CONF_BORNE_INCLUDED,
    CONF_BORNE_PRICE,
    CONF_INCLUDED,
    CONF_PRICE,
    DOMAIN,
)
from .entity import EcocitoAccountEntity, async_add_entities_as_they_appear

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from homeassistant.helpers.entity import Entity
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import AccountState, EcocitoConfigEntry, EcocitoCoordinator, EcocitoData

MAX_INCLUDED: Final = 365
MAX_BORNE_INCLUDED: Final = 999
MAX_PRICE: Final = 1000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowance:
    """What the fee of one account includes, and the price of an extra pickup."""

    included: dict[int, int]
    """Pickups included per year, per counted waste type."""
    price: float | None
    """Euros per extra pickup; None when unknown."""
    borne_included: dict[int, int] = field(default_factory=dict)
    """Borne openings included per year, per counted waste type."""
    borne_price: float | None = None
    """Euros per extra borne opening; None when unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceUse:
    """How much of an allowance this year's pickups use."""

    used: dict[int, int]
    remaining: dict[int, int]
    extra: dict[int, int]
    borne_remaining: dict[int, int]
    borne_extra: dict[int, int]
    cost: float | None
    """Extra pickups and borne openings so far times their prices (None without a price)."""

    @property
    def exceeded(self) -> bool:
        """Return whether any counted waste type went past its included pickups."""
        return any(self.extra.values())


def _price(stored: Mapping[str, Any], key: str) -> float | None:
    return None if (price := stored.get(key)) is None else float(price)


def _counts(stored: Mapping[str, Any], key: str) -> dict[int, int]:
    return {int(type_id): int(count) for type_id, count in (stored.get(key) or {}).items()}


def allowances(options: Mapping[str, Any]) -> dict[int, Allowance]:
    """Return the allowances stored in the entry's options, by account."""
    found: dict[int, Allowance] = {}
    for account_id, stored in (options.get(CONF_ALLOWANCES) or {}).items():
        included = _counts(stored, CONF_INCLUDED)
        borne_included = _counts(stored, CONF_BORNE_INCLUDED)
        if included or borne_included:
            found[int(account_id)] = Allowance(
                included=included,
                price=_price(stored, CONF_PRICE),
                borne_included=borne_included,
                borne_price=_price(stored, CONF_BORNE_PRICE),
            )
    return found


def store_allowance(
    options: Mapping[str, Any], account_id: int, allowance: Allowance | None
) -> dict[str, Any]:
    """Return the options with one account's allowance set (or removed for None)."""
    stored = dict(options.get(CONF_ALLOWANCES) or {})
    if allowance is None or not (allowance.included or allowance.borne_included):
        stored.pop(str(account_id), None)
    else:
        stored[str(account_id)] = {
            CONF_INCLUDED: {str(key): value for key, value in sorted(allowance.included.items())},
            CONF_PRICE: allowance.price,
        }
        if allowance.borne_included:
            stored[str(account_id)] |= {
                CONF_BORNE_INCLUDED: {
                    str(key): value for key, value in sorted(allowance.borne_included.items())
                },
                CONF_BORNE_PRICE: allowance.borne_price,
            }
    return {**options, CONF_ALLOWANCES: stored}


def use_of_allowance(state: AccountState, allowance: Allowance) -> AllowanceUse:
    """Work out this year's use of an allowance from the account's pickups and openings."""
    used = {
        waste_type: len(state.pickups_of(waste_type)) for waste_type in sorted(allowance.included)
    }
    remaining = {key: max(allowance.included[key] - count, 0) for key, count in used.items()}
    extra = {key: max(count - allowance.included[key], 0) for key, count in used.items()}
    openings = {key: state.openings(key) for key in sorted(allowance.borne_included)}
    borne_remaining = {
        key: max(allowance.borne_included[key] - count, 0) for key, count in openings.items()
    }
    borne_extra = {
        key: max(count - allowance.borne_included[key], 0) for key, count in openings.items()
    }
    costs = [
        sum(extras.values()) * price
        for extras, price in ((extra, allowance.price), (borne_extra, allowance.borne_price))
        if extras and price is not None
    ]
    return AllowanceUse(
        used=used,
        remaining=remaining,
        extra=extra,
        borne_remaining=borne_remaining,
        borne_extra=borne_extra,
        cost=round(sum(costs), 2) if costs else None,
    )


def account_allowance_use(
    coordinator: EcocitoCoordinator, account_id: int, waste_type_id: int | None
) -> AllowanceUse | None:
    """Return this year's use of an account's allowance (None: none, or not of the waste type).

    ``waste_type_id`` None: every counted waste type.
    """
    allowance = allowances(coordinator.config_entry.options).get(account_id)
    state = coordinator.data.accounts.get(account_id)
    if (
        allowance is None
        or state is None
        or (
            waste_type_id is not None
            and waste_type_id not in allowance.included
            and waste_type_id not in allowance.borne_included
        )
    ):
        return None
    return use_of_allowance(state, allowance)


class EcocitoAllowanceEntity(EcocitoAccountEntity):
    """An entity of an account's allowance: it follows the options as well as the polls."""

    def _state_depends_on(self) -> tuple[object, ...]:
        """Depend on the options too: they hold the allowance."""
        return (*super()._state_depends_on(), self.coordinator.config_entry.options)

    @property
    def allowance_use(self) -> AllowanceUse | None:
        """Return this year's use of the allowance (None: none, or not of this waste type)."""
        return account_allowance_use(self.coordinator, self.account_id, self.waste_type_id)

    @property
    def available(self) -> bool:
        """Return whether the account is polled and its allowance still counts this."""
        return super().available and self.allowance_use is not None


async def async_track_allowance_entities[K](
    entry: EcocitoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: str,
    keys: Callable[[AccountState, Allowance], Iterable[K]],
    build: Callable[[int, K], Entity],
    unique_id: Callable[[int, K], str],
) -> None:
    """Add allowance entities as allowances are set, remove them as they are cleared.

    The options flow triggers a coordinator update after saving. An entity whose
    allowance (or waste type) is cleared while its account is still linked is removed
    from the entity registry; the entity ID comes back, with its history, if the
    allowance is set again. Entities of an unlinked account go with its device.
    """
    coordinator = entry.runtime_data
    registry = er.async_get(coordinator.hass)

    def configured(data: EcocitoData) -> list[tuple[int, K]]:
        return [
            (account_id, key)
            for account_id, allowance in allowances(entry.options).items()
            if (state := data.accounts.get(account_id)) is not None
            for key in keys(state, allowance)
        ]

    @callback
    def forget(item: tuple[int, K]) -> None:
        account_id, key = item
        if account_id in coordinator.data.accounts and (
            entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id(account_id, key))
        ):
            registry.async_remove(entity_id)

    await async_add_entities_as_they_appear(
        entry, async_add_entities, configured, lambda item: [build(*item)], forget=forget
    )
