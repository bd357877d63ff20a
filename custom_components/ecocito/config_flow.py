"""Config flow of the Ecocito integration: the portal and credentials, then the linked accounts.

After the credentials come the production points linked to the login, and the portal's
association wizard to link another one (link_wizard.py, shared with the integration
page); reauthentication and reconfiguration log in again with the same helper. The
options are options_flow.py's.
"""

from __future__ import annotations

import contextlib
from functools import cached_property
import re
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowContext,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import voluptuous as vol

from .api import (
    PATH_LOGIN,
    PORTAL_DOMAIN,
    Account,
    EcocitoClient,
    EcocitoError,
    InvalidPortalError,
    LinkUnavailableError,
    normalize_portal,
)
from .const import (
    CONF_HISTORY_YEARS,
    CONF_LINK_WIZARD,
    CONF_PORTAL,
    DEFAULT_HISTORY_YEARS,
    DOMAIN,
    LOGGER,
    SUBENTRY_PRODUCTION_POINT,
)
from .link_wizard import LinkWizardFlow, ProductionPointFlow, offers_linking
from .options_flow import EcocitoOptionsFlow

if TYPE_CHECKING:
    from collections.abc import Mapping

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
POSTAL_CODE: Final = re.compile(r"\s*[0-9]{5}\s*")
"""What a resident may type for the portal who does not know its address: no portal's."""


def _portal_url(portal_address: str | None) -> str:
    """Return the address the typed portal stands for ("" if it stands for none).

    An address holding credentials is never shown back.
    """
    try:
        return normalize_portal(portal_address or "")
    except InvalidPortalError:
        return ""


def _login_url(portal_address: str | None) -> str:
    """Return the login page of the typed portal, or of the national entry.

    Accounts are opened from there ("Je veux ouvrir mon compte Ecocito maintenant").
    """
    portal_url = _portal_url(portal_address)
    return f"{portal_url}{PATH_LOGIN}" if portal_url else GENERIC_LOGIN_URL


class EcocitoConfigFlow(
    LinkWizardFlow[ConfigFlowContext, ConfigFlowResult, str], ConfigFlow, domain=DOMAIN
):
    """Set up an Ecocito login: portal, credentials, linked production points."""

    VERSION = 2
    """2: identifiers are scoped by portal (see async_migrate_entry)."""

    _client: EcocitoClient
    _credentials: dict[str, str]
    _accounts: list[Account]
    _wizard: bool | None = None
    """Whether the portal has the association wizard (None: it could not tell)."""

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
        """Offer to link production points from the integration's page, where the portal can."""
        return (
            {SUBENTRY_PRODUCTION_POINT: ProductionPointFlow} if offers_linking(config_entry) else {}
        )

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
        """Log in with the credentials form; on success, set the unique ID.

        A postal code, or an address where nothing answers (a commune's name taken for
        a subdomain), gets an error that says where to find the portal's address.
        """
        if POSTAL_CODE.fullmatch(user_input[CONF_PORTAL]):
            return {CONF_PORTAL: "portal_postal_code"}
        username = user_input[CONF_USERNAME].strip()
        errors = await self._async_log_in(
            user_input[CONF_PORTAL],
            username,
            user_input[CONF_PASSWORD],
            CONF_PORTAL,
            CONF_PASSWORD,
        )
        if errors.get(CONF_PORTAL) == "cannot_connect":
            errors[CONF_PORTAL] = "portal_unreachable"
        if not errors:
            await self.async_set_unique_id(
                f"{self._client.portal_id}_{username.lower()}",
                raise_on_progress=self.source != SOURCE_RECONFIGURE,
            )
        return errors

    async def _async_wizard_available(self) -> bool | None:
        """Ask the portal whether it has the association wizard (None: it could not tell).

        One page, read once at set-up: a portal without it is never offered to link.
        """
        try:
            await self._client.open_wizard()
        except LinkUnavailableError:
            return False
        except EcocitoError as err:
            LOGGER.debug("Could not tell whether the portal has the association wizard: %s", err)
            return None
        return True

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
                # No login page where no portal answers: the national entry's.
                "login_url": GENERIC_LOGIN_URL
                if errors.get(CONF_PORTAL) in ("portal_postal_code", "portal_unreachable")
                else _login_url(suggestions.get(CONF_PORTAL)),
                "portal_url": _portal_url(suggestions.get(CONF_PORTAL)),
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
                self._wizard = await self._async_wizard_available()
                return await self.async_step_accounts()
        return self._show_credentials_form("user", user_input or {}, errors)

    async def async_step_accounts(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List the production points linked to the login; link another or finish."""
        if self._wizard is False:
            return await self.async_step_accounts_no_link()
        return self._show_accounts_menu("accounts")

    async def async_step_accounts_no_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List the production points, on a portal that offers no linking: finish."""
        return self._show_accounts_menu("accounts_no_link", link=False)

    def _show_accounts_menu(
        self, step_id: str, placeholders: dict[str, str] | None = None, *, link: bool = True
    ) -> ConfigFlowResult:
        """Show the linked accounts; offer to link another (``link``) or to finish."""
        return self.async_show_menu(
            step_id=step_id,
            menu_options=["link", "finish"] if link else ["finish"],
            description_placeholders={**self._accounts_placeholders(), **(placeholders or {})},
        )

    def _accounts_placeholders(self) -> dict[str, str]:
        """Name the login and its accounts (one its pages do not name: by its portal)."""
        unnamed = f"Ecocito {self._client.portal_name}"
        return {
            CONF_USERNAME: self._credentials[CONF_USERNAME],
            "accounts": "\n".join(f"- {account.label or unnamed}" for account in self._accounts),
        }

    async def async_step_link(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the commune (the wizard's page was read at set-up), or open the wizard."""
        if self._wizard:
            return self._show_commune_form({})
        return await self._async_start_wizard()

    def _remember_wizard(self, available: bool) -> None:
        self._wizard = available

    def _wizard_learnt(self) -> dict[str, bool]:
        """Return the option of what was learnt of the portal's wizard (none: nothing)."""
        return {} if self._wizard is None else {CONF_LINK_WIZARD: self._wizard}

    async def _async_link_unavailable(self) -> ConfigFlowResult:
        return await self.async_step_link_unavailable()

    async def async_step_link_unavailable(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say the portal offers no wizard to link with; the flow goes on to finish."""
        return self._show_accounts_menu("link_unavailable", link=False)

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry."""
        return self.async_create_entry(
            # Not the login: Home Assistant writes entry titles in its logs.
            title=f"Ecocito {self._client.portal_name}",
            data=self._credentials,
            options={CONF_HISTORY_YEARS: DEFAULT_HISTORY_YEARS, **self._wizard_learnt()},
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
        failed to start, or whose data did not change, is reloaded here. What was learnt
        of the portal's wizard (reconfigure) goes into the options.
        """
        data = {**entry.data, **data_updates}
        reloads = data != entry.data and bool(entry.update_listeners)
        self.hass.config_entries.async_update_entry(
            entry, data=data, options={**entry.options, **self._wizard_learnt()}
        )
        if not reloads:
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
                self._wizard = await self._async_wizard_available()  # the portal may be another
                return self._update_and_abort(entry, self._credentials)
        return self._show_credentials_form("reconfigure", user_input or entry.data, errors)
