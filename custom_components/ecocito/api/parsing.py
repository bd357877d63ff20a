"""Turn the portal's pages and JSON answers into models.

Every function raises :class:`PortalChangedError` naming what it could not find, so a
change of the portal's markup is reported precisely instead of as a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import re
from typing import TYPE_CHECKING, Any
import unicodedata
from zoneinfo import ZoneInfo

from . import portal
from .errors import PortalChangedError
from .models import Account, AccountList, Commune, MonthlyCount, Pickup, Visit, WasteType

if TYPE_CHECKING:
    from .html import Element

PORTAL_TZ = ZoneInfo(portal.PORTAL_TIMEZONE)


def casefold_without_accents(text: str) -> str:
    """Return ``text`` lower-cased and without accents, for tolerant comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def french_sort_key(text: str) -> tuple[str, str]:
    """Return a key that sorts names as a French list does, whatever the machine's locale.

    Accents and case count only between names otherwise equal ("BÉNÉVENT-L'ABBAYE"
    comes before "BOUSSAC", "COTE" before "CÔTE"); "Œ" reads "OE". Hyphens, apostrophes
    and spaces sort before letters ("SAINT-VAURY" before "SAINTE-FEYRE").
    """
    return casefold_without_accents(text).translate(_LIGATURES), text


# --- Pages -------------------------------------------------------------------


def is_login_page(page: Element) -> bool:
    """Return whether the page is the login page (what an expired session gets)."""
    login_path = portal.PATH_LOGIN.lower()
    return any(login_path in form.attrs.get("action", "").lower() for form in page.find_all("form"))


def error_messages(page: Element) -> list[str]:
    """Return the portal's validation messages shown on the page."""
    messages: list[str] = []
    for summary in page.find_all(class_=portal.ERROR_SUMMARY_CLASS):
        items = [item.text for item in summary.find_all("li")]
        messages.extend(item for item in (items or [summary.text]) if item)
    return messages


def portal_messages(page: Element, *, heading: bool = False) -> list[str]:
    """Return the portal's own messages on a page: validation summary, ``div.error``.

    With ``heading``, an error page without either says what happened in its ``<h1>``
    (what IIS and ASP.NET show on a 5xx).
    """
    messages = error_messages(page)
    for element in page.find_all(class_=portal.MESSAGE_CLASSES[1]):
        if (text := element.text) and text not in messages:
            messages.append(text)
    if heading and not messages and (title := page.find("h1")) is not None and title.text:
        messages.append(title.text)
    return messages


def has_success_alert(page: Element) -> bool:
    """Return whether the page carries the portal's success alert."""
    return page.find(class_=portal.LINK_SUCCESS_CLASS) is not None


def _select(page: Element, select_id: str, what: str) -> Element:
    select = page.find("select", id=select_id) or page.find("select", name=select_id)
    if select is None:
        raise PortalChangedError(f"{what} (select #{select_id}) is missing")
    return select


def find_account_select(page: Element) -> Element | None:
    """Return the account drop-down: the modelled id or name, else a select about accounts.

    The fallback is the first select whose id or name holds ``portal.ACCOUNT_SELECT_HINT``.
    """
    found = page.find("select", id=portal.ACCOUNT_SELECT_ID) or page.find(
        "select", name=portal.ACCOUNT_SELECT_ID
    )
    if found is not None:
        return found
    hint = portal.ACCOUNT_SELECT_HINT
    return next(
        (
            select
            for select in page.find_all("select")
            if hint in casefold_without_accents(select.attrs.get("id", ""))
            or hint in casefold_without_accents(select.attrs.get("name", ""))
        ),
        None,
    )


def _option_id(option: Element, what: str) -> int | None:
    value = option.attrs.get("value", option.text).strip()
    if not value:
        return None  # a placeholder option
    try:
        return int(value)
    except ValueError:
        raise PortalChangedError(f"{what} has a non-numeric option") from None


_ACCOUNT_NAME = re.compile(portal.HOME_ACCOUNT_PATTERN)


def page_account(page: Element) -> Account:
    """Return the one account of a page without a drop-down: as the page names it, if it does.

    Else the account is unnumbered and unlabelled: its rows give it a label.
    """
    for element in page.iter():
        own = "".join(child for child in element.children if isinstance(child, str))
        if found := _ACCOUNT_NAME.search(" ".join(own.split())):
            return Account(id=int(found[1]), label=f"N° {found[1]} - {found[2]}")
    return Account(id=portal.UNNUMBERED_ACCOUNT_ID, label="")


