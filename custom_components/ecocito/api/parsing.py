"""Turn the portal's pages and JSON answers into models.

Every function raises :class:`PortalChangedError` naming what it could not find, so a
change of the portal's markup is reported precisely instead of as a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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


def parse_accounts(page: Element) -> AccountList:
    """Read the account drop-down: the linked accounts and the active one."""
    what = "account drop-down"
    accounts: list[Account] = []
    active_id: int | None = None
    select = find_account_select(page)
    if select is None:
        raise PortalChangedError(f"{what} (select #{portal.ACCOUNT_SELECT_ID}) is missing")
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


def parse_pickup(row: Mapping[str, Any], waste_type_id: int) -> Pickup:
    """Turn a GetCollecte row into a pickup of the waste type that was asked for."""
    return Pickup(
        date=parse_local_datetime(row.get(portal.ROW_DATE)),
        waste_type_id=waste_type_id,
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


def _strict_int(item: Mapping[str, Any], field: str, what: str) -> int:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PortalChangedError(f"{what}: {field} is missing or not an integer: {value!r}")
    return value


def parse_monthly_counts(payload: Any, year: int, what: str) -> tuple[MonthlyCount, ...]:
    """Read a monthly statistics answer: the year's twelve months, January first.

    A month the list leaves out counts 0, and so does every month of ``[]`` (an
    account without a borne). Anything else than a list of objects with an integer
    count (at least 0), a month from 1 to 12 given once and, if given, the year asked
    for is a portal change.
    """
    if not isinstance(payload, list):
        raise PortalChangedError(f"{what}: the answer is not a list")
    counts: dict[int, int] = {}
    for item in payload:
        if not isinstance(item, Mapping):
            raise PortalChangedError(f"{what}: an item is not an object")
        count = _strict_int(item, portal.STAT_COUNT, what)
        month = _strict_int(item, portal.STAT_MONTH, what)
        if portal.STAT_YEAR in item and _strict_int(item, portal.STAT_YEAR, what) != year:
            raise PortalChangedError(f"{what}: a month of another year than {year}")
        if count < 0 or not 1 <= month <= 12 or month in counts:
            raise PortalChangedError(f"{what}: unexpected month {month} counting {count}")
        counts[month] = count
    return tuple(
        MonthlyCount(year=year, month=month, count=counts.get(month, 0)) for month in range(1, 13)
    )


def parse_communes(payload: Any) -> tuple[Commune, ...]:
    """Read the wizard's commune search answer."""
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
    return tuple(communes)
