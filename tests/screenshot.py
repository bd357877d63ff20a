"""Screenshots of the live demo in French, for looking at what a resident sees.

`scripts/screenshot` starts the portal simulator and a French Home Assistant (as
`scripts/smoke` does), then runs `python -m tests.screenshot --ha URL --portal URL --out
DIR` in a small environment with Playwright, which:

1. onboards Home Assistant in French, sets the user's language to French (as the
   profile page does) and adds the integration through the config flow (the steps of
   `tests.smoke`), linking the third production point, gives the main account an
   allowance (the options flow) and adds the README's French dashboard, pasted as is;
2. logs in through Home Assistant's login page in Chromium (locale fr-FR), and saves
   PNGs of the overview (on 2026.x also its "Appareils" page, which lists the entities
   of devices without a room), the README's dashboard (every entity it names must exist
   in the demo), the integration's page, the main account's device, the integration's
   devices (the second account and its workshop, a place of its own) and the workshop's
   device (connected via its account's), then of the integrations page, the
   integration's page and the device again in the dark theme (the browser asks for it;
   Home Assistant's default theme follows), for the brand images: the browser's
   requests for them are printed. The README's PNGs (README_SHOTS) are cut as
   artwork/screenshots/ has them.

Not a pytest module, and not part of CI: the PNGs are for a person to look at.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys
from typing import Any

import aiohttp
from playwright.async_api import (
    ConsoleMessage,
    Error as PlaywrightError,
    Page,
    Response,
    async_playwright,
)
import yaml

from tests.portal.scenarios import (
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
    DEMO_WORKSHOP_ADDRESS,
)
from tests.smoke import (
    DOMAIN,
    ENTITIES_TIMEOUT,
    HomeAssistant,
    SmokeError,
    _log,
    add_integration,
    scope,
    wait_loaded,
)

USER, PASSWORD = "smoke", "smoke-test-password"
WIDTH, HEIGHT = 1280, 900
"""The viewport; taller for the pages whose list of entities is the point."""
CHROMIUM = "/usr/bin/chromium"
PAGE_TIMEOUT = 60_000
"""Milliseconds for a page to show its content."""
SETTLE = 3_000
"""Milliseconds to let cards finish drawing once the content is there."""
FRENCH = {
    "language": "fr",
    "number_format": "language",
    "time_format": "language",
    "date_format": "language",
    "time_zone": "local",
    "first_weekday": "language",
}
"""The user's language settings, as the profile page saves them."""
READY = "document.querySelector('home-assistant')?.hass?.language === 'fr'"
"""The frontend is connected, has the user's settings and speaks French."""


SIDEBAR = 256
"""The width of Home Assistant's sidebar, open, in pixels."""
README_SHOTS = {"dashboard": 650, "devices": 480, "device-workshop": 900}
"""The PNGs the README shows (artwork/screenshots/): the page without its sidebar, cut at
this height."""
WORKSHOP_ACCOUNT = DEMO_SECOND_LABEL.split(" - ", 1)[1]
"""The name of the device of the account whose rows also carry the workshop's address."""

DASHBOARD = "ecocito-levees"
ALLOWED_PICKUPS = 52
"""The pickups included in the demo's allowance: the README dashboard's gauge goes to it."""


