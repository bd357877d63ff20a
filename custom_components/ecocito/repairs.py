"""The "portal changed" repair issue: raised when the known parts stop parsing, cleared after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_TRACKER

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

PORTAL_CHANGED_REPAIR_AFTER: Final = 3
"""Consecutive polls that fail to parse the portal before the repair issue is raised."""
REPAIR_PORTAL_CHANGED: Final = "portal_changed"


class PortalChangedRepair:
    """Count the polls in a row the portal could not be understood; tell the user at 3."""

    def __init__(self, hass: HomeAssistant, entry_id: str, portal_url: str) -> None:
        """Prepare the repair issue of one entry."""
        self._hass = hass
        self._portal_url = portal_url
        self.issue_id = f"{REPAIR_PORTAL_CHANGED}_{entry_id}"
        self._failures = 0

    def failed(self) -> None:
        """Count a poll whose answer did not parse; raise the issue once repeated."""
        self._failures += 1
        if self._failures >= PORTAL_CHANGED_REPAIR_AFTER:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self.issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=REPAIR_PORTAL_CHANGED,
                translation_placeholders={
                    "portal": self._portal_url,
                    "issue_tracker": ISSUE_TRACKER,
                },
            )

    def parsed(self) -> None:
        """Clear the issue (it may date from before a restart): the portal parses again."""
        self._failures = 0
        ir.async_delete_issue(self._hass, DOMAIN, self.issue_id)