def parse_accounts(page: Element) -> AccountList:
    """Read the account drop-down: the linked accounts and the active one.

    Without a drop-down, the login is one production point (most logins).
    """
    what = "account drop-down"
    accounts: list[Account] = []
    active_id: int | None = None
    select = find_account_select(page)
    if select is None:
        account = page_account(page)
        return AccountList(accounts=(account,), active_id=account.id, listed=False)
    for option in select.find_all("option"):
        if (account_id := _option_id(option, what)) is None:
            continue
        accounts.append(Account(id=account_id, label=option.text))
        if "selected" in option.attrs:
            active_id = account_id
    if active_id is None and accounts:
        active_id = accounts[0].id  # browsers select the first option
    return AccountList(accounts=tuple(accounts), active_id=active_id)


def parse_waste_types(page: Element) -> tuple[WasteType, ...]:
    """Read the current account's waste streams from the collection page."""
    what = "waste type list"
    types: list[WasteType] = []
    for option in _select(page, portal.WASTE_TYPE_SELECT_ID, what).find_all("option"):
        type_id = _option_id(option, what)
        if type_id is None or type_id == portal.ALL_WASTE_TYPES:
            continue
        types.append(WasteType(id=type_id, label=option.text))
    return tuple(types)


# --- JSON --------------------------------------------------------------------


def parse_rows(payload: Any, what: str) -> tuple[list[Mapping[str, Any]], int | None]:
    """Return the rows of a DevExtreme answer and its total count (None if absent)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get(portal.JSON_ROWS), list):
        raise PortalChangedError(f"{what}: no '{portal.JSON_ROWS}' list in the answer")
    rows = payload[portal.JSON_ROWS]
    if not all(isinstance(row, Mapping) for row in rows):
        raise PortalChangedError(f"{what}: a row is not an object")
    total = payload.get(portal.JSON_TOTAL)
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        total = None
    return rows, total


def parse_local_datetime(value: Any, field: str = portal.ROW_DATE) -> datetime:
    """Turn the portal's naive local time into an aware Europe/Paris datetime."""
    if not isinstance(value, str):
        raise PortalChangedError(f"{field} is missing or not a date: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PortalChangedError(f"{field} is not a date: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=PORTAL_TZ)
    return parsed.astimezone(PORTAL_TZ)


def parse_number(value: Any, field: str) -> float | None:
    """Read a number that may be null, empty, numeric or a decimal-comma string."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            pass
    raise PortalChangedError(f"{field} is not a number: {value!r}")


def _optional_text(row: Mapping[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def row_waste_type(row: Mapping[str, Any]) -> int | None:
    """Return the waste type a GetCollecte row carries (``ID_MATIERE``), if it carries one."""
    value = row.get(portal.ROW_WASTE_TYPE)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def parse_pickup(row: Mapping[str, Any], waste_type_id: int) -> Pickup:
    """Turn a GetCollecte row into a pickup: of its own waste type, else of the one asked for."""
    own = row_waste_type(row)
    return Pickup(
        date=parse_local_datetime(row.get(portal.ROW_DATE)),
        waste_type_id=waste_type_id if own is None else own,
        weight=parse_number(row.get(portal.ROW_WEIGHT), portal.ROW_WEIGHT),
        address=_optional_text(row, portal.ROW_ADDRESS),
        bin_number=_optional_text(row, portal.ROW_BIN),
        chip_number=_optional_text(row, portal.ROW_CHIP),
    )


def parse_visit(row: Mapping[str, Any]) -> Visit:
    """Turn a GetApport row into a visit; only the date is required."""
    try:
        quantity = parse_number(row.get(portal.ROW_VISIT_QUANTITY), portal.ROW_VISIT_QUANTITY)
    except PortalChangedError:
        quantity = None  # a modelled, optional field: never fatal
    return Visit(
        date=parse_local_datetime(row.get(portal.ROW_DATE)),
        site=_optional_text(row, portal.ROW_VISIT_SITE),
        material=_optional_text(row, portal.ROW_VISIT_MATERIAL),
        quantity=quantity,
    )


def _count(value: Any, what: str) -> int:
    """Read a count as a tolerant client would: an integer, numeric text, a whole float."""
    number = None if isinstance(value, bool) else value
    if isinstance(number, str):
        try:
            number = float(number.strip().replace(",", "."))
        except ValueError:
            number = None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or number < 0:
        raise PortalChangedError(f"{what}: {portal.STAT_COUNT} is not a count: {value!r}")
    return number


_ASPNET_DATE = re.compile(r"/Date\((-?\d+)")
_FRENCH_DATE = re.compile(r"\b\d{1,2}/(\d{1,2})/\d{4}\b")


def _month_of(value: Any) -> int | None:
    """Return the month a field's value names: a number, a date or a French month name."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= 12 else None
    return _month_in_text(value.strip()) if isinstance(value, str) and value.strip() else None


