"""Constants of the Ecocito integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "ecocito"
LOGGER = logging.getLogger(__package__)

CONF_PORTAL: Final = "portal"
"""Entry data: the portal's normalised base URL."""
CONF_LINK_WIZARD: Final = "link_wizard"
"""Option, learnt: whether the portal has the association wizard (absent: not known yet).

An option and not entry data: the data are the credentials the client was made with, and
a change of them reloads the entry; this is learnt while the entry runs."""
CONF_HISTORY_YEARS: Final = "history_years"
"""Option: how many past years of history to keep."""
DEFAULT_HISTORY_YEARS: Final = 2
MAX_HISTORY_YEARS: Final = 5

CONF_COMMUNE: Final = "commune"
"""Wizard and action field: postal code or name of the commune of the production point."""
CONF_COMMUNE_ID: Final = "commune_id"
"""Wizard field: the commune picked among several matches."""
CONF_ACTIVATION_KEY: Final = "activation_key"
"""Wizard and action field; never stored, never logged."""
CONF_CHANGE_COMMUNE: Final = "change_commune"
"""Wizard field: back to the commune search, from the list of matches or the key."""

SUBENTRY_PRODUCTION_POINT: Final = "production_point"
SERVICE_LINK_PRODUCTION_POINT: Final = "link_production_point"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

MANUFACTURER: Final = "Ecocito"
ISSUE_TRACKER: Final = "https://github.com/ecocito-ha/ecocito/issues"
"""Where users report bugs (the manifest's issue_tracker): the repair issue links to it."""

EVENT_ACCOUNT_LINKED: Final = f"{DOMAIN}_account_linked"
"""Event bus: an account was linked to a login (data: config_entry_id, account_id, label)."""
EVENT_ACCOUNT_UNLINKED: Final = f"{DOMAIN}_account_unlinked"
"""Event bus: an account disappeared from a login's list (same data)."""
EVENT_PICKUP: Final = f"{DOMAIN}_pickup"
"""Event bus: a new pickup (data: config_entry_id, account_id, waste_type_id, waste_type, date,
weight, anomaly: "duplicate", "zero_weight" or None)."""
EVENT_PICKUP_MISSED: Final = f"{DOMAIN}_pickup_missed"
"""Event bus: an expected pickup did not come (data: config_entry_id, account_id,
waste_type_id, waste_type, expected_date, holiday: the public holiday it fell on, or None).
Once per pickup, never again after a restart (see forecast.py)."""
EVENT_TYPE_ACCOUNT_LINKED: Final = "account_linked"
EVENT_TYPE_ACCOUNT_UNLINKED: Final = "account_unlinked"
EVENT_TYPE_PICKUP: Final = "pickup"

CONF_ALLOWANCES: Final = "allowances"
"""Option: the pay-as-you-throw allowance of each account (see allowance.py)."""
CONF_INCLUDED: Final = "included"
CONF_PRICE: Final = "price"
CONF_VISITS: Final = "visits"
"""Allowance option: recycling-centre visits included per year."""
CONF_VISIT_PRICE: Final = "visit_price"
CONF_BORNE_INCLUDED: Final = "borne_included"
CONF_BORNE_PRICE: Final = "borne_price"
CONF_ACCOUNT: Final = "account"
"""Options flow field: the account whose allowance is edited."""

SERVICE_GET_PICKUPS: Final = "get_pickups"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

WASTE_TYPE_KEYS: Final = (
    "pickups",
    "weight",
    "last_pickup",
    "last_pickup_weight",
    "bin_number",
    "chip_number",
    "next_pickup",
    "missed_pickup",
)
"""The keys of the entities a waste type has at a place, from its first pickup on."""
