"""Options: how much history to keep, and each account's pay-as-you-throw allowance."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from .allowance import (
    MAX_BORNE_INCLUDED,
    MAX_INCLUDED,
    MAX_PRICE,
    Allowance,
    allowances,
    store_allowance,
)
from .const import (
    CONF_ACCOUNT,
    CONF_BORNE_PRICE,
    CONF_HISTORY_YEARS,
    CONF_PRICE,
    CONF_VISIT_PRICE,
    CONF_VISITS,
    DEFAULT_HISTORY_YEARS,
    MAX_HISTORY_YEARS,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .api import WasteType
    from .coordinator import EcocitoConfigEntry

OPTIONS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_HISTORY_YEARS, default=DEFAULT_HISTORY_YEARS): NumberSelector(
            NumberSelectorConfig(min=0, max=MAX_HISTORY_YEARS, step=1, mode=NumberSelectorMode.BOX)
        ),
    }
)
_INCLUDED_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(min=0, max=MAX_INCLUDED, step=1, mode=NumberSelectorMode.BOX)
)
_BORNE_INCLUDED_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(min=0, max=MAX_BORNE_INCLUDED, step=1, mode=NumberSelectorMode.BOX)
)
_PRICE_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(
        min=0, max=MAX_PRICE, step=0.01, mode=NumberSelectorMode.BOX, unit_of_measurement="€"
    )
)


def _not_whole(user_input: Mapping[str, Any], fields: list[str]) -> dict[str, str]:
    """Return an error for each field holding a number that is not a whole one.

    The number selector's step is a hint for the frontend: it lets 2.5 (or NaN) through.
    """
    return {
        field: "whole_number"
        for field in fields
        if (value := user_input.get(field)) is not None and not float(value).is_integer()
    }


def _waste_type_fields(waste_types: tuple[WasteType, ...], suffix: str = "") -> dict[str, int]:
    """Name the allowance form's fields after the waste types, as the portal labels them.

    The labels are the portal's (no translation can name them); a label shared by two
    types gets the type's number. A borne's field adds `` (borne)`` to its label.
    """
    labels = [waste_type.label for waste_type in waste_types]
    return {
        (label if labels.count(label) == 1 else f"{label} ({waste_type.id})")
        + suffix: waste_type.id
        for label, waste_type in zip(labels, waste_types, strict=True)
    }


def _counts(user_input: Mapping[str, Any], fields: dict[str, int]) -> dict[int, int]:
    """Return the whole numbers entered, per waste type (an empty field counts nothing)."""
    return {
        type_id: int(user_input[field])
        for field, type_id in fields.items()
        if user_input.get(field) is not None
    }


class EcocitoOptionsFlow(OptionsFlow):
    """Options: how much history to keep, and each account's allowance (pickups, visits).

    Saving stores the options and tells the entities at once: the coordinator reads
    the history at each refresh, and the allowance entities follow the options at each
    coordinator update, so no change needs a reload.
    """

    _account_id: int

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the history or an account's allowance."""
        return self.async_show_menu(step_id="init", menu_options=["history", "allowance"])

    async def async_step_history(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how many past years of history to keep."""
        errors = _not_whole(user_input or {}, [CONF_HISTORY_YEARS])
        if user_input is not None and not errors:
            return self._save({CONF_HISTORY_YEARS: int(user_input[CONF_HISTORY_YEARS])})
        return self.async_show_form(
            step_id="history",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, user_input or self.config_entry.options
            ),
            errors=errors,
        )

    async def async_step_allowance(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the account whose allowance to set (straight on with a single one)."""
        entry: EcocitoConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED or not entry.runtime_data.data.accounts:
            return self.async_abort(reason="entry_not_loaded")
        accounts = entry.runtime_data.data.accounts
        if user_input is not None or len(accounts) == 1:
            account = next(iter(accounts)) if user_input is None else user_input[CONF_ACCOUNT]
            self._account_id = int(account)
            return await self.async_step_allowance_account()
        options = [
            SelectOptionDict(value=str(account_id), label=state.account.label)
            for account_id, state in accounts.items()
        ]
        return self.async_show_form(
            step_id="allowance",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_ACCOUNT): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

    async def async_step_allowance_account(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the pickups included per waste type, the visits, and the extra prices.

        An account whose badge opens bornes is asked the same of its borne openings.
        """
        entry: EcocitoConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        state = entry.runtime_data.data.accounts[self._account_id]
        fields = _waste_type_fields(state.waste_types)
        bornes = tuple(t for t in state.waste_types if t.id in state.borne_types)
        borne_fields = _waste_type_fields(bornes, " (borne)")
        form = user_input or {}
        errors = _not_whole(form, [*fields, CONF_VISITS, *borne_fields])
        prices = {key: form.get(key) for key in (CONF_PRICE, CONF_VISIT_PRICE, CONF_BORNE_PRICE)}
        for key, price in prices.items():
            if price is not None and not math.isfinite(price):
                errors[key] = "not_a_number"
        if user_input is not None and not errors:
            price, visit_price, borne_price = (
                None if price is None else round(float(price), 2) for price in prices.values()
            )
            allowance = Allowance(
                included=_counts(user_input, fields),
                price=price,
                visits=None if form.get(CONF_VISITS) is None else int(form[CONF_VISITS]),
                visit_price=visit_price,
                borne_included=_counts(user_input, borne_fields),
                borne_price=borne_price,
            )
            return self._save(store_allowance(entry.options, self._account_id, allowance))
        current = allowances(entry.options).get(self._account_id)
        suggested: dict[str, Any] = {}
        if current is not None:
            suggested = {
                field: current.included[type_id]
                for field, type_id in fields.items()
                if type_id in current.included
            }
            suggested |= {
                field: current.borne_included[type_id]
                for field, type_id in borne_fields.items()
                if type_id in current.borne_included
            }
            suggested[CONF_PRICE] = current.price
            if current.visits is not None:
                suggested |= {CONF_VISITS: current.visits, CONF_VISIT_PRICE: current.visit_price}
            suggested[CONF_BORNE_PRICE] = current.borne_price
        schema = vol.Schema(
            {
                **{vol.Optional(field): _INCLUDED_SELECTOR for field in fields},
                vol.Optional(CONF_PRICE): _PRICE_SELECTOR,
                **{vol.Optional(field): _BORNE_INCLUDED_SELECTOR for field in borne_fields},
                **({vol.Optional(CONF_BORNE_PRICE): _PRICE_SELECTOR} if borne_fields else {}),
                vol.Optional(CONF_VISITS): _INCLUDED_SELECTOR,
                vol.Optional(CONF_VISIT_PRICE): _PRICE_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="allowance_account",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            errors=errors,
            description_placeholders={CONF_ACCOUNT: state.account.label},
        )

    def _save(self, changes: dict[str, Any]) -> ConfigFlowResult:
        """Store the options: the entry's update listener applies them without a reload."""
        return self.async_create_entry(data={**self.config_entry.options, **changes})
