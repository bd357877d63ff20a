"""The portal's optional parts that fail: each costs only its own figures, and is told once.

The account drop-down and the borne statistics are modelled or optional (the portal's
SPEC): when one fails, the rest goes on, the log says so once when it starts and once
when it ends, and the diagnostics list what fails and why. Pure and Home Assistant-free.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Final

from .api import BORNE_STATISTICS

if TYPE_CHECKING:
    from collections.abc import Mapping

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


@dataclass(frozen=True, slots=True)
class Note:
    """A line for the log, worked out by a pure function and written by the coordinator."""

    level: int
    message: str
    args: tuple[object, ...] = ()


def noted(
    failing: Mapping[int | None, Mapping[str, str]],
    account_id: int | None,
    problems: Mapping[str, str],
) -> tuple[dict[int | None, Mapping[str, str]], list[Note]]:
    """Return what fails after a read found ``problems``, and what to log of the change.

    Each part is told once when it starts failing (a warning) and once when it is back.
    """
    before = failing.get(account_id, {})
    whose = "the login" if account_id is None else f"account {account_id}"
    notes = [
        Note(logging.WARNING, "%s (%s)", (_FAILING[part].replace("%s", reason), whose))
        for part, reason in problems.items()
        if part not in before
    ]
    notes += [
        Note(logging.INFO, "%s (%s)", (_BACK[part], whose)) for part in set(before) - set(problems)
    ]
    after = dict(failing)
    if problems:
        after[account_id] = dict(problems)
    else:
        after.pop(account_id, None)
    return after, notes
