"""The base of a waste type's entities read from its rhythm: next pickup, missed pickup.

What they show follows from the rhythm the planner learnt (``forecast.py``): no request.
It changes with the account's data, the rhythm, a pickup told missing, and the day: they
write again at each midnight, portal time, even without a poll.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util

from .api import PORTAL_TZ
from .entity import EcocitoAccountEntity
from .forecast import Forecast, forecast
from .planner import recent_pickups
from .schedule import LOOKBACK

if TYPE_CHECKING:
    from datetime import date

    from .models import AccountState
    from .schedule import Rhythm, Table


class EcocitoRhythmEntity(EcocitoAccountEntity):
    """An entity of one waste type of an account, read from the type's rhythm."""

    waste_type_id: int
    _last_forecast: tuple[tuple[datetime, AccountState, Rhythm | None], Forecast] | None = None

    @property
    def table(self) -> Table | None:
        """Return what the planner learnt of the waste type (None: before the first plan)."""
        return self.coordinator.planner.tables.get((self.account_id, self.waste_type_id))

    @property
    def waste_type(self) -> str:
        """Return the portal's label of the waste type (blueprints match on it)."""
        return self.account_state.labels.get(self.waste_type_id, str(self.waste_type_id))

    @property
    def missed_day(self) -> date | None:
        """Return the day of the pickup told missing, if one is."""
        return self.coordinator.planner.missed.get(self.account_id, {}).get(self.waste_type_id)

    def forecast(self) -> Forecast:
        """Return the next expected pickup, as of now (worked out once per second).

        A state's value and attributes both ask for it, one after the other.
        """
        now = dt_util.now().replace(microsecond=0)
        state = self.account_state
        table = self.table
        rhythm = None if table is None else table.rhythm
        if (last := self._last_forecast) is not None:
            (at, held, learnt), found = last
            if at == now and held is state and learnt is rhythm:
                return found
        found = forecast(
            rhythm,
            recent_pickups(state, now - LOOKBACK).get(self.waste_type_id, []),
            now,
            PORTAL_TZ,
            borne=self.waste_type_id in state.borne_types,
        )
        self._last_forecast = ((now, state, rhythm), found)
        return found

    def _state_depends_on(self) -> tuple[object, ...]:
        table = self.table
        return (
            *super()._state_depends_on(),
            None if table is None else table.rhythm,
            self.missed_day,
        )

    @property
    def available(self) -> bool:
        """Return whether the account still has the waste type."""
        return super().available and self.account_state.has_waste_type(self.waste_type_id)

    async def async_added_to_hass(self) -> None:
        """Write again at each midnight, portal time."""
        await super().async_added_to_hass()
        self._write_again_at(_next_midnight)


def _next_midnight() -> datetime:
    """Return the next midnight, portal time."""
    tomorrow = dt_util.now(PORTAL_TZ).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(), PORTAL_TZ)
