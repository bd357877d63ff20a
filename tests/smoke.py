"""Smoke test driver: a running Home Assistant, set up as a new user would, against the simulator.

`scripts/smoke` starts the portal simulator and Home Assistant (as `scripts/develop`
does), then runs `python -m tests.smoke --ha URL --portal URL`, which:

1. completes Home Assistant's onboarding through its HTTP API;
2. adds the Ecocito integration through the config-flow HTTP API with the demo
   credentials, linking the third production point on the way;
3. waits for every linked account's entities, then compares their states with the
   simulator's own figures for the current year (portal time, Europe/Paris);
4. reads each account's calendar over the REST API the frontend uses: one event per
   pickup and per visit of the year, and the expected pickups from today on;
5. fetches our brand images the way the frontend does (on the releases that serve them);
6. reads Home Assistant's log (`--log`) for its reports about our code: deprecated or
   wrong calls, blocking calls, and Python warnings raised from our files;
7. lists the repairs Home Assistant raised: none may be ours, nor come from the demo's
   configuration (an `http:` block in it raises one on 2026.x).

Not a pytest module (pytest collects `test_*.py` only). Prints the Home Assistant release
it ran on; exits non-zero on any mismatch and on any report about our code.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import json
from pathlib import Path
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from tests.portal.scenarios import (
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LINKABLE_POSTAL_CODE,
    DEMO_LOGIN,
    DEMO_PASSWORD,
)

PARIS = ZoneInfo("Europe/Paris")
DOMAIN = "ecocito"
STARTUP_TIMEOUT = 120.0
"""Seconds for Home Assistant to finish starting once its API answers."""
ENTITIES_TIMEOUT = 90.0
"""Seconds to wait for every expected entity to have a state after the entry is made."""
COMPONENT = Path(__file__).parent.parent / "custom_components" / DOMAIN
BRAND = COMPONENT / "brand"
BRANDS_SINCE = (2026, 3)
"""The first release that serves a custom integration's brand/ folder, through its
`brands` integration at /api/brands/integration/<domain>/<image>. Before it (2025.4.4
included) there is no such endpoint: the frontend loads every icon straight from
brands.home-assistant.io, which knows nothing of that folder, so there is nothing to check."""
LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}(?:[+-]\d\d:\d\d)? [A-Z]+ \([^)]*\) \[([^\]]+)\] ",
    re.MULTILINE,
)
"""The start of a record in home-assistant.log, with the logger's name (2026.11 adds the
UTC offset to the time)."""
REPORTS = (
    # homeassistant.helpers.frame: a deprecated or wrong call, a blocking call in the loop.
    re.compile(f"custom integration '{DOMAIN}'"),
    # homeassistant.helpers.deprecation: "The deprecated constant X was used from ecocito."
    re.compile(f"The deprecated .* from {DOMAIN}\\."),
    # Both end with "please create a bug report at <the manifest's issue_tracker>".
    re.compile(re.escape(json.loads((COMPONENT / "manifest.json").read_text())["issue_tracker"])),
)
"""What Home Assistant writes when it reports something our code does."""


class SmokeError(Exception):
    """The smoke test cannot go on."""


def scope(portal_url: str, unscoped: str) -> str:
    """Return an account's unique ID or device identifier: the portal's host comes first."""
    return f"{urlsplit(portal_url).netloc}_{unscoped}"


@dataclass(frozen=True)
class Check:
    """One expected figure: an entity (by unique_id) and the state it must have."""

    account_id: int
    place: str
    """Its place: the account's own (the account's number), or another address's."""
    unique_id: str
    expected: Any
    compare: Callable[[str, Any], bool]


def _log(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)  # noqa: T201


# -- comparisons of a state (always a string) with the simulator's figure -------------


def same_int(state: str, expected: int) -> bool:
    return state == str(expected)


def same_weight(state: str, expected: float | None) -> bool:
    if expected is None:
        return state == "unknown"
    try:
        return abs(float(state) - expected) < 0.001
    except ValueError:
        return False


def same_moment(state: str, expected: str | None) -> bool:
    """A TIMESTAMP state (UTC ISO) against a naive portal time (Paris), to the second."""
    if expected is None:
        return state == "unknown"
    try:
        actual = datetime.fromisoformat(state)
    except ValueError:
        return False
    wanted = datetime.fromisoformat(expected).replace(tzinfo=PARIS)
    return abs((actual - wanted).total_seconds()) < 1


