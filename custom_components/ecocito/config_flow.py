"""Config flow of the Ecocito integration: credentials, then the portal's association wizard.

The wizard ("Associer un autre compte": commune, then activation key) runs in the
config flow right after the credentials and, later, in the `production_point`
subentry flow; both use the one `_LinkWizardFlow` below.
"""

from __future__ import annotations

from abc import abstractmethod
import contextlib
from functools import cached_property
import math
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowContext,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowContext,
    SubentryFlowResult,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.data_entry_flow import FlowContext, FlowHandler, FlowResult
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
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
from .api import (
    PATH_LOGIN,
    PORTAL_DOMAIN,
    Account,
    Commune,
    EcocitoClient,
    EcocitoError,
    InvalidPortalError,
    KeyOtherCommuneError,
    UnknownCommuneError,
    normalize_portal,
)
from .const import (
    CONF_ACCOUNT,
    CONF_ACTIVATION_KEY,
    CONF_BORNE_PRICE,
    CONF_COMMUNE,
    CONF_COMMUNE_ID,
    CONF_HISTORY_YEARS,
    CONF_PORTAL,
    CONF_PRICE,
    CONF_VISIT_PRICE,
    CONF_VISITS,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
    LOGGER,
    MAX_HISTORY_YEARS,
    SUBENTRY_PRODUCTION_POINT,
)
from .error_keys import translation_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .api import WasteType
    from .coordinator import EcocitoConfigEntry

GENERIC_LOGIN_URL: Final = f"https://{PORTAL_DOMAIN}{PATH_LOGIN}"
"""The national entry's login page, shown until the user has typed a valid portal address."""

_PASSWORD_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
CREDENTIALS_SCHEMA: Final = vol.Schema(
    {
        # A plain text field, not a select with custom values: the frontend's combo
        # box fills in its first suggestion on focus, and typed text goes after it.
        # The field's description suggests the known portals instead.
        vol.Required(CONF_PORTAL): TextSelector(TextSelectorConfig(autocomplete="url")),
        vol.Required(CONF_USERNAME): TextSelector(
            TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
        ),
        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
    }
)
REAUTH_SCHEMA: Final = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR})
COMMUNE_SCHEMA: Final = vol.Schema({vol.Required(CONF_COMMUNE): TextSelector()})
KEY_SCHEMA: Final = vol.Schema({vol.Required(CONF_ACTIVATION_KEY): TextSelector()})
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

PLACEHOLDER_LIMIT: Final = 120
"""Characters of a typed value or a portal message shown back in a form, at most."""

_ERROR_FIELDS: Final = {
    "invalid_portal": CONF_PORTAL,
    "portal_userinfo": CONF_PORTAL,
    "cannot_connect": CONF_PORTAL,
    "portal_changed": CONF_PORTAL,
    "invalid_auth": CONF_PASSWORD,
    "unknown_commune": CONF_COMMUNE,
    "invalid_key": CONF_ACTIVATION_KEY,
    "key_already_used": CONF_ACTIVATION_KEY,
    "key_other_commune": CONF_ACTIVATION_KEY,
}
"""The form field an error concerns; forms without that field show it on top."""


def _short(text: str) -> str:
    """Return ``text`` cut to ``PLACEHOLDER_LIMIT`` characters, for a form placeholder."""
    return text if len(text) <= PLACEHOLDER_LIMIT else f"{text[: PLACEHOLDER_LIMIT - 1]}…"


def _login_url(portal_address: str | None) -> str:
    """Return the login page of the typed portal, or of the national entry.

    Accounts are opened from there ("Je veux ouvrir mon compte Ecocito maintenant").
    """
    try:
        return f"{normalize_portal(portal_address or '')}{PATH_LOGIN}"
    except InvalidPortalError:
        return GENERIC_LOGIN_URL