def readme_dashboard() -> dict[str, Any]:
    """The README's French dashboard, pasted as a user would, as one view."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("```yaml\n", text.index("**Un tableau de bord lisible")) + len("```yaml\n")
    card = yaml.safe_load(text[start : text.index("```", start)])
    return {"title": "Levées", "views": [{"title": "Levées", "path": "levees", "cards": [card]}]}


def card_entities(card: Any) -> list[str]:
    """Return every entity ID a card (and the cards it holds) shows."""
    if isinstance(card, list):
        return [found for item in card for found in card_entities(item)]
    if not isinstance(card, dict):
        return []
    found = [card["entity"]] if isinstance(card.get("entity"), str) else []
    return found + [
        found for key in ("cards", "entities") for found in card_entities(card.get(key, []))
    ]


async def check_dashboard_entities(hass: HomeAssistant) -> None:
    """Fail unless every entity of the README's dashboard exists in the demo (and has a state).

    The README's dashboard is pasted as is: an entity ID that the demo does not make (the
    README out of date) would show "Entité non trouvée" in the screenshot.
    """
    wanted = card_entities(readme_dashboard()["views"][0]["cards"])
    deadline = asyncio.get_running_loop().time() + ENTITIES_TIMEOUT
    while True:
        states = {
            state["entity_id"]: state["state"] for state in await hass.request("GET", "/api/states")
        }
        missing = [
            entity_id
            for entity_id in wanted
            if states.get(entity_id, "unavailable") == "unavailable"
        ]
        if not missing:
            _log(f"the README's dashboard: its {len(wanted)} entities exist in the demo")
            return
        if asyncio.get_running_loop().time() > deadline:
            ours = sorted(e for e in states if "rue_des_lilas" in e or "ecocito" in e)
            raise SmokeError(
                f"the README's dashboard names entities the demo does not have: {missing}; "
                f"the demo has {ours}"
            )
        await asyncio.sleep(1)


async def set_allowance(hass: HomeAssistant, entry_id: str) -> None:
    """Give the main account an allowance of residual-waste pickups (the options flow)."""
    flows = "/api/config/config_entries/options/flow"
    result = await hass.request("POST", flows, {"handler": entry_id})
    result = await hass.request(
        "POST", f"{flows}/{result['flow_id']}", {"next_step_id": "allowance"}
    )
    if result.get("step_id") == "allowance":
        result = await hass.request(
            "POST", f"{flows}/{result['flow_id']}", {"account": str(DEMO_MAIN_ACCOUNT_ID)}
        )
    residual = result["data_schema"][0]["name"]  # the first waste type: residual waste
    await hass.request("POST", f"{flows}/{result['flow_id']}", {residual: str(ALLOWED_PICKUPS)})


async def set_up(hass: HomeAssistant, portal_url: str) -> tuple[str, str]:
    """Onboard in French, add the integration and the README's dashboard; return the device
    IDs of the main account and of the second account's workshop (a place of its own)."""
    await hass.onboard(language="fr")
    await hass.wait_running()
    await hass.websocket({"type": "frontend/set_user_data", "key": "language", "value": FRENCH})
    entry_id = await add_integration(hass, portal_url)
    await wait_loaded(hass, entry_id)
    await set_allowance(hass, entry_id)
    await check_dashboard_entities(hass)
    await hass.websocket(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "Levées",
            "icon": "mdi:trash-can",
            "mode": "storage",
        },
        {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": readme_dashboard()},
    )
    return await account_device_id(hass, DEMO_MAIN_ACCOUNT_ID, portal_url), await workshop_id(hass)


async def account_device_id(hass: HomeAssistant, account_id: int, portal_url: str) -> str:
    """Return the device ID of an account (its own place)."""
    (devices,) = await hass.websocket({"type": "config/device_registry/list"})
    wanted = [DOMAIN, scope(portal_url, str(account_id))]
    for device in devices:
        if wanted in device["identifiers"]:
            return str(device["id"])
    raise SmokeError(f"no device for account {account_id}")


async def workshop_id(hass: HomeAssistant) -> str:
    """Return the device ID of the second account's workshop, once it is the account's child.

    Its device is made with its entities, and made the account's child just after.
    """
    deadline = asyncio.get_running_loop().time() + ENTITIES_TIMEOUT
    while True:
        (devices,) = await hass.websocket({"type": "config/device_registry/list"})
        names = {device["id"]: device["name"] for device in devices}
        for device in devices:
            if device["name"] == DEMO_WORKSHOP_ADDRESS and device["via_device_id"]:
                parent = names.get(device["via_device_id"])
                _log(f"{DEMO_WORKSHOP_ADDRESS}: a device of its own, connected via {parent}")
                return str(device["id"])
        if asyncio.get_running_loop().time() > deadline:
            raise SmokeError(f"no device for {DEMO_WORKSHOP_ADDRESS}, child of its account's")
        await asyncio.sleep(1)


async def log_in(page: Page, ha_url: str) -> None:
    """Go through Home Assistant's login page as a user would."""
    await page.goto(f"{ha_url}/")
    await page.get_by_role("textbox", name="Nom d'utilisateur").fill(USER)
    await page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_function(READY, timeout=PAGE_TIMEOUT)


