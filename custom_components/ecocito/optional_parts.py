"""The portal's optional parts that fail: each costs only its own figures, and is told once.

The account drop-down and the borne statistics are modelled or optional (the portal's
SPEC): when one fails, the rest goes on, the log says so once when it starts and once
when it ends, and the diagnostics list what fails and why. Home Assistant-free.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from .api import BORNE_STATISTICS

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__package__)

ACCOUNT_DROP_DOWN: Final = "account_drop_down"
_FAILING: Final = {
    ACCOUNT_DROP_DOWN: "The portal's pages show no account drop-down: the accounts it listed "
    "before keep their last data until it shows again",
    BORNE_STATISTICS: "The portal's borne statistics could not be read (%s): only the borne "
    "figures are affected, and they keep their last value",
}
_BACK: Final = {
    ACCOUNT_DROP_DOWN: "The portal's pages show the account drop-down again",
    BORNE_STATISTICS: "The portal's borne statistics are read again",
}


class OptionalParts:
    """Per account (None: the login itself), the optional parts failing now, and why."""

    def __init__(self) -> None:
        """Start with nothing failing."""
        self.failing: dict[int | None, dict[str, str]] = {}

    def note(self, account_id: int | None, problems: Mapping[str, str]) -> None:
        """Remember what a read found failing; log each part once when it starts and ends."""
        before = self.failing.get(account_id, {})
        whose = "the login" if account_id is None else f"account {account_id}"
        for part, reason in problems.items():
            if part not in before:
                _LOGGER.warning("%s (%s)", _FAILING[part].replace("%s", reason), whose)
        for part in set(before) - set(problems):
            _LOGGER.info("%s (%s)", _BACK[part], whose)
        if problems:
            self.failing[account_id] = dict(problems)
        else:
            self.failing.pop(account_id, None)
