"""What an entry remembers across restarts, in one stored schema.

* ``seen``: per account, the pickups already seen (each fired once, or history), by
  identity (``models.PickupKey``), for the years the options keep: after a restart
  nothing fires again, and a pickup published while Home Assistant was stopped fires
  once at the next poll;
* ``absent``: known accounts missing from the drop-down, polls in a row (``confirm.py``);
* ``past_rows``: per account, the first day and row counts of the last good read of
  the past years, so that a short history read right after a restart is caught too;
* ``delays``: per account and waste type, the portal's measured publication delays;
* ``missed``: per account and waste type, the day of the pickup told missing
  (``forecast.follow_missed``: one day per waste type at most, forgotten when it shows
  or the next day of the rhythm begins), so that a restart does not tell it again.

The codec is pure; ``EntryMemory`` loads and saves it in the entry's ``Store`` and
writes only when something changed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.storage import Store

from .api import PORTAL_TZ
from .confirm import Streak
from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

    from .models import PickupKey

STORAGE_VERSION: Final = 1
"""Version 1 stores kept, instead of ``seen``, the newest pickup per waste type
(``marks``): they are read once into ``SeenPickups.marks``."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class SeenPickups:
    """The pickups of one account already seen, from ``since`` on."""

    since: date
    """From this day on, every pickup the data holds has been seen: an older one is
    history (the options may keep more years), never new."""
    waste_types: set[int]
    """The waste types seen: the pickups of a type listed for the first time are history."""
    counts: Counter[PickupKey] = field(default_factory=Counter)
    """How many rows of each identity were seen (two identical rows are two pickups)."""
    marks: dict[int, datetime] | None = None
    """From a version 1 store: per waste type, the newest pickup seen then."""


@dataclass(slots=True)
class Memory:
    """Everything an entry keeps across restarts."""

    seen: dict[int, SeenPickups] = field(default_factory=dict)
    absent: Streak[int] = field(default_factory=Streak)
    past_rows: dict[int, tuple[date, dict[str, int]]] = field(default_factory=dict)
    delays: dict[int, dict[int, list[float]]] = field(default_factory=dict)
    missed: dict[int, dict[int, date]] = field(default_factory=dict)

    def forget(self, account_id: int) -> None:
        """Forget an account whose unlinking is confirmed."""
        self.seen.pop(account_id, None)
        self.delays.pop(account_id, None)
        self.past_rows.pop(account_id, None)
        self.missed.pop(account_id, None)

    def renumber(self, old: int, new: int) -> None:
        """Keep what is known of an account under its number, now that the portal says it."""
        _move(self.seen, old, new)
        _move(self.delays, old, new)
        _move(self.past_rows, old, new)
        _move(self.missed, old, new)
        self.absent.clear(old)


def _move[V](kept: dict[int, V], old: int, new: int) -> None:
    if old in kept:
        kept[new] = kept.pop(old)


def _seconds(when: datetime) -> float | int:
    """Return a time as seconds since the epoch: whole when it is (most portal times)."""
    seconds = (when - _EPOCH).total_seconds()
    return int(seconds) if seconds.is_integer() else round(seconds, 6)


def _time(seconds: float) -> datetime:
    return (_EPOCH + timedelta(seconds=seconds)).astimezone(PORTAL_TZ)


def _encode_seen(seen: SeenPickups) -> dict[str, Any]:
    groups: dict[tuple[int, str | None, str | None], list[float | int]] = {}
    for (when, type_id, bin_number, chip), count in sorted(seen.counts.items()):
        groups.setdefault((type_id, bin_number, chip), []).extend([_seconds(when)] * count)
    encoded: dict[str, Any] = {
        "since": seen.since.isoformat(),
        "types": sorted(seen.waste_types),
        "pickups": [[*group, times] for group, times in groups.items()],
    }
    if seen.marks is not None:  # not read since a version 1 store was loaded
        encoded["marks"] = _encode_marks(seen.marks)
    return encoded


def _encode_marks(marks: dict[int, datetime]) -> dict[str, str]:
    return {str(type_id): when.isoformat() for type_id, when in marks.items()}


def _decode_marks(marks: dict[str, str]) -> dict[int, datetime]:
    return {int(type_id): datetime.fromisoformat(when) for type_id, when in marks.items()}


def _decode_seen(stored: dict[str, Any]) -> SeenPickups:
    counts: Counter[PickupKey] = Counter()
    for type_id, bin_number, chip, times in stored["pickups"]:
        counts.update((_time(seconds), int(type_id), bin_number, chip) for seconds in times)
    return SeenPickups(
        since=date.fromisoformat(stored["since"]),
        waste_types={int(type_id) for type_id in stored["types"]},
        counts=counts,
        marks=_decode_marks(stored["marks"]) if "marks" in stored else None,
    )


