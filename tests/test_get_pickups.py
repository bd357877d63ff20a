"""The `ecocito.get_pickups` action, against the portal simulator."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ecocito.api.portal import PATH_PICKUPS
from custom_components.ecocito.const import DOMAIN, SERVICE_GET_PICKUPS

from .helpers import find_device, poll, scoped
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_WASTE_TYPES,
)
from .portal.state import PARIS

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")

MAIN = DEMO_MAIN_ACCOUNT_ID


def device_id(hass: HomeAssistant, account_id: int | str = MAIN) -> str:
    """Return the device of an account (or of the login, given its entry ID)."""
    identifier = account_id if isinstance(account_id, str) else scoped(hass, str(account_id))
    device = find_device(dr.async_get(hass), identifier)
    assert device is not None
    return device.id


async def get_pickups(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, SERVICE_GET_PICKUPS, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def portal_rows(simulator: PortalSimulator, start: date, end: date) -> tuple[list[Any], list[Any]]:
    account = simulator.state.get_account(MAIN)
    return (
        [p for p in account.pickups if start <= p.when.date() <= end],
        [v for v in account.visits if start <= v.when.date() <= end],
    )


async def test_range_within_kept_years_uses_the_last_poll(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A range within the kept years is answered without asking the portal."""
    today = dt_util.now(PARIS).date()
    start = date(today.year - 1, 3, 1)
    end = date(today.year - 1, 5, 31)
    simulator.reset_requests()
    response = await get_pickups(
        hass, device_id=device_id(hass), start=start.isoformat(), end=end.isoformat()
    )
    assert simulator.requests == []
    pickups, visits = portal_rows(simulator, start, end)
    assert len(response["pickups"]) == len(pickups) > 0
    assert len(response["visits"]) == len(visits) > 0
    first = pickups[0]
    assert response["pickups"][0] == {
        "date": first.when.replace(tzinfo=PARIS).isoformat(),
        "waste_type_id": first.type_id,
        "waste_type": DEMO_WASTE_TYPES[first.type_id],
        "weight": first.weight,
    }
    visit = visits[0]
    assert response["visits"][0] == {
        "date": visit.when.replace(tzinfo=PARIS).isoformat(),
        "site": visit.site,
        "material": visit.material,
        "quantity": visit.quantity,
    }


def portal_openings(simulator: PortalSimulator, start: date, end: date) -> list[dict[str, Any]]:
    """The second account's borne openings per month with a day in the range, oldest first."""
    counts: Counter[tuple[int, int]] = Counter(
        (d.when.year, d.when.month)
        for d in simulator.state.get_account(DEMO_SECOND_ACCOUNT_ID).drop_offs
        if d.type_id == 16 and start.replace(day=1) <= d.when.date() <= end
    )
    return [
        {
            "year": year,
            "month": month,
            "waste_type_id": 16,
            "waste_type": DEMO_WASTE_TYPES[16],
            "count": counts[(year, month)],
        }
        for year, month in sorted(counts)
        if date(year, month, 1) <= end
    ]


@pytest.mark.parametrize("history_years", [2, 0])
async def test_borne_openings_per_month(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    history_years: int,
) -> None:
    """The answer holds each month's borne openings, from the last poll or the portal."""
    hass.config_entries.async_update_entry(
        init_integration, options={"history_years": history_years}
    )
    await poll(hass, init_integration)
    today = dt_util.now(PARIS).date()
    start, end = date(today.year - 1, 1, 15), date(today.year, 12, 31)
    simulator.reset_requests()
    response = await get_pickups(
        hass,
        device_id=device_id(hass, DEMO_SECOND_ACCOUNT_ID),
        start=start.isoformat(),
        end=end.isoformat(),
    )
    expected = portal_openings(simulator, start, today)
    assert response["borne_openings"] == expected
    assert {row["year"] for row in expected} == {today.year - 1, today.year}
    assert (simulator.requests == []) is (history_years > 0)
    # The main account never opened a borne.
    response = await get_pickups(hass, device_id=device_id(hass), start=start.isoformat())
    assert response["borne_openings"] == []


