"""The pay-as-you-throw allowance: pickups and visits included in the yearly fee, and the extras.

Most collectivités include a number of pickups per year in the fee (often for the
residual-waste bin only) and charge each extra one; many also include a number of
recycling-centre visits and charge each extra one. The options keep, per account:

    {"allowances": {"<account id>": {"included": {"<waste type id>": 12}, "price": 3.5,
                                     "visits": 26, "visit_price": 40.46,
                                     "borne_included": {"<waste type id>": 52},
                                     "borne_price": 0.5}}}

Where residents open bornes with a badge, the openings are counted the same way, per
waste type, with a price per extra opening. A waste type without a number is not
counted; without "visits", visits are not counted. The figures below are this year's
(1 January, portal time), and what they would be on 31 December at the year's pace so
far; the entities exist only for accounts with an allowance and follow the options
without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

from .const import (
    CONF_ALLOWANCES,
    CONF_BORNE_INCLUDED,
    CONF_BORNE_PRICE,
    CONF_INCLUDED,
    CONF_PRICE,
    CONF_VISIT_PRICE,
    CONF_VISITS,
    DOMAIN,
)
from .entity import EcocitoAccountEntity, async_add_entities_as_they_appear

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from homeassistant.helpers.entity import Entity
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import EcocitoConfigEntry, EcocitoCoordinator
    from .models import AccountState, EcocitoData

MAX_INCLUDED: Final = 365
MAX_BORNE_INCLUDED: Final = 999
MAX_PRICE: Final = 1000.0
PROJECTION_MIN_DAYS: Final = 7
"""Days of the year (today included) before a pace is taken: no projection until 7 January."""


def year_end_projection(count: int, today: date, year: int) -> int | None:
    """Return how many there will be by 31 December at the year's pace so far.

    The pace is the count so far over the days of ``year`` elapsed, today included
    (1 January is one day); the projection is that pace times the days in the year,
    rounded half up to a whole number, and never below the count. Before
    PROJECTION_MIN_DAYS days there is no pace yet (None): one pickup on 1 January
    would otherwise project 365. Once the year is over, the projection is the count.
    """
    first_day = date(year, 1, 1)
    days_in_year = (date(year + 1, 1, 1) - first_day).days
    elapsed = min((today - first_day).days + 1, days_in_year)
    if elapsed < PROJECTION_MIN_DAYS:
        return None
    return max(count, math.floor(count * days_in_year / elapsed + 0.5))


def _total(counts: Mapping[int, int | None]) -> int | None:
    """Return the sum of counts; None if any is unknown."""
    known = [count for count in counts.values() if count is not None]
    return sum(known) if len(known) == len(counts) else None


def _extra_cost(parts: Iterable[tuple[int | None, float | None]]) -> float | None:
    """Return the cost of (extra count, price) parts; None if a count or a price is unknown."""
    total = 0.0
    for extra, price in parts:
        if extra is None or price is None:
            return None
        total += extra * price
    return round(total, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowance:
    """What the fee of one account includes, and the prices of an extra pickup and visit."""

    included: dict[int, int]
    """Pickups included per year, per counted waste type."""
    price: float | None
    """Euros per extra pickup; None when unknown."""
    visits: int | None = None
    """Recycling-centre visits included per year; None: visits are not counted."""
    visit_price: float | None = None
    """Euros per extra visit; None when unknown."""
    borne_included: dict[int, int] = field(default_factory=dict)
    """Borne openings included per year, per counted waste type."""
    borne_price: float | None = None
    """Euros per extra borne opening; None when unknown."""

    def priced(
        self,
        pickups_extra: Mapping[int, int | None],
        visits_extra: int | None,
        borne_extra: Mapping[int, int | None],
    ) -> float | None:
        """Return the cost of extra pickups, visits and openings (None: a price or count unknown)."""
        parts: list[tuple[int | None, float | None]] = []
        if self.included:
            parts.append((_total(pickups_extra), self.price))
        if self.visits is not None:
            parts.append((visits_extra, self.visit_price))
        if self.borne_included:
            parts.append((_total(borne_extra), self.borne_price))
        return _extra_cost(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceUse:
    """How much of an allowance this year's pickups and visits use, and will by 31 December."""

    used: dict[int, int]
    remaining: dict[int, int]
    extra: dict[int, int]
    visits_remaining: int | None
    """Included visits left (None: visits are not counted)."""
    visits_extra: int | None
    visits_cost: float | None
    """Extra visits so far times their price (None: not counted, or no price)."""
    borne_remaining: dict[int, int]
    borne_extra: dict[int, int]
    cost: float | None
    """Extra pickups, visits and openings so far times their prices (None without a price)."""
    projected: dict[int, int | None]
    """Pickups expected by 31 December per counted waste type (None: too early)."""
    projected_extra: dict[int, int | None]
    borne_projected: dict[int, int | None]
    """Borne openings expected by 31 December per counted waste type (None: too early)."""
    borne_projected_extra: dict[int, int | None]
    projected_cost: float | None
    """Extra pickups, visits and openings expected by 31 December times their prices."""

    @property
    def exceeded(self) -> bool:
        """Return whether any counted pickups, visits or openings went past what is included."""
        return any(self.extra.values()) or bool(self.visits_extra) or any(self.borne_extra.values())


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
        visits = stored.get(CONF_VISITS)
        if included or borne_included or visits is not None:
            found[int(account_id)] = Allowance(
                included=included,
                price=_price(stored, CONF_PRICE),
                visits=None if visits is None else int(visits),
                visit_price=_price(stored, CONF_VISIT_PRICE),
                borne_included=borne_included,
                borne_price=_price(stored, CONF_BORNE_PRICE),
            )
    return found


