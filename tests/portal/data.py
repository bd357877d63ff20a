"""JSON answers of the data endpoints (DevExtreme data-source style).

Known: the query shape (`skip`, `take`, `requireTotalCount`, `sort`, `idMatiere`,
`dateDebut`, `dateFin`), the `{"data": [...], "totalCount": N}` envelope and the row
fields `DATE_DONNEE`, `QUANTITE_NETTE`, `LIBELLE_ADRESSE`, `NumeroCuve`, `NumeroPuce`.
Everything else in a row is noise the client must not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from .state import Account, Pickup, Visit


class QueryError(ValueError):
    """The query string cannot be understood (the portal answers 400)."""


@dataclass(frozen=True)
class DataQuery:
    """A parsed DevExtreme load request."""

    start: date | None
    end: date | None
    type_id: int
    skip: int
    take: int | None
    require_total: bool
    descending: bool

    def keeps(self, when: datetime) -> bool:
        day = when.date()
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def _int(query: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"{name}: not an integer: {raw!r}") from None


def _day(query: Mapping[str, str], name: str) -> date | None:
    """`2026-03-04T00:00:00.000Z` -> the local calendar date 2026-03-04."""
    raw = query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise QueryError(f"{name}: not a date: {raw!r}") from None


def _descending(raw: str | None) -> bool:
    if not raw:
        return False
    try:
        sort = json.loads(raw)
    except ValueError:
        raise QueryError(f"sort: not JSON: {raw!r}") from None
    if isinstance(sort, dict):
        sort = [sort]
    if not isinstance(sort, list):
        raise QueryError("sort: not a list")
    for item in sort:
        if isinstance(item, dict) and item.get("selector") == "DATE_DONNEE":
            return bool(item.get("desc", False))
    return False


def parse_query(query: Mapping[str, str], max_take: int | None = None) -> DataQuery:
    skip = _int(query, "skip", 0) or 0
    take = _int(query, "take", None)
    if skip < 0 or (take is not None and take < 0):
        raise QueryError("skip/take must not be negative")
    if max_take is not None:
        take = max_take if take is None else min(take, max_take)
    type_id = _int(query, "idMatiere", -1)
    return DataQuery(
        start=_day(query, "dateDebut"),
        end=_day(query, "dateFin"),
        type_id=-1 if type_id is None else type_id,
        skip=skip,
        take=take,
        require_total=query.get("requireTotalCount", "").lower() == "true",
        descending=_descending(query.get("sort")),
    )


def iso_local(when: datetime) -> str:
    """Naive local ISO 8601, with milliseconds only when there are some."""
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond // 1000:03d}"
    return text


def _weight(pickup: Pickup) -> float | int | str | None:
    if pickup.weight is None:
        return None
    if pickup.weight == 0:
        return 0
    if pickup.weight_text:
        return f"{pickup.weight:g}".replace(".", ",")
    return float(pickup.weight)


def pickup_row(account: Account, pickup: Pickup, *, typed: bool = True) -> dict[str, Any]:
    """One GetCollecte row; ``typed``: with its waste type (ID_MATIERE), as public clients see."""
    bin_number = pickup.bin_number or account.bin_number(pickup.type_id)
    row: dict[str, Any] = {
        "ID_LEVEE": pickup.id,
        "DATE_DONNEE": iso_local(pickup.when),
        "QUANTITE_NETTE": _weight(pickup),
        "LIBELLE_ADRESSE": pickup.address or account.address,
        "NumeroCuve": bin_number,
        "NumeroPuce": account.chip_number(pickup.type_id)
        if pickup.bin_number is None
        else f"{int(bin_number) * 7919 % 16**8:08X}",
        "LIBELLE_MATIERE": account.waste_types.get(pickup.type_id, ""),
        "CODE_TOURNEE": f"T{pickup.when.isoweekday()}{pickup.type_id % 10}",
        "DATE_INTEGRATION": iso_local(
            (pickup.when + timedelta(days=1)).replace(hour=2, minute=15, second=0, microsecond=0)
        ),
        "ID_COMPTE": account.id,
    }
    if typed and not pickup.untyped:
        row["ID_MATIERE"] = pickup.type_id
    return row


def visit_row(account: Account, visit: Visit) -> dict[str, Any]:
    return {
        "ID_APPORT": visit.id,
        "DATE_DONNEE": iso_local(visit.when),
        "LIBELLE_DECHETERIE": visit.site,
        "LIBELLE_MATIERE": visit.material,
        "QUANTITE": visit.quantity,
        "UNITE": "m3" if visit.quantity is not None else None,
        "TYPE_APPORT": "Déchèterie",
        "ID_COMPTE": account.id,
    }


def page(rows: Sequence[dict[str, Any]], query: DataQuery) -> dict[str, Any]:
    """Sort (rows come in ascending date order), slice and wrap like DevExtreme."""
    ordered = list(reversed(rows)) if query.descending else list(rows)
    end = None if query.take is None else query.skip + query.take
    return {
        "data": ordered[query.skip : end],
        "totalCount": len(ordered) if query.require_total else -1,
        "summary": None,
        "groupCount": -1,
    }


def monthly_counts(
    moments: Iterable[datetime],
    start: date | None,
    end: date | None,
    *,
    skip_empty: bool = False,
) -> list[dict[str, int]]:
    """One entry per month of [start, end] (bounded by the data when open).

    ``skip_empty`` leaves out the months counting 0, as the SPEC allows.
    """
    counts: dict[tuple[int, int], int] = {}
    for when in moments:
        day = when.date()
        if (start is None or day >= start) and (end is None or day <= end):
            key = (day.year, day.month)
            counts[key] = counts.get(key, 0) + 1
    if start is None or end is None:
        if not counts:
            return []
        first, last = min(counts), max(counts)
        start = start or date(first[0], first[1], 1)
        end = end or date(last[0], last[1], 1)
    result: list[dict[str, int]] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        if counts.get((year, month)) or not skip_empty:
            result.append({"Annee": year, "Mois": month, "Nombre": counts.get((year, month), 0)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


FRENCH_MONTHS = (
    "Janvier",
    "Février",
    "Mars",
    "Avril",
    "Mai",
    "Juin",
    "Juillet",
    "Août",
    "Septembre",
    "Octobre",
    "Novembre",
    "Décembre",
)


def reshape_counts(months: list[dict[str, int]], shape: str) -> list[dict[str, Any]]:
    """The monthly counts in another shape a portal may use (``PortalStyle.stats``).

    ``months`` are the modelled ones (Annee, Mois, Nombre) of one year, every month listed.
    """
    if shape == "text":
        return [
            {"Libelle": f"{FRENCH_MONTHS[m['Mois'] - 1]} {m['Annee']}", "Nombre": str(m["Nombre"])}
            for m in months
        ]
    if shape == "dates":
        return [
            {
                "Date": f"/Date({int(datetime(m['Annee'], m['Mois'], 2).timestamp() * 1000)})/",
                "Nombre": float(m["Nombre"]),
            }
            for m in months
        ]
    if shape == "order":
        return [{"Nombre": m["Nombre"]} for m in months]
    if shape == "total":
        return [{"Nombre": sum(m["Nombre"] for m in months)}] if months else []
    return list(months)


FILLERS: dict[str, Any] = {"null": None, "bool": False, "int": 0, "float": 0.0, "str": ""}
"""A value of each JSON type, for a key an answer has and the simulator knows nothing of."""
WITHHELD = frozenset({"ID_MATIERE"})
"""Keys never invented: a row without its waste type is how the portal's style says it."""


def json_type(value: Any) -> str:
    """Return a JSON value's type as a diagnostics file writes it (null, int, str...)."""
    if value is None:
        return "null"
    return (
        "dict"
        if isinstance(value, dict)
        else "list"
        if isinstance(value, list)
        else type(value).__name__
    )


def _as(value: Any, types: Sequence[str]) -> Any:
    """Return ``value`` as one of ``types``: as it is if it is one, else converted."""
    if json_type(value) in types:
        return value
    if "str" in types and value is not None:
        return str(value).replace(".", ",") if isinstance(value, float) else str(value)
    if "float" in types and isinstance(value, int | str) and not isinstance(value, bool):
        return float(str(value).replace(",", "."))
    return None if "null" in types else FILLERS[types[0]]


def reshape(answer: dict[str, Any], keys: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Return an answer (a row, an envelope) with exactly the keys given, of their types.

    A key the answer lacks gets a value of its first type (a WITHHELD one stays out).
    """
    return {
        key: _as(answer[key], types) if key in answer else FILLERS[types[0]]
        for key, types in keys.items()
        if key in answer or key not in WITHHELD
    }