# -- Home Assistant over HTTP ---------------------------------------------------------


class HomeAssistant:
    """The few REST and websocket calls the smoke test needs."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.client_id = f"{self.url}/"
        self.token = ""

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def read(self, path: str) -> tuple[int, str, bytes]:
        """GET PATH as it is (no JSON): status, content type and body."""
        async with self.session.get(f"{self.url}{path}", headers=self._headers) as answer:
            return answer.status, answer.content_type, await answer.read()

    async def request(self, method: str, path: str, payload: Any = None, **kwargs: Any) -> Any:
        async with self.session.request(
            method, f"{self.url}{path}", json=payload, headers=self._headers, **kwargs
        ) as answer:
            text = await answer.text()
            if answer.status >= 400:
                raise SmokeError(f"{method} {path} -> HTTP {answer.status}: {text[:500]}")
            return await answer.json(content_type=None) if text else None

    async def onboard(self, language: str = "en") -> None:
        """Create the owner, get a token, and finish the remaining onboarding steps."""
        created = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": "Smoke Test",
                "username": "smoke",
                "password": "smoke-test-password",
                "language": language,
            },
        )
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": self.client_id,
            },
        )
        self.token = tokens["access_token"]
        await self.request("POST", "/api/onboarding/core_config")
        await self.request("POST", "/api/onboarding/analytics")
        await self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )
        steps = await self.request("GET", "/api/onboarding")
        if not isinstance(steps, list) or not all(step["done"] for step in steps):
            raise SmokeError(f"onboarding not complete: {steps}")

    async def wait_running(self) -> str:
        """Wait for the end of Home Assistant's start (the API answers before it); return
        its version."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while (config := await self.request("GET", "/api/config"))["state"] != "RUNNING":
            if time.monotonic() > deadline:
                raise SmokeError(f"Home Assistant still {config['state']} after its start-up")
            await asyncio.sleep(0.5)
        return str(config["version"])

    async def flow_step(self, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", data
        )
        if result.get("errors"):
            raise SmokeError(f"step {result.get('step_id')} refused: {result['errors']}")
        return result

    async def websocket(self, *commands: dict[str, Any]) -> list[Any]:
        """Run websocket commands, one after the other; return their results."""
        results = []
        async with self.session.ws_connect(f"{self.url}/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (answer := await socket.receive_json())["type"] != "auth_ok":
                raise SmokeError(f"websocket authentication failed: {answer}")
            for number, command in enumerate(commands, start=1):
                await socket.send_json({"id": number, **command})
                answer = await socket.receive_json()
                if not answer.get("success"):
                    raise SmokeError(f"websocket {command['type']} failed: {answer}")
                results.append(answer["result"])
        return results


# -- the steps ------------------------------------------------------------------------


async def add_integration(hass: HomeAssistant, portal_url: str) -> str:
    """Go through the config flow as a user would; return the new entry's ID."""
    result = await hass.request(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    expect(result, "form", "user")
    result = await hass.flow_step(
        result["flow_id"],
        {"portal": portal_url, "username": DEMO_LOGIN, "password": DEMO_PASSWORD},
    )
    flow_id = expect(result, "menu", "accounts")
    result = await hass.flow_step(flow_id, {"next_step_id": "link"})
    expect(result, "form", "commune")
    result = await hass.flow_step(flow_id, {"commune": DEMO_LINKABLE_POSTAL_CODE})
    if result.get("step_id") == "select":  # several communes share the postal code
        options = result["data_schema"][0]["selector"]["select"]["options"]
        (choice,) = [o["value"] for o in options if DEMO_LINKABLE_POSTAL_CODE in o["label"]]
        result = await hass.flow_step(flow_id, {"commune_id": choice})
    expect(result, "form", "key")
    result = await hass.flow_step(flow_id, {"activation_key": DEMO_LINKABLE_KEY})
    expect(result, "menu", "linked")
    result = await hass.flow_step(flow_id, {"next_step_id": "finish"})
    expect(result, "create_entry")
    entry_id: str = result["result"]["entry_id"]
    _log(f"entry {result['title']} created ({entry_id})")
    return entry_id


def expect(result: dict[str, Any], kind: str, step_id: str | None = None) -> str:
    """Check a flow result's type (and step); return the flow ID."""
    if result.get("type") != kind or (step_id and result.get("step_id") != step_id):
        raise SmokeError(f"expected {kind} {step_id or ''}, got {result}")
    return str(result.get("flow_id"))


async def wait_loaded(hass: HomeAssistant, entry_id: str) -> None:
    deadline = time.monotonic() + ENTITIES_TIMEOUT
    while time.monotonic() < deadline:
        entries = await hass.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        state = next((e["state"] for e in entries if e["entry_id"] == entry_id), None)
        if state == "loaded":
            return
        if state in ("setup_error", "setup_retry", "migration_error", "failed_unload"):
            raise SmokeError(f"the entry did not load: {state}")
        await asyncio.sleep(0.5)
    raise SmokeError("the entry did not load in time")


async def simulator_checks(
    session: aiohttp.ClientSession, portal_url: str
) -> tuple[list[int], list[Check]]:
    """Return the demo login's linked accounts and the figures their sensors must show."""
    # Here, not at the top: scripts/ui and scripts/screenshot import this module in the
    # browser's Python, which has no Home Assistant (the integration's package needs it).
    from custom_components.ecocito.const import DEFAULT_HISTORY_YEARS
    from custom_components.ecocito.models import address_key

    async with session.get(f"{portal_url}/_sim/state") as answer:
        state = await answer.json()
    (login,) = [login for login in state["logins"] if login["email"] == DEMO_LOGIN]
    account_ids: list[int] = login["account_ids"]
    waste_types = {account["id"]: account["waste_types"] for account in state["accounts"]}
    this_year = datetime.now(PARIS).year
    kept = {str(year) for year in range(this_year - DEFAULT_HISTORY_YEARS, this_year + 1)}
    checks: list[Check] = []
    for account_id in account_ids:
        url = f"{portal_url}/_sim/accounts/{account_id}/years"
        async with session.get(url, params={"addresses": ""}) as answer:
            addresses: list[str] = await answer.json()
        # Its places: its own (the rows of its own address), then one per other address.
        for address in ("", *addresses):
            async with session.get(url, params={"address": address}) as answer:
                years = await answer.json()
            figures = years.get(str(this_year), {"pickups": {}, "visits": {}})
            place = str(account_id) if not address else f"{account_id}_{address_key(address)}"

            def check(
                key: str,
                expected: Any,
                compare: Callable[[str, Any], bool],
                account: int = account_id,
                where: str = place,
            ) -> Check:
                return Check(account, where, scope(portal_url, f"{where}_{key}"), expected, compare)

            for type_id in waste_types[account_id]:
                # A waste type has its entities from its first pickup in the years kept.
                if not any(years[year]["pickups"].get(type_id) for year in kept & set(years)):
                    continue
                pickups = figures["pickups"].get(type_id, {})
                checks += [
                    check(f"pickups_{type_id}", pickups.get("count", 0), same_int),
                    check(f"weight_{type_id}", round(pickups.get("weight", 0.0), 3), same_weight),
                    check(f"last_pickup_{type_id}", pickups.get("last"), same_moment),
                    check(f"last_pickup_weight_{type_id}", pickups.get("last_weight"), same_weight),
                ]
            if not address:  # visits are the account's, on its own place's device
                visits = figures["visits"]
                checks += [
                    check("visits", visits.get("count", 0), same_int),
                    check("last_visit", visits.get("last"), same_moment),
                ]
    return account_ids, checks


async def entity_states(hass: HomeAssistant, entry_id: str) -> dict[str, tuple[str, str]]:
    """Map the unique_id of each of the entry's entities to (entity_id, state)."""
    devices, entities = await hass.websocket(
        {"type": "config/device_registry/list"}, {"type": "config/entity_registry/list"}
    )
    ours = {
        device["id"]
        for device in devices
        if any(domain == DOMAIN for domain, _ in device["identifiers"])
    }
    states = {
        state["entity_id"]: state["state"] for state in await hass.request("GET", "/api/states")
    }
    return {
        entity["unique_id"]: (entity["entity_id"], states.get(entity["entity_id"], "missing"))
        for entity in entities
        if entity["platform"] == DOMAIN
        and entity["config_entry_id"] == entry_id
        and entity["device_id"] in ours
    }


async def devices_of_accounts(
    hass: HomeAssistant, portal_url: str, account_ids: list[int]
) -> dict[int, str]:
    """Return the device name of every account that has a device."""
    (devices,) = await hass.websocket({"type": "config/device_registry/list"})
    identifiers = {scope(portal_url, str(account_id)): account_id for account_id in account_ids}
    found = {}
    for device in devices:
        for domain, identifier in device["identifiers"]:
            if domain == DOMAIN and identifier in identifiers:
                found[identifiers[identifier]] = device["name"]
    return found


async def wait_for_entities(
    hass: HomeAssistant, entry_id: str, checks: list[Check]
) -> dict[str, tuple[str, str]]:
    """Wait until every checked entity exists and has left `unavailable`."""
    deadline = time.monotonic() + ENTITIES_TIMEOUT
    while True:
        found = await entity_states(hass, entry_id)
        waiting = [
            check.unique_id
            for check in checks
            if found.get(check.unique_id, ("", "missing"))[1] in ("missing", "unavailable")
        ]
        if not waiting:
            return found
        if time.monotonic() > deadline:
            raise SmokeError(f"entities missing or unavailable: {', '.join(waiting)}")
        await asyncio.sleep(1)


async def calendar_failures(
    hass: HomeAssistant, portal_url: str, found: dict[str, tuple[str, str]], checks: list[Check]
) -> list[str]:
    """Compare each account's calendar events of the year with its pickups and visits."""
    now = datetime.now(PARIS)
    year = now.year
    window = {
        "start": datetime(year, 1, 1, tzinfo=PARIS).isoformat(),
        "end": datetime(year + 1, 1, 1, tzinfo=PARIS).isoformat(),
    }
    failures = []
    for place in sorted({check.place for check in checks}):
        expected = sum(
            check.expected
            for check in checks
            if check.place == place
            and check.unique_id.startswith(
                (scope(portal_url, f"{place}_pickups_"), scope(portal_url, f"{place}_visits"))
            )
        )
        calendar = found.get(scope(portal_url, f"{place}_history"))
        if calendar is None:
            failures.append(f"place {place} has no calendar")
            continue
        events = await hass.request("GET", f"/api/calendars/{calendar[0]}", params=window)
        # Beside the portal's rows (all past), the expected pickups: from today on.
        estimates = [event for event in events if event["summary"].endswith(ESTIMATE_SUMMARY)]
        past = len(events) - len(estimates)
        if past != expected:
            failures.append(f"{calendar[0]}: {past} events in {year}, expected {expected}")
        failures += [
            f"{calendar[0]}: {event['summary']!r} expected before today"
            for event in estimates
            if _event_start(event).astimezone(PARIS).date() < now.date()
        ]
    return failures


ESTIMATE_SUMMARY = "levée prévue"
"""How an expected pickup's calendar event ends on a French server ("Emballages : levée
prévue")."""


def _event_start(event: dict[str, Any]) -> datetime:
    start = event["start"]
    if "dateTime" in start:
        return datetime.fromisoformat(start["dateTime"])
    return datetime.fromisoformat(start["date"]).replace(tzinfo=PARIS)


async def brand_failures(hass: HomeAssistant, version: str) -> list[str]:
    """Fetch each of our brand images as the frontend does: it must be ours, byte for byte."""
    if tuple(int(part) for part in version.split(".")[:2]) < BRANDS_SINCE:
        _log(f"brand images not checked: Home Assistant {version} does not serve them")
        return []
    failures = []
    images = sorted(BRAND.glob("*.png"))
    if not images:
        failures.append(f"no brand image in {BRAND}")
    for image in images:
        path = f"/api/brands/integration/{DOMAIN}/{image.name}"
        status, content_type, body = await hass.read(path)
        if status != 200 or content_type != "image/png" or body != image.read_bytes():
            failures.append(f"{path}: HTTP {status}, {content_type}, not our {image.name}")
    _log(f"{len(images)} brand images checked at /api/brands/integration/{DOMAIN}/")
    return failures


OUR_REPAIRS = (DOMAIN, "http")
"""Repairs of ours: the integration's, and the web server's (the demo's configuration sets it)."""


async def repair_failures(hass: HomeAssistant) -> list[str]:
    """Return the repairs Home Assistant raised that are ours; say which others it raised."""
    (answer,) = await hass.websocket({"type": "repairs/list_issues"})
    issues = [issue for issue in answer["issues"] if not issue.get("dismissed_version")]
    for issue in issues:
        if issue["domain"] not in OUR_REPAIRS:
            _log(f"repair raised, not ours: {issue['domain']}.{issue['issue_id']}")
    return [
        f"repair {issue['domain']}.{issue['issue_id']} ({issue.get('translation_key')})"
        for issue in issues
        if issue["domain"] in OUR_REPAIRS
    ]


def reports_about_us(log: str) -> list[str]:
    """Home Assistant's reports about our code in its log, one line each.

    From Home Assistant's loggers: the records that name us (REPORTS). From `py.warnings`
    (Home Assistant logs Python warnings): those raised in our files.
    """
    if not (starts := list(LOG_RECORD.finditer(log))):
        if log.strip():
            raise SmokeError("no record found in Home Assistant's log: has its format changed?")
        return []
    ends = [start.start() for start in starts[1:]] + [len(log)]
    found = []
    for start, end in zip(starts, ends, strict=True):
        record = log[start.start() : end]
        logger = start.group(1)
        if logger == "py.warnings":
            ours = f"custom_components/{DOMAIN}/" in record
        else:
            ours = not logger.startswith(f"custom_components.{DOMAIN}") and any(
                report.search(record) for report in REPORTS
            )
        if ours:
            found.append(record.splitlines()[0])
    return found


async def run(ha_url: str, portal_url: str, log: Path) -> int:
    started = time.monotonic()
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(
        cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        hass = HomeAssistant(session, ha_url)
        await hass.onboard()
        version = await hass.wait_running()
        _log(f"onboarding complete, Home Assistant {version} running")
        entry_id = await add_integration(hass, portal_url)
        await wait_loaded(hass, entry_id)
        _log("entry loaded")

        account_ids, checks = await simulator_checks(session, portal_url)
        if DEMO_LINKABLE_ACCOUNT_ID not in account_ids or len(account_ids) != 3:
            raise SmokeError(f"the simulator lists {account_ids}: the link did not happen")
        found = await wait_for_entities(hass, entry_id, checks)
        devices = await devices_of_accounts(hass, portal_url, account_ids)

        failures = [
            f"{found[check.unique_id][0]}: {found[check.unique_id][1]!r}, expected {check.expected!r}"
            for check in checks
            if not check.compare(found[check.unique_id][1], check.expected)
        ]
        linked = next(
            (state for uid, state in found.items() if uid.endswith("_linked_accounts")), None
        )
        if linked is None or linked[1] != str(len(account_ids)):
            failures.append(f"linked accounts sensor: {linked}, expected {len(account_ids)}")
        failures += [
            f"account {account_id} has no device"
            for account_id in account_ids
            if account_id not in devices
        ]
        failures += await calendar_failures(hass, portal_url, found, checks)
        failures += await repair_failures(hass)
        brands = await brand_failures(hass, version)

    reports = reports_about_us(log.read_text(encoding="utf-8", errors="replace"))
    for account_id in account_ids:
        figures = [check for check in checks if check.account_id == account_id]
        pickups = {
            place: {
                c.unique_id.rsplit("_", 1)[1]: c.expected
                for c in figures
                if c.place == place and "_pickups_" in c.unique_id
            }
            for place in dict.fromkeys(c.place for c in figures)
        }
        _log(
            f"account {account_id} ({devices.get(account_id, '?')}): pickups this year by "
            f"place and waste type {pickups}, {len(figures)} sensors checked"
        )
    for failure in failures + brands:
        _log(f"MISMATCH {failure}")
    for report in reports:
        _log(f"REPORTED {report}")
    verdict = "FAILED" if failures or brands or reports else "passed"
    total = len(checks) + 1 + len(account_ids)  # with the linked-accounts sensor, calendars
    _log(
        f"{verdict} on Home Assistant {version}: {total - len(failures)}/{total} figures match "
        f"for {len(account_ids)} accounts, calendars included; {len(reports)} reports about "
        f"our code in its log ({time.monotonic() - started:.1f} s)"
    )
    return 1 if failures or brands or reports else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.smoke", description=__doc__)
    parser.add_argument("--ha", required=True, help="Home Assistant's URL, freshly started")
    parser.add_argument("--portal", required=True, help="the portal simulator's URL")
    parser.add_argument("--log", required=True, type=Path, help="Home Assistant's log file")
    args = parser.parse_args()
    try:
        code = asyncio.run(run(args.ha, args.portal, args.log))
    except (SmokeError, aiohttp.ClientError, TimeoutError) as err:
        _log(f"FAILED: {err!r}")
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
