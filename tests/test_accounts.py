"""The account list against the accounts known (accounts.py), on its own: no portal needed."""

from __future__ import annotations

import pytest

from custom_components.ecocito.accounts import absences, listing
from custom_components.ecocito.api import UNNUMBERED_ACCOUNT_ID, Account, AccountList
from custom_components.ecocito.confirm import CONFIRM_AFTER

HOME = Account(id=104233, label="N° 104233 - 12 RUE DES LILAS 23000 GUERET")
COTTAGE = Account(id=118871, label="N° 118871 - LE BOURG 23200 AUBUSSON")
SHOP = Account(id=131313, label="N° 131313 - 2 PLACE DU MARCHE 23000 GUERET")


def drop_down(*accounts: Account, active: Account | None = None) -> AccountList:
    return AccountList(accounts=accounts, active_id=(active or accounts[0]).id)


@pytest.mark.parametrize(
    ("known_label", "active", "expected"),
    [
        # Named alike (accents and case aside): that one, whichever is selected.
        ("12 Rue des Lilas 23000 Guéret", COTTAGE, HOME),
        # Named otherwise (the portal's name): the one the drop-down selects.
        ("Ecocito gueret", COTTAGE, COTTAGE),
        # No label at all: the selected one too.
        ("", SHOP, SHOP),
    ],
    ids=["same_address", "selected", "unlabelled"],
)
def test_the_unnumbered_account_is_the_one_the_drop_down_names(
    known_label: str, active: Account, expected: Account
) -> None:
    """A drop-down appearing later names the login's one account: it keeps its history."""
    found = listing(
        drop_down(HOME, COTTAGE, SHOP, active=active), {UNNUMBERED_ACCOUNT_ID: known_label}
    )
    assert found.renumbered == {UNNUMBERED_ACCOUNT_ID: expected.id}
    assert [account.id for account in found.read] == [HOME.id, COTTAGE.id, SHOP.id]


def test_the_first_new_account_when_the_selected_one_was_known() -> None:
    """Neither named alike nor selected (the selected one is known): the first new one."""
    known = {UNNUMBERED_ACCOUNT_ID: "Ecocito gueret", HOME.id: HOME.label}
    found = listing(drop_down(HOME, COTTAGE, SHOP, active=HOME), known)
    assert found.renumbered == {UNNUMBERED_ACCOUNT_ID: COTTAGE.id}


def test_no_renumbering_without_a_new_account() -> None:
    """Every listed account known already: the unnumbered one is missing, not renamed."""
    found = listing(drop_down(HOME), {UNNUMBERED_ACCOUNT_ID: "x", HOME.id: HOME.label})
    assert found.renumbered == {}


def test_a_missing_drop_down_keeps_the_accounts_known() -> None:
    """Several accounts known, no drop-down: they keep their data; the named one is read."""
    found = listing(
        AccountList(accounts=(HOME,), active_id=HOME.id, listed=False),
        {HOME.id: HOME.label, COTTAGE.id: COTTAGE.label},
    )
    assert found.read == [HOME]
    assert found.kept == [COTTAGE.id]
    assert set(found.listed) == {HOME.id, COTTAGE.id}
    assert found.problems == {"account_drop_down": "the pages show no account drop-down"}


def test_absences_are_believed_at_the_third_full_read() -> None:
    """An account missing from the list is unlinked at its CONFIRM_AFTER-th absence in a
    row; one listed again is forgiven; the unnumbered account given its number is not
    missing."""
    known = {HOME.id: HOME.label, COTTAGE.id: COTTAGE.label}
    only_home = listing(drop_down(HOME), known)
    counts: dict[int, int] = {}
    for read in range(1, CONFIRM_AFTER):
        counts, unlinked = absences(known, only_home, counts)
        assert (counts, unlinked) == ({COTTAGE.id: read}, [])
    assert absences(known, only_home, counts) == ({}, [COTTAGE.id])
    # Listed again before the third: forgiven.
    assert absences(known, listing(drop_down(HOME, COTTAGE), known), {COTTAGE.id: 2}) == ({}, [])
    renumbering = listing(drop_down(HOME), {UNNUMBERED_ACCOUNT_ID: "12 rue des lilas"})
    assert renumbering.renumbered == {UNNUMBERED_ACCOUNT_ID: HOME.id}
    assert absences({UNNUMBERED_ACCOUNT_ID: "x"}, renumbering, {}) == ({}, [])
