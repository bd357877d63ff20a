"""Actions of the Ecocito integration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .api import AuthenticationError, EcocitoError, LinkError
from .api.parsing import fold
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ACTIVATION_KEY,
    CONF_COMMUNE,
    DOMAIN,
    SERVICE_LINK_PRODUCTION_POINT,
)
from .errors import translation_key

if TYPE_CHECKING:
    from homeassistant.core import ServiceResponse

    from .api import Commune
    from .coordinator import EcocitoConfigEntry

LINK_PRODUCTION_POINT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(CONF_COMMUNE): cv.string,
        vol.Required(CONF_ACTIVATION_KEY): cv.string,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_LINK_PRODUCTION_POINT,
        _async_link_production_point,
        schema=LINK_PRODUCTION_POINT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> EcocitoConfigEntry:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={ATTR_CONFIG_ENTRY_ID: entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _pick_commune(text: str, communes: tuple[Commune, ...]) -> Commune:
    """Return the one commune ``text`` designates among the portal's matches.

    Several matches are narrowed to the one whose name, or "NAME (postal code)", is
    exactly ``text`` (accents and case aside), so that "GUÉRET" is not ambiguous
    with "SAINT-SULPICE-LE-GUÉRETOIS".
    """
    if len(communes) == 1:
        return communes[0]
    wanted = fold(text)
    exact = [c for c in communes if wanted in (fold(c.name), fold(c.display_name))]
    if len(exact) == 1:
        return exact[0]
    if not communes:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_commune",
            translation_placeholders={CONF_COMMUNE: text},
        )
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="several_communes",
        translation_placeholders={
            CONF_COMMUNE: text,
            "communes": ", ".join(commune.display_name for commune in communes),
        },
    )


async def _async_link_production_point(call: ServiceCall) -> ServiceResponse:
    """Link another production point to an entry's login; return the new account."""
    entry = _loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    text: str = call.data[CONF_COMMUNE].strip()
    try:
        # "NAME (postal code)", as the flow lists communes, is searched by its name.
        found = await entry.runtime_data.client.search_communes(text.split("(", 1)[0])
        commune = _pick_commune(text, found)
        account = await entry.runtime_data.async_link(commune.id, call.data[CONF_ACTIVATION_KEY])
    except LinkError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=translation_key(err),
            translation_placeholders={"portal_message": str(err)},
        ) from err
    except EcocitoError as err:
        if isinstance(err, AuthenticationError):
            entry.async_start_reauth(call.hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=translation_key(err),
            translation_placeholders={"portal_message": str(err)},
        ) from err
    return {"account_id": account.id, "label": account.label}
