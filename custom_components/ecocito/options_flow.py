"""Options: how much history to keep, and each account's pay-as-you-throw allowance.

Numbers are typed as text and read by ``typed_numbers``: a number field in a French
browser drops the decimal comma ("5,50" became 550). Each field that does not read
gets an error that says what it takes, range included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
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
from .typed_numbers import format_price, parse_price, parse_whole

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .api import WasteType
    from .coordinator import EcocitoConfigEntry

_COUNT_SELECTOR: Final = TextSelector()
_PRICE_SELECTOR: Final = TextSelector(TextSelectorConfig(suffix="€"))
HISTORY_SCHEMA: Final = vol.Schema({vol.Required(CONF_HISTORY_YEARS): _COUNT_SELECTOR})
RANGES: Final = {
    "max_years": str(MAX_HISTORY_YEARS),
    "max_count": str(MAX_INCLUDED),
    "max_borne_count": str(MAX_BORNE_INCLUDED),
    "max_price": f"{MAX_PRICE:g}",
}
"""The upper bounds the errors name (placeholders of the forms that can show them)."""


class _FormNumbers:
    """Read the numbers of a submitted form; a field that does not read gets its error."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        self._form = form
        self.errors: dict[str, str] = {}

    def whole(self, field: str, maximum: int, error: str) -> int | None:
        """Return a whole number from 0 to ``maximum`` (None: left empty)."""
        try:
            value = parse_whole(self._form.get(field))
            if value is None or value <= maximum:
                return value
        except ValueError:
            pass
        self.errors[field] = error
        return None

    def counts(self, fields: Mapping[str, int], maximum: int, error: str) -> dict[int, int]:
        """Return the whole numbers entered, per waste type (an empty field counts nothing)."""
        counts = {type_id: self.whole(field, maximum, error) for field, type_id in fields.items()}
        return {type_id: count for type_id, count in counts.items() if count is not None}

    def price(self, field: str) -> float | None:
        """Return a price in euros from 0 to ``MAX_PRICE`` (None: left empty)."""
        try:
            value = parse_price(self._form.get(field))
            if value is None or value <= MAX_PRICE:
                return None if value is None else float(value)
        except ValueError:
            pass
        self.errors[field] = "price_range"
        return None


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
        numbers = _FormNumbers(user_input or {})
        if user_input is not None:
            years = numbers.whole(CONF_HISTORY_YEARS, MAX_HISTORY_YEARS, "years_range")
            if years is None:  # an empty field says nothing: the range does
                numbers.errors[CONF_HISTORY_YEARS] = "years_range"
            else:
                return self._save({CONF_HISTORY_YEARS: years})
        suggested = user_input or {
            CONF_HISTORY_YEARS: str(
                self.config_entry.options.get(CONF_HISTORY_YEARS, DEFAULT_HISTORY_YEARS)
            )
        }
        return self.async_show_form(
            step_id="history",
            data_schema=self.add_suggested_values_to_schema(HISTORY_SCHEMA, suggested),
            errors=numbers.errors,
            description_placeholders=RANGES,
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
        numbers = _FormNumbers(user_input or {})
        allowance = Allowance(
            included=numbers.counts(fields, MAX_INCLUDED, "count_range"),
            price=numbers.price(CONF_PRICE),
            visits=numbers.whole(CONF_VISITS, MAX_INCLUDED, "count_range"),
            visit_price=numbers.price(CONF_VISIT_PRICE),
            borne_included=numbers.counts(borne_fields, MAX_BORNE_INCLUDED, "borne_count_range"),
            borne_price=numbers.price(CONF_BORNE_PRICE),
        )
        if user_input is not None and not numbers.errors:
            return self._save(store_allowance(entry.options, self._account_id, allowance))
        schema = vol.Schema(
            {
                **{vol.Optional(field): _COUNT_SELECTOR for field in fields},
                vol.Optional(CONF_PRICE): _PRICE_SELECTOR,
                **{vol.Optional(field): _COUNT_SELECTOR for field in borne_fields},
                **({vol.Optional(CONF_BORNE_PRICE): _PRICE_SELECTOR} if borne_fields else {}),
                vol.Optional(CONF_VISITS): _COUNT_SELECTOR,
                vol.Optional(CONF_VISIT_PRICE): _PRICE_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="allowance_account",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or self._typed(entry, fields, borne_fields)
            ),
            errors=numbers.errors,
            description_placeholders={CONF_ACCOUNT: state.account.label, **RANGES},
        )

    def _typed(
        self, entry: EcocitoConfigEntry, fields: Mapping[str, int], borne_fields: Mapping[str, int]
    ) -> dict[str, str]:
        """Return the stored allowance as the form shows it: "5,50" in French."""
        current = allowances(entry.options).get(self._account_id)
        if current is None:
            return {}
        decimal_comma = self.hass.config.language.startswith("fr")
        typed = {
            field: str(counts[type_id])
            for fields_of, counts in (
                (fields, current.included),
                (borne_fields, current.borne_included),
            )
            for field, type_id in fields_of.items()
            if type_id in counts
        }
        if current.visits is not None:
            typed[CONF_VISITS] = str(current.visits)
        prices = {
            CONF_PRICE: current.price,
            CONF_VISIT_PRICE: current.visit_price,
            CONF_BORNE_PRICE: current.borne_price,
        }
        typed |= {
            key: format_price(price, decimal_comma=decimal_comma)
            for key, price in prices.items()
            if price is not None
        }
        return typed

    def _save(self, changes: dict[str, Any]) -> ConfigFlowResult:
        """Store the options: the entry's update listener applies them without a reload."""
        return self.async_create_entry(data={**self.config_entry.options, **changes})
