"""The login's accounts: what its list says, against the accounts already known.

A login whose pages show no drop-down is one account. An account missing from the
list keeps its device and last data until it has been missing from CONFIRM_AFTER full
reads in a row (``confirm.py``); an empty list where accounts were linked is believed
only as often (``step.py`` counts both). A missing drop-down says nothing of the
accounts known: they keep their last data. Pure and Home Assistant-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .api import UNNUMBERED_ACCOUNT_ID, casefold_without_accents
from .confirm import CONFIRM_AFTER
from .optional_parts import ACCOUNT_DROP_DOWN

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .api import Account, AccountList


@dataclass(slots=True)
class Listing:
    """What the login's account list says, and what the reader makes of it."""

    read: list[Account]
    """The accounts to read."""
    listed: dict[int, str]
    """The accounts the list shows (or that it says nothing against), and their labels."""
    kept: list[int] = field(default_factory=list)
    """Known accounts the list says nothing of: their last data stays."""
    renumbered: dict[int, int] = field(default_factory=dict)
    """The unnumbered account's number, now that a drop-down names it."""
    problems: dict[str, str] = field(default_factory=dict)


def listing(linked: AccountList, known: Mapping[int, str]) -> Listing:
    """Read the account list against the accounts already known.

    A login whose pages show no drop-down is one account. But where several accounts
    are known, a missing drop-down says nothing of them: they keep their last data,
    and the account the page names (if known) is read. Once a drop-down appears, the
    unnumbered account of such a login is the one it names alike (by address), else
    the one it selects.
    """
    listed = {account.id: account.label for account in linked.accounts}
    if not linked.listed and len(known) > 1:
        named = [account for account in linked.accounts if account.id in known]
        return Listing(
            read=named,
            listed={**known, **{account.id: account.label for account in named}},
            kept=[account_id for account_id in known if account_id not in listed],
            problems={ACCOUNT_DROP_DOWN: "the pages show no account drop-down"},
        )
    renumbered: dict[int, int] = {}
    if linked.listed and UNNUMBERED_ACCOUNT_ID in known and UNNUMBERED_ACCOUNT_ID not in listed:
        label = casefold_without_accents(known[UNNUMBERED_ACCOUNT_ID])
        new = [account for account in linked.accounts if account.id not in known]
        same = [a for a in new if label and label in casefold_without_accents(a.label)]
        chosen = same or [a for a in new if a.id == linked.active_id] or new[:1]
        if chosen:
            renumbered[UNNUMBERED_ACCOUNT_ID] = chosen[0].id
    return Listing(read=list(linked.accounts), listed=listed, renumbered=renumbered)


def absences(
    known: Mapping[int, str], listed: Listing, absent: Mapping[int, int]
) -> tuple[dict[int, int], list[int]]:
    """Count the full reads known accounts are missing from; return those now unlinked.

    An account missing CONFIRM_AFTER full reads in a row is unlinked (its count goes);
    one listed again is forgiven. Return the counts in progress and the unlinked.
    """
    counts: dict[int, int] = {}
    unlinked: list[int] = []
    for account_id in known:
        if account_id in listed.listed or account_id in listed.renumbered:
            continue
        count = absent.get(account_id, 0) + 1
        if count >= CONFIRM_AFTER:
            unlinked.append(account_id)
        else:
            counts[account_id] = count
    return counts, unlinked
