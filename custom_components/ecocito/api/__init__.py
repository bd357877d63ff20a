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
from .models import (
    Account,
    AccountData,
    AccountList,
    Commune,
    MonthlyCount,
    Pickup,
    Visit,
    WasteType,
)
from .parsing import PORTAL_TZ, casefold_without_accents
from .portal import PATH_LOGIN, PORTAL_DOMAIN

__all__ = [
    "PATH_LOGIN",
    "PORTAL_DOMAIN",
    "PORTAL_TZ",
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
    "MonthlyCount",
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
    "casefold_without_accents",
    "normalize_portal",
]
