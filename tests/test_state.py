"""The entry's state as stored: one codec, and the stores of older versions migrated."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from custom_components.ecocito.state import (
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    EntryState,
    Seen,
    StateCodec,
    migrate,
)

from .portal.state import PARIS

LIFT = datetime(2026, 11, 24, 6, 30, tzinfo=PARIS)
RESIDUAL, PACKAGING = 15, 16


def seconds(when: datetime) -> int:
    return int(when.timestamp())


def test_what_is_kept_comes_back_the_same() -> None:
    """Encoded then decoded, the kept part of a state is the same; the rest is not kept."""
    state = EntryState(
        seen={
            104233: Seen(
                floors={RESIDUAL: datetime(2024, 1, 1, tzinfo=PARIS)},
                counts={(LIFT, RESIDUAL, "B1", None): 2, (LIFT, RESIDUAL, "B2", "C2"): 1},
            )
        },
        absent={118871: 2},
        past_rows={104233: (date(2024, 1, 1), {"15": 104, "visits": 3})},
        primary={104233: "12_rue_des_lilas_23000_gueret"},
        delays={(104233, RESIDUAL): (3600.0, 5400.5)},
        missed={
            (104233, "", PACKAGING): date(2026, 11, 19),
            (104233, "7_rue_du_moulin", RESIDUAL): date(2026, 11, 20),
        },
        known={104233: "N° 104233"},
        poll=7,
    )
    stored = StateCodec().encode(state)
    assert StateCodec().decode(
        migrate(STORAGE_VERSION, STORAGE_MINOR_VERSION, stored)
    ) == EntryState(
        seen=state.seen,
        absent=state.absent,
        past_rows=state.past_rows,
        primary=state.primary,
        delays=state.delays,
        missed=state.missed,
    )


def test_a_version_1_store_becomes_floors() -> None:
    """Version 1 kept ``since`` and ``types`` per account (every pickup of those types from
    that day on was seen), or, older, a mark per type (the newest pickup seen): both
    become floors, from which every pickup of a type has been seen."""
    old: dict[str, Any] = {
        "seen": {
            "104233": {"since": "2025-01-01", "types": [RESIDUAL, PACKAGING], "pickups": []},
            "118871": {
                "since": "0001-01-01",
                "types": [RESIDUAL],
                "pickups": [[RESIDUAL, None, None, [seconds(LIFT)]]],
                "marks": {str(RESIDUAL): LIFT.isoformat()},
            },
        },
        "marks": {"120456": {str(PACKAGING): LIFT.isoformat()}},
        "absent": {},
        "past_rows": {},
        "delays": {"104233": {str(RESIDUAL): [3600]}},
        "missed": {"104233": {str(PACKAGING): "2026-11-19"}},
    }
    state = StateCodec().decode(migrate(1, 1, old))
    new_year = datetime(2025, 1, 1, tzinfo=PARIS)
    assert state.seen[104233].floors == {RESIDUAL: new_year, PACKAGING: new_year}
    # A mark: a pickup later than it is new, the marked one is not.
    just_after = LIFT + timedelta(microseconds=1)
    assert state.seen[118871].floors == {RESIDUAL: just_after}
    assert state.seen[118871].counts == {(LIFT, RESIDUAL, None, None): 1}
    assert state.seen[120456] == Seen(floors={PACKAGING: just_after}, counts={})
    assert state.delays == {(104233, RESIDUAL): (3600,)}
    # Before places, a missed round was the account's own place's.
    assert state.missed == {(104233, "", PACKAGING): date(2026, 11, 19)}
    assert state.primary == {}


def test_a_newer_store_is_refused() -> None:
    """A store written by a newer version of the integration is not read as ours."""
    with pytest.raises(NotImplementedError, match="newer"):
        migrate(STORAGE_VERSION + 1, 1, {})
