"""How the portal library's errors read in Home Assistant: one translation key each.

The same keys name the config flow's errors and the `exceptions` messages of
strings.json, so setup, flows and actions translate an error the same way.
"""

from __future__ import annotations

from typing import Final

from .api import (
    AuthenticationError,
    EcocitoError,
    InvalidPortalError,
    KeyAlreadyUsedError,
    KeyOtherCommuneError,
    LinkError,
    PortalChangedError,
    PortalConnectionError,
    UnknownCommuneError,
)

_TRANSLATION_KEYS: Final[tuple[tuple[type[EcocitoError], str], ...]] = (
    (InvalidPortalError, "invalid_portal"),
    (AuthenticationError, "invalid_auth"),
    (PortalConnectionError, "cannot_connect"),  # rate limiting included
    (PortalChangedError, "portal_changed"),
    (UnknownCommuneError, "unknown_commune"),
    (KeyAlreadyUsedError, "key_already_used"),
    (KeyOtherCommuneError, "key_other_commune"),
    (LinkError, "invalid_key"),  # an unknown key, or a refusal we cannot classify
)


def translation_key(err: EcocitoError) -> str:
    """Return the translation key of a library error (``unknown`` if unmapped)."""
    return next((key for kind, key in _TRANSLATION_KEYS if isinstance(err, kind)), "unknown")
