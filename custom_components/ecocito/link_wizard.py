"""The portal's association wizard ("Associer un autre compte"): commune, then activation key.

One flow mixin serves the config flow right after the credentials and, later, the
`production_point` subentry flow of the integration's page; the
`ecocito.link_production_point` action takes the same two answers in one call
(services.py). The activation key only ever lives in the key step's `user_input`, and
in the form that shows it back when the portal refuses it.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any, Final
from weakref import WeakKeyDictionary

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowContext,
    SubentryFlowResult,
)
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowContext, FlowHandler, FlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .api import (
    SEARCH_MAX_RESULTS,
    Account,
    Commune,
    EcocitoClient,
    EcocitoError,
    LinkUnavailableError,
    UnknownCommuneError,
)
from .const import (
    CONF_ACTIVATION_KEY,
    CONF_CHANGE_COMMUNE,
    CONF_COMMUNE,
    CONF_COMMUNE_ID,
    CONF_LINK_WIZARD,
    CONF_PORTAL,
    LOGGER,
)
from .error_keys import translation_key

if TYPE_CHECKING:
    from .coordinator import EcocitoConfigEntry

COMMUNE_SCHEMA: Final = vol.Schema({vol.Required(CONF_COMMUNE): TextSelector()})
KEY_SCHEMA: Final = vol.Schema(
    {
        # Optional: going back to the commune needs no key (an empty key is refused).
        vol.Optional(CONF_ACTIVATION_KEY): TextSelector(),
        vol.Optional(CONF_CHANGE_COMMUNE, default=False): BooleanSelector(),
    }
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


_OFFERED: Final[WeakKeyDictionary[ConfigEntry[Any], bool]] = WeakKeyDictionary()


def offers_linking(entry: ConfigEntry[Any]) -> bool:
    """Return whether the integration's page offers to link a production point.

    Not for a portal known to have no wizard. Home Assistant asks once per entry and
    keeps the answer until it stops (and asks again when the flow starts): the first
    answer is kept here too, so that the button and its flow agree; what is learnt
    meanwhile shows from the next start.
    """
    return _OFFERED.setdefault(entry, entry.options.get(CONF_LINK_WIZARD) is not False)


@callback
def remember_wizard(hass: HomeAssistant, entry: ConfigEntry[Any], available: bool) -> None:
    """Keep in the entry's options whether its portal has the association wizard."""
    if entry.options.get(CONF_LINK_WIZARD) is not available:
        hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_LINK_WIZARD: available}
        )


def short_text(text: str) -> str:
    """Return ``text`` cut to ``PLACEHOLDER_LIMIT`` characters, for a form placeholder."""
    return text if len(text) <= PLACEHOLDER_LIMIT else f"{text[: PLACEHOLDER_LIMIT - 1]}…"