async def shoot(
    page: Page, path: Path, url: str | None, text: str, height: int, cut: int | None = None
) -> None:
    """Open URL (None: stay), wait until TEXT shows, then save a PNG (CUT: of the page
    without the sidebar, that high)."""
    await page.set_viewport_size({"width": WIDTH, "height": height})
    if url:
        await page.goto(url)
    await page.get_by_text(text).first.wait_for(timeout=PAGE_TIMEOUT)
    await page.wait_for_timeout(SETTLE)
    clip = None if cut is None else {"x": SIDEBAR, "y": 0, "width": WIDTH - SIDEBAR, "height": cut}
    await page.screenshot(path=path, clip=clip)
    _log(f"saved {path}")


async def run(ha_url: str, portal_url: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        device_id, workshop = await set_up(HomeAssistant(session, ha_url), portal_url)
    _log("Home Assistant set up; opening Chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(locale="fr-FR")
        page.on("console", _console)
        page.on("response", _response)
        try:
            await log_in(page, ha_url)
            await shoot(page, out / "overview.png", None, "Paramètres", HEIGHT)
            # Since 2026.x the overview lists rooms; entities without one are a click away.
            home = await page.evaluate(
                "'home' in document.querySelector('home-assistant').hass.panels"
            )
            entities = "/home/other-devices" if home else "/lovelace/0"
            integrations, integration = (
                "/config/integrations",
                f"/config/integrations/integration/{DOMAIN}",
            )
            pages = [
                ("overview-entities", entities, "Levées", 1600, "light"),
                (
                    "dashboard",
                    f"/{DASHBOARD}/levees",
                    "Levées restant dans le forfait",
                    HEIGHT,
                    "light",
                ),
                ("integration", integration, "Ponts", HEIGHT, "light"),
                ("device", f"/config/devices/device/{device_id}", "Capteurs", 1200, "light"),
                (
                    "devices",
                    f"/config/devices/dashboard?historyBack=1&domain={DOMAIN}",
                    DEMO_WORKSHOP_ADDRESS,
                    HEIGHT,
                    "light",
                ),
                # The workshop's page names its account's device ("Connecté via").
                (
                    "device-workshop",
                    f"/config/devices/device/{workshop}",
                    WORKSHOP_ACCOUNT,
                    1200,
                    "light",
                ),
                ("integrations", f"{integrations}/dashboard", "Ecocito", HEIGHT, "light"),
                ("integrations-dark", f"{integrations}/dashboard", "Ecocito", HEIGHT, "dark"),
                ("integration-dark", integration, "Ponts", HEIGHT, "dark"),
                ("device-dark", f"/config/devices/device/{device_id}", "Capteurs", 1200, "dark"),
            ]
            for name, path, text, height, scheme in pages:
                await page.emulate_media(color_scheme=scheme)
                await shoot(
                    page,
                    out / f"{name}.png",
                    f"{ha_url}{path}",
                    text,
                    height,
                    README_SHOTS.get(name),
                )
        except PlaywrightError:
            await page.screenshot(path=out / "failure.png")
            _log(f"what the browser showed: {out / 'failure.png'}")
            raise
        finally:
            await browser.close()


def _console(message: ConsoleMessage) -> None:
    if message.type in ("error", "warning") and not message.text.startswith("Failed to load"):
        _log(f"browser {message.type}: {message.text[:300]}")


def _response(response: Response) -> None:
    if response.status >= 400 or "/api/brands/" in response.url:
        _log(f"browser: HTTP {response.status} for {response.url.split('?')[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.screenshot", description=__doc__)
    parser.add_argument("--ha", required=True, help="Home Assistant's URL, freshly started")
    parser.add_argument("--portal", required=True, help="the portal simulator's URL")
    parser.add_argument("--out", required=True, type=Path, help="folder for the PNGs")
    args = parser.parse_args()
    try:
        asyncio.run(run(args.ha.rstrip("/"), args.portal, args.out))
    except (SmokeError, PlaywrightError, aiohttp.ClientError, TimeoutError) as err:
        _log(f"FAILED: {err!r}")
        sys.exit(1)


if __name__ == "__main__":
    main()
