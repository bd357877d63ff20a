"""What a poll asks the portal: the whole login (a full read), or a look at accounts due.

I/O only: which days and borne years to ask for, whether rows that came back short are
read again, whether a look's count calls for the pickups — it follows the step's rules
(``step.py``), reading the entry's state, and decides nothing the step decides.
Home Assistant-free: it is given the client, the state, the time and the options.
"""

from __future__ import annotations

from datetime import date
import logging
from typing import TYPE_CHECKING

from .accounts import listing
from .api import PORTAL_TZ, UnknownAccountError
from .step import FullRead, Look, Looks, ask, came_back_short

if TYPE_CHECKING:
    from datetime import datetime

    from .api import AccountData, EcocitoClient
    from .state import EntryState
    from .step import Ask

_LOGGER = logging.getLogger(__package__)


async def read_login(
    client: EcocitoClient, state: EntryState, history_years: int, now: datetime
) -> FullRead:
    """Log in (a fresh session), then read every account the list says to read.

    An account whose switch is refused is left out of the read (the step keeps its
    last data).
    """
    known = state.known
    # A login whose pages never name its one account: it is the one already known.
    client.unnumbered_id = next(iter(known)) if len(known) == 1 else None
    linked = await client.login()
    listed = listing(linked, known)
    today = now.astimezone(PORTAL_TZ).date()
    history_start = date(today.year - history_years, 1, 1)
    held_ids = {new: old for old, new in listed.renumbered.items()}
    accounts: dict[int, tuple[Ask, AccountData]] = {}
    for account in listed.read:
        held_id = held_ids.get(account.id, account.id)
        asked = ask(state, held_id, today, history_start)
        try:
            for _attempt in range(2):  # rows that came back short are read again once
                fetched = await client.get_account_data(
                    account.id, asked.start, asked.today, borne_years=asked.borne_years
                )
                if not came_back_short(state, held_id, asked, fetched):
                    break
        except UnknownAccountError as err:
            _LOGGER.info("The portal refused to switch to account %s: %s", account.id, err)
            continue
        accounts[account.id] = (asked, fetched)
    return FullRead(linked=linked, accounts=accounts, history_start=history_start)


async def look(
    client: EcocitoClient, state: EntryState, due: frozenset[int], now: datetime
) -> Looks:
    """Look at the accounts due: read their pickups only when anything arrived.

    A look asks for one row of this year's pickups of every type: its total tells
    whether rows came (late uploads included) or went. Then one read of the account's
    pickups of every type; no account list, no visits.
    """
    today = now.astimezone(PORTAL_TZ).date()
    year_start = date(today.year, 1, 1)
    held = state.held
    accounts = held.accounts if held else {}
    looks: dict[int, Look] = {}
    # The session's active account first: looking at it posts no switch.
    active = client.active_account
    for account_id in sorted(due, key=lambda account_id: (account_id != active, account_id)):
        if (before := accounts.get(account_id)) is None:
            continue
        try:
            total = await client.count_pickups(account_id, year_start, today)
            looks[account_id] = Look(total=total)
            if total is not None and total == state.totals.get(account_id, len(before.pickups)):
                continue
            pickups = await client.get_pickups(account_id, before.waste_types, year_start, today)
        except UnknownAccountError as err:
            _LOGGER.info("The portal refused to switch to account %s: %s", account_id, err)
            continue
        looks[account_id] = Look(total=total, pickups=pickups)
    return Looks(looks=looks)
