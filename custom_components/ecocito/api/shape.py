"""The portal's shape, as the client last read it: names and types, never a value.

Whether or not a step failed, the client keeps the latest shape of each kind of answer
it reads: a page's forms, selects, table headers and ``data-*`` attributes
(``fingerprint.html_fingerprint``), a JSON answer's keys and value types, its rows' keys
and the types their values took, whether rows carry ``ID_MATIERE`` and an address, and
how many addresses and bins each account's rows show. Never a value, a label, a token
or an account number: digits in names and paths are masked, and accounts are listed
in the portal's order, without their numbers. From such a shape a developer can make
the simulator answer as the portal a user met.

One shape per kind, so memory is bounded; an answer is described again only when its
cheap signature (its rows' keys and types, a page's fields) differs from the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import TYPE_CHECKING, Any, Final

from . import portal
from .fingerprint import MAX_ITEMS, form_fingerprint, html_fingerprint, mask, url_path
from .parsing import find_account_select, page_account

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable

    from .html import Element
    from .models import Pickup

LOGIN: Final = "login"
"""The page the login answered with (after the redirects)."""
COLLECTION_PAGE: Final = "collection_page"
PICKUPS: Final = "pickups"
VISITS: Final = "visits"
BORNE_STATISTICS: Final = "borne_statistics"
DROP_DOWN: Final = "drop_down"
WIZARD_START: Final = "wizard_start"
WIZARD_COMMUNE_ANSWER: Final = "wizard_commune_answer"
WIZARD_KEY_ANSWER: Final = "wizard_key_answer"
COMMUNE_SEARCH: Final = "commune_search"
KINDS: Final = (
    LOGIN,
    DROP_DOWN,
    COLLECTION_PAGE,
    PICKUPS,
    VISITS,
    BORNE_STATISTICS,
    WIZARD_START,
    WIZARD_COMMUNE_ANSWER,
    WIZARD_KEY_ANSWER,
    COMMUNE_SEARCH,
)
"""The kinds of answer, in the order the shape lists them."""
_FIELDS: Final = frozenset({"form", "input", "select", "textarea", "table", "th"})
_DESCRIBED: Final = ("action", "method", "name", "type", "id")
"""The attributes whose values a page's description holds (``html_fingerprint``)."""


def type_name(value: Any) -> str:
    """Return a JSON value's type: null, bool, int, float, str, list or dict."""
    return _class_name(type(value))


def _how_many(rows: list[Mapping[str, Any]], key: str) -> str:
    """Say whether rows carry ``key`` with a value: in every row, some rows or none."""
    if not rows:
        return "no row read"
    having = sum(1 for row in rows if row.get(key) not in (None, ""))
    if having == len(rows):
        return "every row"
    return "some rows" if having else "no row"


def _class_name(cls: type) -> str:
    """Return the JSON type of a value's class, as ``type_name`` names the value's."""
    if cls is type(None):
        return "null"
    if issubclass(cls, Mapping):
        return "dict"
    return "list" if issubclass(cls, list) else cls.__name__


type _Signature = frozenset[tuple[tuple[Any, ...], tuple[type, ...]]]


def _signature(items: Iterable[Mapping[str, Any]]) -> _Signature:
    """Return the distinct keys and value classes of some items.

    What their description rests on, made without naming anything: a read holds
    hundreds of rows, and is described again only when this changed.
    """
    return frozenset((tuple(item), tuple(map(type, item.values()))) for item in items)


def _keys_and_types(signature: _Signature) -> dict[str, list[str]]:
    """Return every key some items hold, with the types its values took (masked, sorted)."""
    types: dict[str, set[str]] = {}
    for keys, classes in signature:
        for key, cls in zip(keys, classes, strict=True):
            types.setdefault(mask(str(key)), set()).add(_class_name(cls))
    return {key: sorted(types[key]) for key in sorted(types)[:MAX_ITEMS]}


def _page_signature(path: str, page: Element) -> Hashable:
    """Return what a page's description rests on, in one walk.

    Its fields' tags, attribute names and the values described (a form's action and
    method, a field's name and type, a select's id), how many options each select
    offers, its table headers, and the portal's error and success marks.
    """
    marks = frozenset({portal.ERROR_SUMMARY_CLASS, portal.LINK_SUCCESS_CLASS})
    return (
        path,
        tuple(
            (
                element.tag,
                tuple(sorted(element.attrs)),
                tuple(element.attrs.get(name) for name in _DESCRIBED),
                len(element.find_all("option")) if element.tag == "select" else 0,
                element.text if element.tag == "th" else "",
                tuple(sorted(element.classes & marks)),
            )
            for element in page.iter()
            if element.tag in _FIELDS
            or element.classes & marks
            or any(name.startswith("data-") for name in element.attrs)
        ),
    )