class _LinkWizardFlow[ContextT: FlowContext, ResultT: FlowResult[Any, Any], HandlerT](
    FlowHandler[ContextT, ResultT, HandlerT]
):
    """The portal's association wizard: commune, choice among several, activation key.

    The activation key only ever lives in the key step's `user_input`: it is never
    kept on the flow, suggested back in a form, or logged.
    """

    _portal_message = ""
    _commune_text = ""
    _communes: dict[str, Commune]
    _commune: Commune

    @abstractmethod
    def _wizard_client(self) -> EcocitoClient:
        """Return the logged-in client the wizard talks through."""

    @abstractmethod
    async def _async_link(self, commune_id: int, activation_key: str) -> Account:
        """Ask the portal to link the production point; return the new account."""

    @abstractmethod
    async def _async_account_linked(self, account: Account) -> ResultT:
        """Go on once the portal has linked ``account``."""

    def _flow_errors(self, err: Exception, *fields: str) -> dict[str, str]:
        """Return the form errors for ``err``, on its field when the form has it.

        Call from an ``except`` block: unexpected errors are logged with their trace.
        """
        if not isinstance(err, EcocitoError):
            LOGGER.exception("Unexpected error while talking to the Ecocito portal")
            return {"base": "unknown"}
        LOGGER.debug("The portal refused a step: %s", err)
        self._portal_message = _short(str(err))
        key = translation_key(err)
        field = _ERROR_FIELDS.get(key, "base")
        return {field if field in fields else "base": key}

    async def async_step_commune(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the commune where the waste is produced; search it on the portal."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._commune_text = user_input[CONF_COMMUNE].strip()
            try:
                communes = await self._wizard_client().search_communes(self._commune_text)
            except Exception as err:  # noqa: BLE001 - mapped to form errors
                errors = self._flow_errors(err, CONF_COMMUNE)
            else:
                if len(communes) == 1:
                    self._commune = communes[0]
                    return await self.async_step_key()
                if communes:
                    self._communes = {str(commune.id): commune for commune in communes}
                    return await self.async_step_select()
                errors = {CONF_COMMUNE: "no_commune"}
        return self._show_commune_form(errors)

    def _show_commune_form(self, errors: dict[str, str]) -> ResultT:
        return self.async_show_form(
            step_id="commune",
            data_schema=self.add_suggested_values_to_schema(
                COMMUNE_SCHEMA, {CONF_COMMUNE: self._commune_text}
            ),
            errors=errors,
            description_placeholders={
                CONF_COMMUNE: _short(self._commune_text),
                "portal_message": self._portal_message,
            },
        )

    async def async_step_select(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Let the user pick the commune among several matches."""
        if user_input is not None:
            self._commune = self._communes[user_input[CONF_COMMUNE_ID]]
            return await self.async_step_key()
        options = [
            SelectOptionDict(value=value, label=commune.display_name)
            for value, commune in self._communes.items()
        ]
        return self.async_show_form(
            step_id="select",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_COMMUNE_ID): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                    )
                }
            ),
            description_placeholders={CONF_COMMUNE: _short(self._commune_text)},
        )

    async def async_step_key(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the activation key and link the production point."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                account = await self._async_link(self._commune.id, user_input[CONF_ACTIVATION_KEY])
            except (UnknownCommuneError, KeyOtherCommuneError) as err:
                # The commune is what to correct: a flow has no "back" button.
                return self._show_commune_form(self._flow_errors(err, CONF_COMMUNE))
            except Exception as err:  # noqa: BLE001 - mapped to form errors
                errors = self._flow_errors(err, CONF_ACTIVATION_KEY)
            else:
                return await self._async_account_linked(account)
        return self.async_show_form(
            step_id="key",
            data_schema=KEY_SCHEMA,
            errors=errors,
            description_placeholders={
                CONF_COMMUNE: self._commune.display_name,
                "portal_message": self._portal_message,
            },
        )


class EcocitoConfigFlow(
    _LinkWizardFlow[ConfigFlowContext, ConfigFlowResult, str], ConfigFlow, domain=DOMAIN
):
    """Set up an Ecocito login: portal, credentials, linked production points."""

    VERSION = 2
    """2: identifiers are scoped by portal (see async_migrate_entry)."""

    _client: EcocitoClient
    _credentials: dict[str, str]
    _accounts: list[Account]

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> EcocitoOptionsFlow:
        """Return the options flow."""
        return EcocitoOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Offer to link production points from the integration's page."""
        return {SUBENTRY_PRODUCTION_POINT: ProductionPointFlow}

    @cached_property
    def _session(self) -> aiohttp.ClientSession:
        """One session (and cookie jar) for the whole flow; unsafe allows IP hosts.

        Detached when the flow ends: it shares Home Assistant's connection pool, which
        closing it would close too.
        """
        return async_create_clientsession(
            self.hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )

    @cached_property
    def _clients(self) -> list[EcocitoClient]:
        """Every client the flow created: each attempt to log in has its own."""
        return []

    @callback
    def async_remove(self) -> None:
        """Log out of the portal and let the session go, however the flow ends."""
        if "_session" in self.__dict__:
            self.hass.async_create_task(self._async_close_session(), eager_start=True)

    async def _async_close_session(self) -> None:
        for client in self._clients:
            with contextlib.suppress(EcocitoError):
                await client.logout()
        self._session.detach()

    async def _async_log_in(
        self, portal_address: str, username: str, password: str, *fields: str
    ) -> dict[str, str]:
        """Log in to the portal; keep the client and credentials, or return form errors."""
        try:
            client = EcocitoClient(self._session, portal_address, username, password)
            self._clients.append(client)
            login = await client.login()
        except Exception as err:  # noqa: BLE001 - mapped to form errors
            return self._flow_errors(err, *fields)
        self._client = client
        self._accounts = list(login.accounts)
        self._credentials = {
            CONF_PORTAL: client.base_url,
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
        }
        return {}

    async def _async_log_in_with(self, user_input: dict[str, Any]) -> dict[str, str]:
        """Log in with the credentials form; on success, set the unique ID."""
        username = user_input[CONF_USERNAME].strip()
        errors = await self._async_log_in(
            user_input[CONF_PORTAL],
            username,
            user_input[CONF_PASSWORD],
            CONF_PORTAL,
            CONF_PASSWORD,
        )
        if not errors:
            await self.async_set_unique_id(
                f"{self._client.portal_id}_{username.lower()}",
                raise_on_progress=self.source != SOURCE_RECONFIGURE,
            )
        return errors

    def _show_credentials_form(
        self, step_id: str, suggestions: Mapping[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        # Neither the password nor an address holding one is ever shown back.
        hidden = (
            {CONF_PASSWORD, CONF_PORTAL}
            if "portal_userinfo" in errors.values()
            else {CONF_PASSWORD}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA,
                {key: value for key, value in suggestions.items() if key not in hidden},
            ),
            errors=errors,
            description_placeholders={
                "login_url": _login_url(suggestions.get(CONF_PORTAL)),
                "portal_message": self._portal_message,
            },
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the portal and the credentials, and log in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_log_in_with(user_input)
            if not errors:
                self._abort_if_unique_id_configured()
                return await self.async_step_accounts()
        return self._show_credentials_form("user", user_input or {}, errors)

    async def async_step_accounts(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List the production points linked to the login; link another or finish."""
        return self._show_accounts_menu("accounts", {})

    def _show_accounts_menu(self, step_id: str, placeholders: dict[str, str]) -> ConfigFlowResult:
        return self.async_show_menu(
            step_id=step_id,
            menu_options=["link", "finish"],
            description_placeholders={
                CONF_USERNAME: self._credentials[CONF_USERNAME],
                "accounts": "\n".join(f"- {account.label}" for account in self._accounts),
                **placeholders,
            },
        )

    async def async_step_link(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start the association wizard."""
        return await self.async_step_commune()

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry."""
        return self.async_create_entry(
            # Not the login: Home Assistant writes entry titles in its logs.
            title=f"Ecocito {self._client.portal_name}",
            data=self._credentials,
            options={CONF_HISTORY_YEARS: DEFAULT_HISTORY_YEARS},
        )

    def _wizard_client(self) -> EcocitoClient:
        return self._client

    async def _async_link(self, commune_id: int, activation_key: str) -> Account:
        return await self._client.link_account(commune_id, activation_key)

    async def _async_account_linked(self, account: Account) -> ConfigFlowResult:
        self._accounts.append(account)
        return await self.async_step_linked()

    async def async_step_linked(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm the link (the wizard's step 3) and list the accounts: link another or finish."""
        return self._show_accounts_menu("linked", {"account": self._accounts[-1].label})

    def _update_and_abort(
        self, entry: ConfigEntry[Any], data_updates: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Store the new credentials and end the flow; the entry starts again with them.

        A loaded entry's update listener reloads it when its data changed; an entry that
        failed to start, or whose data did not change, is reloaded here.
        """
        changed = self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, **data_updates}
        )
        if not changed or not entry.update_listeners:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when the portal refuses the stored password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of the same login."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_log_in(
                entry.data[CONF_PORTAL],
                entry.data[CONF_USERNAME],
                user_input[CONF_PASSWORD],
                CONF_PASSWORD,
            )
            if not errors:
                return self._update_and_abort(entry, {CONF_PASSWORD: user_input[CONF_PASSWORD]})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={
                CONF_USERNAME: entry.data[CONF_USERNAME],
                CONF_PORTAL: entry.data[CONF_PORTAL],
                "portal_message": self._portal_message,
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the portal address, the login's spelling or the password."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_log_in_with(user_input)
            if not errors:
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self._update_and_abort(entry, self._credentials)
        return self._show_credentials_form("reconfigure", user_input or entry.data, errors)


class ProductionPointFlow(
    _LinkWizardFlow[SubentryFlowContext, SubentryFlowResult, tuple[str, str]],
    ConfigSubentryFlow,
):
    """Link another production point to a loaded entry's login.

    It ends with an abort that confirms the link instead of creating a subentry:
    accounts are the portal's, and those linked on the portal itself have no
    subentry either; the entry's devices follow the portal's account list.
    """

    def _entry(self) -> EcocitoConfigEntry:
        return self._get_entry()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Start the wizard, through the entry's logged-in client."""
        if self._entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        return await self.async_step_commune()

    def _wizard_client(self) -> EcocitoClient:
        return self._entry().runtime_data.client

    async def _async_link(self, commune_id: int, activation_key: str) -> Account:
        return await self._entry().runtime_data.async_link(commune_id, activation_key)

    async def _async_account_linked(self, account: Account) -> SubentryFlowResult:
        return self.async_abort(
            reason="account_linked", description_placeholders={"account": account.label}
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