class SeenCodec:
    """Encodes each account's seen pickups, again only when they changed.

    An account holds thousands of pickups over the years kept: encoding them all at
    every poll would hold the event loop for nothing, as most polls change none.
    """

    def __init__(self) -> None:
        """Start with nothing encoded."""
        self._cache: dict[int, tuple[SeenPickups, dict[str, Any]]] = {}
        """Per account, a copy of the pickups last encoded, and their encoding."""

    def encode(self, account_id: int, seen: SeenPickups) -> tuple[dict[str, Any], bool]:
        """Return the account's pickups encoded, and whether they were encoded now."""
        if (cached := self._cache.get(account_id)) is not None and _same(cached[0], seen):
            return cached[1], False
        encoded = _encode_seen(seen)
        copy = SeenPickups(
            since=seen.since,
            waste_types=set(seen.waste_types),
            counts=Counter(seen.counts),
            marks=None if seen.marks is None else dict(seen.marks),
        )
        self._cache[account_id] = (copy, encoded)
        return encoded, True

    def keep(self, account_ids: Iterable[int]) -> None:
        """Forget the encodings of accounts no longer remembered."""
        for gone in set(self._cache) - set(account_ids):
            del self._cache[gone]


def _same(copy: SeenPickups, seen: SeenPickups) -> bool:
    # dict.__eq__: Counter's own compares key by key in Python, a hundred times slower.
    return (
        copy.since == seen.since
        and copy.waste_types == seen.waste_types
        and copy.marks == seen.marks
        and dict.__eq__(copy.counts, seen.counts)
    )


def encode(memory: Memory, seen: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the memory as stored (JSON); ``seen``: its pickups seen, encoded already."""
    if seen is None:
        seen = {str(key): _encode_seen(pickups) for key, pickups in memory.seen.items()}
    encoded: dict[str, Any] = {
        "seen": seen,
        "absent": {str(key): count for key, count in memory.absent.counts().items()},
        "past_rows": {
            str(account_id): {"start": start.isoformat(), "rows": rows}
            for account_id, (start, rows) in memory.past_rows.items()
        },
        "delays": {
            str(account_id): {str(type_id): samples for type_id, samples in delays.items()}
            for account_id, delays in memory.delays.items()
        },
    }
    if missed := {
        str(account_id): {str(type_id): day.isoformat() for type_id, day in days.items()}
        for account_id, days in memory.missed.items()
        if days
    }:
        encoded["missed"] = missed
    return encoded


def decode(stored: dict[str, Any]) -> Memory:
    """Return the memory a store holds (version 1, with or without ``seen``)."""
    seen = {int(key): _decode_seen(value) for key, value in stored.get("seen", {}).items()}
    for key, marks in stored.get("marks", {}).items():
        if int(key) not in seen:
            seen[int(key)] = SeenPickups(
                since=date.min,
                waste_types={int(type_id) for type_id in marks},
                marks=_decode_marks(marks),
            )
    return Memory(
        seen=seen,
        absent=Streak({int(key): int(count) for key, count in stored.get("absent", {}).items()}),
        past_rows={
            int(account_id): (date.fromisoformat(past["start"]), dict(past["rows"]))
            for account_id, past in stored.get("past_rows", {}).items()
        },
        delays={
            int(account_id): {int(type_id): list(samples) for type_id, samples in delays.items()}
            for account_id, delays in stored.get("delays", {}).items()
        },
        missed={
            int(account_id): {
                int(type_id): date.fromisoformat(day) for type_id, day in days.items()
            }
            for account_id, days in stored.get("missed", {}).items()
        },
    )


def entry_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of an entry's memory."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")


class EntryMemory:
    """An entry's memory in its store: loaded once, written when it changed."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the memory of one entry (empty until loaded)."""
        self._store = entry_store(hass, entry_id)
        self._saved: dict[str, Any] = {}
        self._codec = SeenCodec()
        self.memory = Memory()

    async def async_load(self) -> Memory:
        """Read what the entry remembered before the restart."""
        stored = await self._store.async_load() or {}
        self.memory = decode(stored)
        self._saved = await self._encoded()
        return self.memory

    async def async_save(self) -> None:
        """Write the memory if it changed since it was last read or written."""
        if (stored := await self._encoded()) != self._saved:
            await self._store.async_save(stored)
            self._saved = stored

    async def _encoded(self) -> dict[str, Any]:
        """Return the memory as stored.

        It yields to the event loop after each account whose pickups it had to encode
        (the others' encodings are kept from before).
        """
        seen: dict[str, Any] = {}
        for account_id, pickups in list(self.memory.seen.items()):
            seen[str(account_id)], encoded_now = self._codec.encode(account_id, pickups)
            if encoded_now:
                await asyncio.sleep(0)
        self._codec.keep(self.memory.seen)
        return encode(self.memory, seen)