class PortalShape:
    """The latest shape of each kind of answer read, and what each account's rows show."""

    def __init__(self) -> None:
        """Start with nothing read."""
        self._shapes: dict[str, tuple[Hashable, dict[str, Any]]] = {}
        self._rows_show: dict[int, dict[str, int]] = {}

    def _keep(self, kind: str, signature: Hashable, describe: Callable[[], dict[str, Any]]) -> None:
        """Keep the shape of a kind, described again only when its signature changed."""
        if (kept := self._shapes.get(kind)) is None or kept[0] != signature:
            self._shapes[kind] = (signature, describe())

    def page(self, kind: str, path: str, page: Element) -> None:
        """Keep the shape of a page."""
        self._keep(
            kind,
            _page_signature(path, page),
            lambda: {"path": url_path(path), "html": html_fingerprint(page)},
        )

    def drop_down(self, page: Element) -> None:
        """Keep the shape of the account drop-down as a page shows it, or that it does not."""
        select = find_account_select(page)
        if select is None:
            named = page_account(page).id != portal.UNNUMBERED_ACCOUNT_ID
            self._keep(DROP_DOWN, named, lambda: {"present": False, "names_account": named})
            return
        form = next((f for f in page.find_all("form") if select in f.iter()), None)
        shape = {
            "present": True,
            "select": {
                "id": mask(select.attrs.get("id", "")),
                "name": mask(select.attrs.get("name", "")),
                "options": len(select.find_all("option")),
            },
            "form": None if form is None else form_fingerprint(form),
        }
        self._keep(DROP_DOWN, json.dumps(shape, sort_keys=True), lambda: shape)

    def envelope(self, kind: str, payload: Any) -> None:
        """Keep the keys and value types of a JSON answer's envelope (its rows apart)."""
        if isinstance(payload, Mapping):
            fields = {str(key): type_name(value) for key, value in payload.items()}
            signature: Hashable = tuple(fields.items())
        else:
            fields, signature = {}, type_name(payload)
        self._keep(
            f"{kind}.envelope",
            signature,
            lambda: {
                "type": type_name(payload),
                "keys": {mask(key): fields[key] for key in sorted(fields)[:MAX_ITEMS]},
            },
        )

    def rows(self, kind: str, rows: list[Mapping[str, Any]]) -> None:
        """Keep the keys of a data endpoint's rows and the types their values took.

        Of pickup rows, also whether they carry their waste type and an address.
        """
        marks = (
            {key: _how_many(rows, key) for key in (portal.ROW_WASTE_TYPE, portal.ROW_ADDRESS)}
            if kind == PICKUPS
            else {}
        )
        signature = _signature(rows)
        self._keep(
            f"{kind}.rows",
            (signature, tuple(marks.values())),
            lambda: {"keys": _keys_and_types(signature), **marks},
        )

    def items(self, kind: str, payload: Any) -> None:
        """Keep the shape of a JSON list answer: how many items, their keys and types."""
        items = payload if isinstance(payload, list) else []
        signature = _signature(item for item in items if isinstance(item, Mapping))
        self._keep(
            kind,
            (type_name(payload), len(items), signature),
            lambda: {
                "type": type_name(payload),
                "items": len(items),
                "keys": _keys_and_types(signature),
            },
        )

    def failed(self, kind: str, status: int) -> None:
        """Keep that a kind of answer was asked for and answered with an HTTP error."""
        self._keep(kind, ("http_error", status), lambda: {"http_error": status})

    def account_rows(self, account_id: int, pickups: Iterable[Pickup]) -> None:
        """Keep how many addresses and bins an account's latest rows show (never which)."""
        addresses: set[str] = set()
        bins: set[str] = set()
        for pickup in pickups:
            if pickup.address:
                addresses.add(pickup.address)
            if pickup.bin_number:
                bins.add(pickup.bin_number)
        self._rows_show[account_id] = {"addresses": len(addresses), "bins": len(bins)}

    def as_dict(self, account_ids: Iterable[int]) -> dict[str, Any]:
        """Return the shape of every kind read, and what the accounts' rows show.

        The accounts given, in their order, without their numbers.
        """
        shape: dict[str, Any] = {}
        for kind in KINDS:
            parts = {
                part: self._shapes[key][1]
                for part in ("envelope", "rows")
                if (key := f"{kind}.{part}") in self._shapes
            }
            if kind in self._shapes:
                shape[kind] = self._shapes[kind][1]
            elif parts:
                shape[kind] = parts
        shape["account_rows"] = [
            self._rows_show[account_id]
            for account_id in account_ids
            if account_id in self._rows_show
        ]
        return shape
