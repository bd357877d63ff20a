"""Simulator of the Ecocito portal.

It follows the portal contract, ``../shared/portal/SPEC.md`` from the repository's root.

An independent implementation of the SPEC: it never imports the integration.
"""

from __future__ import annotations

from .app import Fault, FaultKind, PortalSimulator, RequestRecord
from .scenarios import (
    BORNES_ACCOUNT_ID,
    BORNES_LOGIN,
    BORNES_PASSWORD,
    DEMO_ACCOUNT_IDS,
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_COMMUNE,
    DEMO_LINKABLE_COMMUNE_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_PASSWORD,
    DEMO_SECOND_ACCOUNT_ID,
    EMPTY_ACCOUNT_ID,
    EMPTY_LOGIN,
    EMPTY_PASSWORD,
    LARGE_ACCOUNT_IDS,
    LARGE_LOGIN,
    LARGE_PASSWORD,
    OTHER_COMMUNE_KEY,
    OTHER_LOGIN,
    OTHER_PASSWORD,
    PUBLIC_ACCOUNT_ID,
    PUBLIC_LOGIN,
    PUBLIC_PASSWORD,
    UNSERVED_COMMUNE_ID,
    USED_KEY,
    build_scenario,
)
from .state import Account, Commune, DropOff, Login, Pickup, PortalState, PortalStyle, Visit

__all__ = [
    "BORNES_ACCOUNT_ID",
    "BORNES_LOGIN",
    "BORNES_PASSWORD",
    "DEMO_ACCOUNT_IDS",
    "DEMO_LINKABLE_ACCOUNT_ID",
    "DEMO_LINKABLE_COMMUNE",
    "DEMO_LINKABLE_COMMUNE_ID",
    "DEMO_LINKABLE_KEY",
    "DEMO_LOGIN",
    "DEMO_MAIN_ACCOUNT_ID",
    "DEMO_PASSWORD",
    "DEMO_SECOND_ACCOUNT_ID",
    "EMPTY_ACCOUNT_ID",
    "EMPTY_LOGIN",
    "EMPTY_PASSWORD",
    "LARGE_ACCOUNT_IDS",
    "LARGE_LOGIN",
    "LARGE_PASSWORD",
    "OTHER_COMMUNE_KEY",
    "OTHER_LOGIN",
    "OTHER_PASSWORD",
    "PUBLIC_ACCOUNT_ID",
    "PUBLIC_LOGIN",
    "PUBLIC_PASSWORD",
    "UNSERVED_COMMUNE_ID",
    "USED_KEY",
    "Account",
    "Commune",
    "DropOff",
    "Fault",
    "FaultKind",
    "Login",
    "Pickup",
    "PortalSimulator",
    "PortalState",
    "PortalStyle",
    "RequestRecord",
    "Visit",
    "build_scenario",
]
