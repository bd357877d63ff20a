"""Make the simulator answer in the shape a diagnostics file describes.

A user's diagnostics carry ``portal_shape``: for each kind of answer the integration
read, its keys and value types, its forms and selects, whether the drop-down and the
wizard are there, how many addresses and bins each account's rows show, and never a
value. ``configure`` turns such a shape into the simulator's style, names and answer
keys, over the contents of any scenario: the portal the user met, with the
simulator's own data. A shape the simulator cannot take yet (a statistics answer of
unknown keys, say) raises ``ValueError`` naming what to add.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .state import PortalNames

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .state import Account, PortalState

STATS_KEYS = {
    ("Annee", "Mois", "Nombre"): "modelled",
    ("Libelle", "Nombre"): "text",
    ("Date", "Nombre"): "dates",
}
"""The monthly statistics' shapes by their items' keys (``PortalStyle.stats``); the items
holding ``Nombre`` alone are twelve ("order") or one ("total")."""


def _shown(answer: Mapping[str, Any]) -> bool:
    """Return whether the portal showed a part: an HTTP 404 is a part it leaves out; another
    error is no shape but a fault to inject (``Fault``)."""
    if (status := answer.get("http_error")) is None:
        return True
    if status != 404:
        raise ValueError(f"HTTP {status} is not a shape: inject a Fault (FaultKind.SERVER_ERROR)")
    return False


def _stats(shape: Mapping[str, Any]) -> str:
    """Return the statistics style whose answers have this shape."""
    if not _shown(shape):
        return "missing"
    keys = tuple(sorted(shape["keys"]))
    if keys == ("Nombre",) and shape["items"] in (1, 12):
        return "total" if shape["items"] == 1 else "order"
    if keys in STATS_KEYS:
        return STATS_KEYS[keys]
    raise ValueError(f"the simulator has no statistics answer with keys {keys}: add one to data.py")


def _drop_down_names(names: PortalNames, drop_down: Mapping[str, Any]) -> PortalNames:
    """Return the names of the drop-down's select and form, as the shape gives them."""
    form = drop_down.get("form") or {}
    hidden = [name for name, kind in form.get("inputs", []) if kind == "hidden"]
    return replace(
        names,
        account_select_id=drop_down["select"]["id"] or names.account_select_id,
        account_field=drop_down["select"]["name"] or names.account_field,
        switch_path=form.get("action") or names.switch_path,
        switch_method=form.get("method") or names.switch_method,
        token_field=hidden[0] if hidden else names.token_field,
    )


def _spread(account: Account, addresses: int, bins: int) -> None:
    """Give an account's pickups that many addresses and bins, in turn."""
    for index, pickup in enumerate(account.pickups):
        if bins:
            pickup.bin_number = f"{account.id % 1_000_000:06d}{index % bins + 1:02d}"
        if addresses > 1:
            pickup.address = f"{index % addresses + 1} {account.address}"


def configure(state: PortalState, shape: Mapping[str, Any], login: str) -> None:
    """Make ``state`` answer ``login`` in ``shape`` (a diagnostics file's ``portal_shape``)."""
    style = state.style
    if (drop_down := shape.get("drop_down")) is not None:
        style = replace(
            style,
            drop_down=drop_down["present"],
            names_account=drop_down.get("names_account", True),
        )
        if drop_down["present"]:
            state.names = _drop_down_names(state.names, drop_down)
    if (pickups := shape.get("pickups", {}).get("rows")) is not None:
        style = replace(style, typed_rows=pickups["ID_MATIERE"] != "no row")
    if (statistics := shape.get("borne_statistics")) is not None:
        style = replace(style, stats=_stats(statistics))
    if (wizard := shape.get("wizard_start")) is not None:
        style = replace(style, wizard=_shown(wizard))
    state.style = style
    for kind in ("pickups", "visits"):
        for part in ("rows", "envelope"):
            if (answer := shape.get(kind, {}).get(part)) is not None:
                state.answer_keys[f"{kind}.{part}"] = answer["keys"]
    accounts = state.linked_accounts(login)[: len(shape.get("account_rows", []))]
    for account, shown in zip(accounts, shape.get("account_rows", []), strict=True):
        _spread(account, shown["addresses"], shown["bins"])
