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
   of devices without a room), the README's dashboard, the integration's page and the main account's device,
   then of the integrations page, the integration's page and the device again in the
   dark theme (the browser asks for it; Home Assistant's default theme follows), for
   the brand images: the browser's requests for them are printed.

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

from tests.portal.scenarios import DEMO_MAIN_ACCOUNT_ID
from tests.smoke import (
    DOMAIN,
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


DASHBOARD = "ecocito-levees"
ALLOWED_PICKUPS = 52
"""The pickups included in the demo's allowance: the README dashboard's gauge goes to it."""


def readme_dashboard() -> dict[str, Any]:
    """The README's French dashboard, pasted as a user would, as one view."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("```yaml\n", text.index("**Un tableau de bord lisible")) + len("```yaml\n")
    card = yaml.safe_load(text[start : text.index("```", start)])
    return {"title": "Levées", "views": [{"title": "Levées", "path": "levees", "cards": [card]}]}


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


async def set_up(hass: HomeAssistant, portal_url: str) -> str:
    """Onboard in French, add the integration and the README's dashboard; return the main
    account's device ID."""
    await hass.onboard(language="fr")
    await hass.wait_running()
    await hass.websocket({"type": "frontend/set_user_data", "key": "language", "value": FRENCH})
    entry_id = await add_integration(hass, portal_url)
    await wait_loaded(hass, entry_id)
    await set_allowance(hass, entry_id)
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
    (devices,) = await hass.websocket({"type": "config/device_registry/list"})
    wanted = [DOMAIN, scope(portal_url, str(DEMO_MAIN_ACCOUNT_ID))]
    for device in devices:
        if wanted in device["identifiers"]:
            return str(device["id"])
    raise SmokeError(f"no device for account {DEMO_MAIN_ACCOUNT_ID}")


async def log_in(page: Page, ha_url: str) -> None:
    """Go through Home Assistant's login page as a user would."""
    await page.goto(f"{ha_url}/")
    await page.get_by_role("textbox", name="Nom d'utilisateur").fill(USER)
    await page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_function(READY, timeout=PAGE_TIMEOUT)


async def shoot(page: Page, path: Path, url: str | None, text: str, height: int) -> None:
    """Open URL (None: stay), wait until TEXT shows, then save a PNG."""
    await page.set_viewport_size({"width": WIDTH, "height": height})
    if url:
        await page.goto(url)
    await page.get_by_text(text).first.wait_for(timeout=PAGE_TIMEOUT)
    await page.wait_for_timeout(SETTLE)
    await page.screenshot(path=path)
    _log(f"saved {path}")


async def run(ha_url: str, portal_url: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        device_id = await set_up(HomeAssistant(session, ha_url), portal_url)
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
                ("integrations", f"{integrations}/dashboard", "Ecocito", HEIGHT, "light"),
                ("integrations-dark", f"{integrations}/dashboard", "Ecocito", HEIGHT, "dark"),
                ("integration-dark", integration, "Ponts", HEIGHT, "dark"),
                ("device-dark", f"/config/devices/device/{device_id}", "Capteurs", 1200, "dark"),
            ]
            for name, path, text, height, scheme in pages:
                await page.emulate_media(color_scheme=scheme)
                await shoot(page, out / f"{name}.png", f"{ha_url}{path}", text, height)
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
