"""Actions of the Ecocito integration."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import PORTAL_TZ, LinkUnavailableError, casefold_without_accents
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_END,
    ATTR_START,
    CONF_ACTIVATION_KEY,
    CONF_COMMUNE,
    DOMAIN,
    SERVICE_GET_PICKUPS,
    SERVICE_LINK_PRODUCTION_POINT,
)
from .devices import place_of, portal_of
from .error_keys import action_errors
from .link_wizard import remember_wizard
from .models import OWN_PLACE, AccountState, place_key_of
from .step import pickup_data

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import ServiceResponse

    from .api import Commune, Pickup, Visit
    from .coordinator import EcocitoConfigEntry
    from .models import PlaceKey

LINK_PRODUCTION_POINT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(CONF_COMMUNE): cv.string,
        vol.Required(CONF_ACTIVATION_KEY): cv.string,
    }
)
EARLIEST_DATE: Final = date(1900, 1, 1)
"""No portal holds older data; earlier years do not even format as four digits."""
GET_PICKUPS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_START): cv.date,
        vol.Optional(ATTR_END): cv.date,
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
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_PICKUPS,
        _async_get_pickups,
        schema=GET_PICKUPS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
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
    wanted = casefold_without_accents(text)
    exact = [
        c
        for c in communes
        if wanted in (casefold_without_accents(c.name), casefold_without_accents(c.display_name))
    ]
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
    with action_errors(call.hass, entry):
        try:
            # "NAME (postal code)", as the flow lists communes, is searched by its name.
            found = await entry.runtime_data.client.search_communes(text.split("(", 1)[0])
            if found:  # the wizard's search answered
                remember_wizard(call.hass, entry, available=True)
            commune = _pick_commune(text, found)
            account = await entry.runtime_data.async_link(
                commune.id, call.data[CONF_ACTIVATION_KEY]
            )
        except LinkUnavailableError:
            remember_wizard(call.hass, entry, available=False)
            raise
    return {"account_id": account.id, "label": account.label}


def _place_of_device(hass: HomeAssistant, device_id: str) -> tuple[EcocitoConfigEntry, PlaceKey]:
    """Return the loaded entry and the place of a place's device (an account's own too)."""
    registry = dr.async_get(hass)
    device = registry.async_get(device_id)
    # A place's identifier is "<portal>_<account ID>[_<address>]"; the login's, its entry ID.
    entries = [
        _loaded_entry(hass, entry.entry_id)
        for entry in hass.config_entries.async_entries(DOMAIN)
        if device is not None
        # The entries holding the device: 2026.x deprecates DeviceEntry.config_entries (a
        # device has one entry there) and 2025.4 lacks its replacement.
        and any(
            own.id == device.id
            for own in dr.async_entries_for_config_entry(registry, entry.entry_id)
        )
        and place_of(portal_of(entry), device.identifiers) is not None
    ]
    if device is None or not entries:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_an_account",
            translation_placeholders={ATTR_DEVICE_ID: device_id},
        )
    for entry in entries:
        place = place_of(entry.runtime_data.portal, device.identifiers)
        if place is not None and place in entry.runtime_data.data.places:
            return entry, place
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_account",
        translation_placeholders={"account": device.name_by_user or device.name or device_id},
    )


def _in_range[T: (Pickup, Visit)](items: Iterable[T], start: date, end: date) -> list[T]:
    return [item for item in items if start <= item.date.astimezone(PORTAL_TZ).date() <= end]


def _response(
    state: AccountState, start: date, end: date, place: str | None, primary: str | None
) -> dict[str, Any]:
    """Return an account's pickups, visits and monthly borne openings between two dates.

    A month is in the answer when any of its days is (the portal counts openings per
    month); months without an opening are left out. ``place``: another place than the
    account's own (``primary``: the key of its address): its pickups only (visits and
    borne openings are the account's).
    """
    if place is not None:
        return {
            "borne_openings": [],
            "pickups": [
                pickup_data(state, pickup)
                for pickup in _in_range(state.all_pickups, start, end)
                if place_key_of(pickup.address, primary) == place
            ],
            "visits": [],
        }
    first_month = start.replace(day=1)
    return {
        "borne_openings": [
            {
                "year": month.year,
                "month": month.month,
                "waste_type_id": type_id,
                "waste_type": state.labels.get(type_id),
                "count": month.count,
            }
            for type_id in state.borne_types
            for month in state.drop_offs_of(type_id, past=True)
            if month.count
            and month.month is not None  # a year's total alone has no month to place it in
            and first_month <= date(month.year, month.month, 1) <= end
        ],
        "pickups": [
            pickup_data(state, pickup) for pickup in _in_range(state.all_pickups, start, end)
        ],
        "visits": [
            {
                "date": visit.date.isoformat(),
                "site": visit.site,
                "material": visit.material,
                "quantity": visit.quantity,
            }
            for visit in _in_range(state.all_visits, start, end)
        ],
    }


async def _async_get_pickups(call: ServiceCall) -> ServiceResponse:
    """Return an account's pickups, visits and borne openings between two dates (portal days).

    Within the years the options keep, the answer comes from the data of the last
    poll; further back, it is fetched from the portal.
    """
    entry, (account_id, key) = _place_of_device(call.hass, call.data[ATTR_DEVICE_ID])
    # The account's own device: the whole account; another place's: that place's pickups.
    place = None if key == OWN_PLACE else key
    today = dt_util.now(PORTAL_TZ).date()
    start: date = call.data[ATTR_START]
    end: date = call.data.get(ATTR_END, today)
    if (early := min(start, end)) < EARLIEST_DATE:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="date_too_early",
            translation_placeholders={
                "date": early.isoformat(),
                "earliest": EARLIEST_DATE.isoformat(),
            },
        )
    if end < start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_range",
            translation_placeholders={ATTR_START: start.isoformat(), ATTR_END: end.isoformat()},
        )
    coordinator = entry.runtime_data
    state = coordinator.data.accounts[account_id]
    primary = coordinator.state.primary.get(account_id)
    if start >= coordinator.data.first_day:
        return _response(state, start, end, place, primary)
    last = min(end, today)
    with action_errors(call.hass, entry):
        fetched = await coordinator.client.get_account_data(
            account_id, start, last, borne_years=range(start.year, last.year + 1)
        )
    return _response(
        AccountState(
            account=state.account,
            waste_types=fetched.waste_types,
            pickups=fetched.pickups,
            visits=fetched.visits,
            drop_offs=fetched.borne_drop_offs or {},
        ),
        start,
        end,
        place,
        primary,
    )
