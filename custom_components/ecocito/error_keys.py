"""How the portal library's errors read in Home Assistant: one translation key each.

The same keys name the config flow's errors and the `exceptions` messages of
strings.json, so setup, polls, flows and actions translate an error the same way.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    AuthenticationError,
    EcocitoError,
    InvalidPortalError,
    KeyAlreadyUsedError,
    KeyOtherCommuneError,
    LinkError,
    LinkUnavailableError,
    PortalChangedError,
    PortalConnectionError,
    PortalUserInfoError,
    UnknownCommuneError,
)
from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_TRANSLATION_KEYS: Final[tuple[tuple[type[EcocitoError], str], ...]] = (
    (PortalUserInfoError, "portal_userinfo"),
    (InvalidPortalError, "invalid_portal"),
    (AuthenticationError, "invalid_auth"),
    (PortalConnectionError, "cannot_connect"),  # rate limiting included
    (PortalChangedError, "portal_changed"),
    (LinkUnavailableError, "link_unavailable"),
    (UnknownCommuneError, "unknown_commune"),
    (KeyAlreadyUsedError, "key_already_used"),
    (KeyOtherCommuneError, "key_other_commune"),
    (LinkError, "invalid_key"),  # an unknown key, or a refusal we cannot classify
)


def translation_key(err: EcocitoError) -> str:
    """Return the translation key of a library error (``unknown`` if unmapped)."""
    return next((key for kind, key in _TRANSLATION_KEYS if isinstance(err, kind)), "unknown")


def update_failure(err: EcocitoError) -> ConfigEntryAuthFailed | UpdateFailed:
    """Return what a poll that met ``err`` raises: reauth for a refused login."""
    if isinstance(err, AuthenticationError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders={"portal_message": err.message or ""},
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=translation_key(err),
        translation_placeholders={"portal_message": str(err)},
    )


@contextmanager
def action_errors(hass: HomeAssistant, entry: ConfigEntry) -> Iterator[None]:
    """Turn the library's errors into translated errors of an action.

    The portal refusing what the user typed (a commune, a key) is a validation error;
    anything else (a portal without the wizard included) is an error of the portal, and
    a refused login also starts reauth.
    """
    try:
        yield
    except EcocitoError as err:
        placeholders = {"portal_message": str(err)}
        if isinstance(err, LinkError) and not isinstance(err, LinkUnavailableError):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=translation_key(err),
                translation_placeholders=placeholders,
            ) from err
        if isinstance(err, AuthenticationError):
            entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=translation_key(err),
            translation_placeholders=placeholders,
        ) from err