def _month_in_text(text: str) -> int | None:
    """Return the month of a date ("2026-03-01", "01/03/2026", "/Date(…)/") or a month name."""
    if found := _ASPNET_DATE.search(text):  # ASP.NET's JSON dates: "/Date(1767222000000)/"
        return datetime.fromtimestamp(int(found[1]) / 1000, UTC).astimezone(PORTAL_TZ).month
    if found := _FRENCH_DATE.search(text):
        return _month_of(int(found[1]))
    try:
        return datetime.fromisoformat(text[:10]).month
    except ValueError:
        word = casefold_without_accents(text).split(maxsplit=1)[0].rstrip(".")
    return next(
        (
            number
            for number, name in enumerate(portal.MONTH_NAMES, start=1)
            if word == name or (len(word) >= 3 and name.startswith(word))
        ),
        None,
    )


def _item_month(item: Mapping[str, Any]) -> int | None:
    """Return an item's month: ``Mois``, else the first other field that names one."""
    if portal.STAT_MONTH in item:
        return _month_of(item[portal.STAT_MONTH])
    return next(
        (
            month
            for key, value in item.items()
            if key not in (portal.STAT_COUNT, portal.STAT_YEAR)
            and (month := _month_of(value)) is not None
        ),
        None,
    )


def parse_monthly_counts(payload: Any, year: int, what: str) -> tuple[MonthlyCount, ...]:
    """Read a monthly statistics answer: the year's twelve months, January first.

    As a tolerant client would: the count from ``Nombre`` as an integer, numeric text
    or a whole float; the month from ``Mois``, else from a date or a French month name
    in another field, else from the list's order (of twelve). A month left out counts 0,
    and so does every month of ``[]`` (an account without a borne). When no month can
    be read, one count for the whole year (``month`` None). An object of another year
    is left out; a count that is no count is a change of the portal.
    """
    if not isinstance(payload, list):
        raise PortalChangedError(f"{what}: the answer is not a list")
    items: list[tuple[int | None, int]] = []
    for item in payload:
        if not isinstance(item, Mapping):
            raise PortalChangedError(f"{what}: an item is not an object")
        if _year_of(item.get(portal.STAT_YEAR)) not in (None, year):
            continue
        items.append((_item_month(item), _count(item.get(portal.STAT_COUNT), what)))
    months = [month for month, _n in items]
    if None in months and not any(months) and len(items) == 12:
        months = list(range(1, len(items) + 1))  # the list's order
    if None in months or len(set(months)) != len(months):
        return (MonthlyCount(year=year, month=None, count=sum(n for _month, n in items)),)
    counts = dict(zip(months, (n for _month, n in items), strict=True))
    return tuple(
        MonthlyCount(year=year, month=month, count=counts.get(month, 0)) for month in range(1, 13)
    )


def _year_of(value: Any) -> int | None:
    """Return a year given as an integer or as numeric text (None: absent or unreadable)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def parse_communes(payload: Any) -> tuple[Commune, ...]:
    """Read the wizard's commune search answer, in French alphabetical order."""
    if not isinstance(payload, list):
        raise PortalChangedError("commune search: the answer is not a list")
    communes: list[Commune] = []
    for item in payload:
        try:
            communes.append(
                Commune(
                    id=int(item[portal.COMMUNE_ID]),
                    name=" ".join(str(item[portal.COMMUNE_NAME]).split()),
                    postal_code=str(item[portal.COMMUNE_POSTAL_CODE]).strip(),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise PortalChangedError(f"commune search: unexpected item {item!r}") from None
    return tuple(sorted(communes, key=lambda c: (french_sort_key(c.name), c.postal_code)))
