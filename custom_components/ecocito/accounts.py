"""The login's accounts: what its list says, against the accounts already known.

A login whose pages show no drop-down is one account. An account missing from the
list keeps its device and last data until it has been missing from CONFIRM_AFTER
successful polls in a row (``confirm.py``); an empty list where accounts were linked is
believed only as often. A missing drop-down says nothing of the accounts known: they
keep their last data. Home Assistant-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
from typing import TYPE_CHECKING

from .api import UNNUMBERED_ACCOUNT_ID, Account, casefold_without_accents
from .confirm import CONFIRM_AFTER, Streak
from .optional_parts import ACCOUNT_DROP_DOWN

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .api import AccountList
    from .memory import Memory
    from .models import AccountState

_LOGGER = logging.getLogger(__package__)


class NoAccountsError(Exception):
    """The drop-down listed no account where accounts were linked: not believed yet."""


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


class KnownAccounts:
    """The accounts known so far (those with a device, at first), and who is missing."""

    def __init__(self, memory: Memory, devices: Callable[[], dict[int, str]]) -> None:
        """Count absences in ``memory``; ``devices`` lists the accounts that have a device."""
        self._memory = memory
        self._devices = devices
        self._known: dict[int, str] | None = None
        self._empty: Streak[None] = Streak()

    @property
    def known(self) -> dict[int, str]:
        """Return the accounts known, and their labels."""
        if self._known is None:
            self._known = self._devices()
        return self._known

    def listing(self, linked: AccountList) -> Listing:
        """Read the account list; an empty one where accounts were linked is not believed.

        It raises NoAccountsError CONFIRM_AFTER - 1 times in a row.
        """
        if linked.accounts or not self.known:
            self._empty.clear(None)
        elif not self._empty.note(None):
            _LOGGER.debug("The portal listed no account (%s in a row)", self._empty.count(None))
            raise NoAccountsError
        return listing(linked, self.known)

    def count_absent(
        self,
        listing: Listing,
        previous: Mapping[int, AccountState],
        accounts: dict[int, AccountState],
    ) -> list[Account]:
        """Count the polls known accounts are missing from; return those now unlinked.

        An account still missing keeps its last data in ``accounts``.
        """
        known = self.known
        absent = self._memory.absent
        unlinked: list[Account] = []
        listed = listing.listed
        for account_id, label in known.items():
            if account_id in listed or account_id in listing.renumbered:
                absent.clear(account_id)
                continue
            before = previous.get(account_id)
            if absent.note(account_id):
                unlinked.append(before.account if before else Account(id=account_id, label=label))
                absent.clear(account_id)
                self._memory.forget(account_id)
                continue
            _LOGGER.info(
                "Account %s is missing from the portal's list (%s of %s polls)",
                account_id,
                absent.count(account_id),
                CONFIRM_AFTER,
            )
            if before is not None:
                accounts[account_id] = before
        missing = {key: count for key, count in absent.counts().items() if key in known}
        absent.keep(missing)
        self._known = {**{key: known[key] for key in missing}, **listed}
        # A renumbered account's rows stay: the coordinator moves them to its number.
        for gone in set(self._memory.past_rows) - set(self._known) - set(listing.renumbered):
            del self._memory.past_rows[gone]
        return unlinked