async def test_end_defaults_to_today(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Without an end date, the range ends today."""
    today = dt_util.now(PARIS).date()
    start = date(today.year, 1, 1)
    response = await get_pickups(hass, device_id=device_id(hass), start=start.isoformat())
    pickups, visits = portal_rows(simulator, start, today)
    assert len(response["pickups"]) == len(pickups)
    assert len(response["visits"]) == len(visits)


async def test_older_range_is_fetched_from_the_portal(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Before the kept years, the action asks the portal for the range."""
    today = dt_util.now(PARIS).date()
    old = date(today.year - 2, 6, 1)
    simulator.state.add_pickup(MAIN, 17, datetime(today.year - 3, 12, 30, 6, 0), 2.5)
    hass.config_entries.async_update_entry(init_integration, options={"history_years": 1})
    simulator.reset_requests()
    start = date(today.year - 3, 12, 1)
    response = await get_pickups(
        hass, device_id=device_id(hass), start=start.isoformat(), end=old.isoformat()
    )
    assert any(record.path == PATH_PICKUPS for record in simulator.requests)
    pickups, visits = portal_rows(simulator, start, old)
    assert len(response["pickups"]) == len(pickups)
    assert len(response["visits"]) == len(visits)
    assert response["pickups"][0]["weight"] == 2.5
    assert response["pickups"][0]["waste_type"] == "Biodéchets"


async def test_bad_range(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """An end before the start is refused, translated."""
    with pytest.raises(ServiceValidationError) as err:
        await get_pickups(hass, device_id=device_id(hass), start="2026-03-01", end="2026-02-01")
    assert err.value.translation_key == "invalid_range"
    assert err.value.translation_placeholders == {"start": "2026-03-01", "end": "2026-02-01"}


@pytest.mark.parametrize(
    ("start", "end", "early"),
    [
        ("0001-01-01", None, "0001-01-01"),
        ("1899-12-31", "2026-02-01", "1899-12-31"),
        ("2026-03-01", "0099-02-01", "0099-02-01"),
    ],
)
async def test_dates_before_1900(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    start: str,
    end: str | None,
    early: str,
) -> None:
    """A date before 1900 gets a translated error, and nothing is asked of the portal."""
    simulator.reset_requests()
    dates = {"start": start} | ({"end": end} if end else {})
    with pytest.raises(ServiceValidationError) as err:
        await get_pickups(hass, device_id=device_id(hass), **dates)
    assert err.value.translation_key == "date_too_early"
    assert err.value.translation_placeholders == {"date": early, "earliest": "1900-01-01"}
    assert simulator.requests == []


async def test_not_an_account(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The login's device, or an unknown device, is not an account."""
    for device in (device_id(hass, init_integration.entry_id), "not-a-device"):
        with pytest.raises(ServiceValidationError) as err:
            await get_pickups(hass, device_id=device, start="2026-01-01")
        assert err.value.translation_key == "not_an_account"


async def test_unlinked_account(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A device whose entry is not running is refused."""
    device = device_id(hass)
    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await get_pickups(hass, device_id=device, start="2026-01-01")
    assert err.value.translation_key == "entry_not_loaded"


async def test_device_of_an_account_no_longer_linked(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A device left of an account the login no longer holds is named in the error."""
    left = dr.async_get(hass).async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, scoped(hass, "999999"))},
        name="Résidence secondaire",
    )
    with pytest.raises(ServiceValidationError) as err:
        await get_pickups(hass, device_id=left.id, start="2026-01-01")
    assert err.value.translation_key == "unknown_account"
    assert err.value.translation_placeholders == {"account": "Résidence secondaire"}


async def test_portal_errors(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Portal failures are translated; a refused password starts reauthentication."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_PICKUPS))
    with pytest.raises(HomeAssistantError) as err:
        await get_pickups(hass, device_id=device_id(hass), start="2000-01-01")
    assert err.value.translation_key == "cannot_connect"
    simulator.clear_faults()

    simulator.state.set_password(DEMO_LOGIN, "changed")
    with pytest.raises(HomeAssistantError) as err:
        await get_pickups(hass, device_id=device_id(hass), start="2000-01-01")
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
