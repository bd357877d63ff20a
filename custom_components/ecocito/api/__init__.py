"""An asyncio client of the Ecocito waste portal, free of Home Assistant imports."""

from .client import EcocitoClient, normalize_portal
from .errors import (
    AuthenticationError,
    EcocitoError,
    InvalidKeyError,
    InvalidPortalError,
    KeyAlreadyUsedError,
    KeyOtherCommuneError,
    LinkError,
    PortalChangedError,
    PortalConnectionError,
    RateLimitedError,
    UnknownAccountError,
    UnknownCommuneError,
)
from .models import Account, AccountData, AccountList, Commune, Pickup, Visit, WasteType

__all__ = [
    "Account",
    "AccountData",
    "AccountList",
    "AuthenticationError",
    "Commune",
    "EcocitoClient",
    "EcocitoError",
    "InvalidKeyError",
    "InvalidPortalError",
    "KeyAlreadyUsedError",
    "KeyOtherCommuneError",
    "LinkError",
    "Pickup",
    "PortalChangedError",
    "PortalConnectionError",
    "RateLimitedError",
    "UnknownAccountError",
    "UnknownCommuneError",
    "Visit",
    "WasteType",
    "normalize_portal",
]