class LinkWizardFlow[ContextT: FlowContext, ResultT: FlowResult[Any, Any], HandlerT](
    FlowHandler[ContextT, ResultT, HandlerT]
):
    """The portal's association wizard: commune, choice among several, activation key.

    The activation key only ever lives in the key step's `user_input`: it is never
    kept on the flow or logged. A key the portal refuses is suggested back in the form
    that says why, so that a typo can be seen and corrected.
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

    @abstractmethod
    async def _async_link_unavailable(self) -> ResultT:
        """Go on without linking: the portal shows no wizard the client understands."""

    @abstractmethod
    def _remember_wizard(self, available: bool) -> None:
        """Keep whether the portal has the wizard, as the portal just showed."""

    async def _async_wizard_gone(self) -> ResultT:
        """Remember that the portal has no wizard, and say so."""
        self._remember_wizard(False)
        return await self._async_link_unavailable()

    async def _async_start_wizard(self) -> ResultT:
        """Open the portal's wizard, then ask for the commune; say so when there is none."""
        try:
            await self._wizard_client().open_wizard()
        except LinkUnavailableError as err:
            LOGGER.info("Linking is not available: %s", err)
            return await self._async_wizard_gone()
        except Exception as err:  # noqa: BLE001 - mapped to form errors
            return self._show_commune_form(self._flow_errors(err, CONF_COMMUNE))
        self._remember_wizard(True)
        return await self.async_step_commune()

    def _flow_errors(self, err: Exception, *fields: str) -> dict[str, str]:
        """Return the form errors for ``err``, on its field when the form has it.

        Call from an ``except`` block: unexpected errors are logged with their trace.
        """
        if not isinstance(err, EcocitoError):
            LOGGER.exception("Unexpected error while talking to the Ecocito portal")
            return {"base": "unknown"}
        LOGGER.debug("The portal refused a step: %s", err)
        self._portal_message = short_text(str(err))
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
            except LinkUnavailableError:
                return await self._async_wizard_gone()
            except Exception as err:  # noqa: BLE001 - mapped to form errors
                errors = self._flow_errors(err, CONF_COMMUNE)
            else:
                self._remember_wizard(True)  # its search answered
                if len(communes) == 1:
                    self._commune = communes[0]
                    return self._show_key_form({})
                if communes:
                    self._communes = {str(commune.id): commune for commune in communes}
                    return self._show_select_form({})
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
                CONF_COMMUNE: short_text(self._commune_text),
                "portal_message": self._portal_message,
            },
        )

    async def async_step_select(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Let the user pick the commune among several matches, or search again."""
        if user_input is None:
            return self._show_select_form({})
        if user_input.get(CONF_CHANGE_COMMUNE):
            return self._show_commune_form({})
        if (chosen := user_input.get(CONF_COMMUNE_ID)) in self._communes:
            self._commune = self._communes[chosen]
            return self._show_key_form({})
        return self._show_select_form({CONF_COMMUNE_ID: "choose_commune"})

    async def async_step_select_partial(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Let the user pick among the matches the portal listed, saying it lists no more."""
        return await self.async_step_select(user_input)

    def _show_select_form(self, errors: dict[str, str]) -> ResultT:
        """Show the matches in French order, none chosen in advance.

        The portal answers at most ``SEARCH_MAX_RESULTS`` communes: a list that long
        may miss the user's, so its step says so and asks for more letters. Asking the
        portal again with longer terms cannot find every match of a name (it matches
        anywhere in the name), and costs requests to a part of the portal we model.
        """
        options = [
            SelectOptionDict(value=value, label=commune.display_name)
            for value, commune in self._communes.items()
        ]
        partial = len(options) >= SEARCH_MAX_RESULTS
        return self.async_show_form(
            step_id="select_partial" if partial else "select",
            data_schema=vol.Schema(
                {
                    # Optional: a required select starts on its first option.
                    vol.Optional(CONF_COMMUNE_ID): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                    ),
                    vol.Optional(CONF_CHANGE_COMMUNE, default=False): BooleanSelector(),
                }
            ),
            errors=errors,
            description_placeholders={
                CONF_COMMUNE: short_text(self._commune_text),
                "limit": str(SEARCH_MAX_RESULTS),
            },
        )

    async def async_step_key(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Ask for the activation key and link the production point, or go back."""
        if user_input is None:
            return self._show_key_form({})
        if user_input.get(CONF_CHANGE_COMMUNE):
            return self._show_commune_form({})
        key = user_input.get(CONF_ACTIVATION_KEY, "").strip()
        if not key:
            return self._show_key_form({CONF_ACTIVATION_KEY: "no_key"})
        return await self._async_link_with(user_input[CONF_ACTIVATION_KEY])

    async def _async_link_with(self, typed_key: str) -> ResultT:
        """Send the commune and the key to the portal; a refused key stays in its field."""
        try:
            account = await self._async_link(self._commune.id, typed_key.strip())
        except LinkUnavailableError:
            return await self._async_wizard_gone()
        except UnknownCommuneError as err:  # the commune is what to correct
            return self._show_commune_form(self._flow_errors(err, CONF_COMMUNE))
        except Exception as err:  # noqa: BLE001 - mapped to form errors
            # A refused key (unknown, already used, of another commune: the form offers
            # to change the commune) or a failure: said on the form, the key kept.
            return self._show_key_form(self._flow_errors(err, CONF_ACTIVATION_KEY), typed_key)
        return await self._async_account_linked(account)

    def _show_key_form(self, errors: dict[str, str], typed_key: str = "") -> ResultT:
        return self.async_show_form(
            step_id="key",
            data_schema=self.add_suggested_values_to_schema(
                KEY_SCHEMA, {CONF_ACTIVATION_KEY: typed_key}
            ),
            errors=errors,
            description_placeholders={
                CONF_COMMUNE: self._commune.display_name,
                "portal_message": self._portal_message,
            },
        )


class ProductionPointFlow(
    LinkWizardFlow[SubentryFlowContext, SubentryFlowResult, tuple[str, str]],
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
        return await self._async_start_wizard()

    def _wizard_client(self) -> EcocitoClient:
        return self._entry().runtime_data.client

    async def _async_link(self, commune_id: int, activation_key: str) -> Account:
        return await self._entry().runtime_data.async_link(commune_id, activation_key)

    async def _async_link_unavailable(self) -> SubentryFlowResult:
        return self.async_abort(reason="link_unavailable")

    def _remember_wizard(self, available: bool) -> None:
        remember_wizard(self.hass, self._entry(), available)

    async def _async_account_linked(self, account: Account) -> SubentryFlowResult:
        return self.async_abort(
            reason="account_linked", description_placeholders={"account": account.label}
        )