def store_allowance(
    options: Mapping[str, Any], account_id: int, allowance: Allowance | None
) -> dict[str, Any]:
    """Return the options with one account's allowance set (or removed for None)."""
    stored = dict(options.get(CONF_ALLOWANCES) or {})
    if allowance is None or not (
        allowance.included or allowance.borne_included or allowance.visits is not None
    ):
        stored.pop(str(account_id), None)
    else:
        stored[str(account_id)] = {
            CONF_INCLUDED: {str(key): value for key, value in sorted(allowance.included.items())},
            CONF_PRICE: allowance.price,
        }
        if allowance.visits is not None:
            stored[str(account_id)] |= {
                CONF_VISITS: allowance.visits,
                CONF_VISIT_PRICE: allowance.visit_price,
            }
        if allowance.borne_included:
            stored[str(account_id)] |= {
                CONF_BORNE_INCLUDED: {
                    str(key): value for key, value in sorted(allowance.borne_included.items())
                },
                CONF_BORNE_PRICE: allowance.borne_price,
            }
    return {**options, CONF_ALLOWANCES: stored}


def _over(count: int, limit: int) -> int:
    """Return how far ``count`` goes over ``limit`` (0: not over)."""
    return max(count - limit, 0)


def _over_projected(count: int | None, limit: int) -> int | None:
    """Return how far a projection goes over ``limit`` (None: no projection yet)."""
    return None if count is None else _over(count, limit)


def use_of_allowance(
    state: AccountState, allowance: Allowance, today: date, year: int
) -> AllowanceUse:
    """Work out the use of an allowance in ``year`` from the pickups, visits and openings."""
    used = {
        waste_type: len(state.pickups_of(waste_type)) for waste_type in sorted(allowance.included)
    }
    remaining = {key: _over(allowance.included[key], count) for key, count in used.items()}
    extra = {key: _over(count, allowance.included[key]) for key, count in used.items()}
    projected = {key: year_end_projection(count, today, year) for key, count in used.items()}
    projected_extra = {
        key: _over_projected(count, allowance.included[key]) for key, count in projected.items()
    }
    visits_remaining = visits_extra = projected_visits_extra = None
    if allowance.visits is not None:
        visits = len(state.visits)
        visits_remaining = _over(allowance.visits, visits)
        visits_extra = _over(visits, allowance.visits)
        projected_visits_extra = _over_projected(
            year_end_projection(visits, today, year), allowance.visits
        )
    openings = {key: state.openings(key) for key in sorted(allowance.borne_included)}
    borne_remaining = {
        key: _over(allowance.borne_included[key], count) for key, count in openings.items()
    }
    borne_extra = {
        key: _over(count, allowance.borne_included[key]) for key, count in openings.items()
    }
    borne_projected = {
        key: year_end_projection(count, today, year) for key, count in openings.items()
    }
    borne_projected_extra = {
        key: _over_projected(count, allowance.borne_included[key])
        for key, count in borne_projected.items()
    }
    return AllowanceUse(
        used=used,
        remaining=remaining,
        extra=extra,
        visits_remaining=visits_remaining,
        visits_extra=visits_extra,
        visits_cost=None
        if visits_extra is None
        else _extra_cost([(visits_extra, allowance.visit_price)]),
        borne_remaining=borne_remaining,
        borne_extra=borne_extra,
        cost=allowance.priced(extra, visits_extra, borne_extra),
        projected=projected,
        projected_extra=projected_extra,
        borne_projected=borne_projected,
        borne_projected_extra=borne_projected_extra,
        projected_cost=allowance.priced(
            projected_extra, projected_visits_extra, borne_projected_extra
        ),
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
    data = coordinator.data
    return use_of_allowance(state, allowance, data.today, data.year)


class EcocitoAllowanceEntity(EcocitoAccountEntity):
    """An entity of an account's allowance: it follows the options as well as the polls."""

    def _state_depends_on(self) -> tuple[object, ...]:
        """Depend on the options (they hold the allowance) and on the day (the pace)."""
        return (
            *super()._state_depends_on(),
            self.coordinator.config_entry.options,
            self.coordinator.data.today,
        )

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
