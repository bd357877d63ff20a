"""An asyncio client of the Ecocito waste portal, free of Home Assistant imports."""

from .client import EcocitoClient, normalize_portal
from .errors import (
    AuthenticationError,
    ClientClosedError,
    EcocitoError,
    InvalidKeyError,
    InvalidPortalError,
    KeyAlreadyUsedError,
    KeyOtherCommuneError,
    LinkError,
    PortalChangedError,
    PortalConnectionError,
    PortalUserInfoError,
    RateLimitedError,
    SessionRefusedError,
    UnknownAccountError,
    UnknownCommuneError,
)
from .models import Account, AccountData, AccountList, Commune, Pickup, Visit, WasteType

__all__ = [
    "Account",
    "AccountData",
    "AccountList",
    "AuthenticationError",
    "ClientClosedError",
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
    "PortalUserInfoError",
    "RateLimitedError",
    "SessionRefusedError",
    "UnknownAccountError",
    "UnknownCommuneError",
    "Visit",
    "WasteType",
    "normalize_portal",
]
