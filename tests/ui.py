"""The integration's forms in a French browser, typed key by key, as a resident would.

`scripts/ui` starts two portal simulators (the demo, and the portal as its public clients
see it) and a French Home Assistant, then runs `python -m tests.ui --ha URL --portal URL
--public URL --out DIR` in the environment with Playwright, which onboards in French,
logs in with Chromium (locale fr-FR) and goes through:

1. the config flow's first screen: a postal code, then a commune's name, typed for the
   portal (each refused with where to find the portal's address), then the demo portal;
2. the association wizard: "23" (the portal's list cut at 20, said, in French order,
   none chosen), "Chercher une autre commune", GUÉRET, a key of another commune
   (refused, the key kept in its field), "Changer de commune", LA SOUTERRAINE, its key;
3. the options: the allowance with French decimals ("5,555" refused with its range,
   "5,50" and "40,46" stored as 5.5 and 40.46), the history ("7" refused, then 3);
4. the main account's calendar in the month view: an expected pickup reads with its
   waste type first and no time ("Ordures ménagères : levée prévue"), and its details
   give the usual hours;
5. the public clients' portal: its first menu offers no association, and its entry no
   "link a production point" button;
6. the repairs: none of ours.

Each screen's French text is checked, and a PNG of each step is saved into DIR. Exits
non-zero on the first screen that does not say what it should.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import suppress
from pathlib import Path
import re
import sys
import time
from typing import Any

import aiohttp
from playwright.async_api import (
    Error as PlaywrightError,
    Locator,
    Page,
    async_playwright,
)

from tests.portal.scenarios import (
    DEMO_LINKABLE_KEY,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_PASSWORD,
    PUBLIC_LOGIN,
    PUBLIC_PASSWORD,
)
from tests.screenshot import CHROMIUM, FRENCH, SIDEBAR, log_in
from tests.smoke import DOMAIN, HomeAssistant, SmokeError, _log, repair_failures, scope

WIDTH, HEIGHT = 1280, 1000
STEP_TIMEOUT = 45_000
"""Milliseconds for a screen to show what it should (a refused portal name waits for DNS)."""
SUBMIT = "Valider"
MONTH_TIMEOUT = 10_000
"""Milliseconds for a month view to show its events once drawn."""
EXPECTED_PICKUP = re.compile(r"(Ordures ménagères|Emballages|Biodéchets) : levée prévue")
"""How an expected pickup of the demo's rhythms reads in the month view: its waste type
first, and no time (a whole-day event)."""


class UiError(Exception):
    """A screen did not say what it should."""


class Walk:
    """One Chromium page going through the forms, with a PNG of each step."""

    def __init__(self, page: Page, ha_url: str, out: Path) -> None:
        self.page = page
        self.ha_url = ha_url
        self.out = out
        self.shots = 0

    @property
    def dialog(self) -> Locator:
        """The flow's dialog: its element, whose shadow tree holds the form.

        Not the element of role dialog: the form is slotted into it, not inside it.
        """
        return self.page.locator("dialog-data-entry-flow")

    @property
    def window(self) -> Locator:
        """The dialog's window, as drawn (role dialog on 2026.x, alertdialog on 2025.4)."""
        return self.page.get_by_role("dialog").or_(self.page.get_by_role("alertdialog"))

    def field(self, label: str) -> Locator:
        """A text field of the dialog's form, by its label (a required one ends with *)."""
        return self.dialog.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}\*?$"))

    async def type(self, label: str, text: str) -> None:
        """Empty a field, then type TEXT into it key by key."""
        field = self.field(label)
        await field.click()
        await field.press("Control+a")
        await field.press("Delete")
        await field.press_sequentially(text, delay=20)

    async def switch_on(self, label: str) -> None:
        """Turn a toggle on (its switch has no accessible name: found by its selector's text)."""
        selector = self.dialog.locator("ha-selector-boolean").filter(has_text=label)
        await selector.locator("ha-switch").click()
        if await selector.get_by_role("switch").get_attribute("aria-checked") != "true":
            raise UiError(f"{label!r} did not turn on")

    @property
    def select(self) -> Locator:
        """The form's drop-down list (a select selector)."""
        return self.dialog.locator("ha-selector-select")

    @property
    def items(self) -> Locator:
        """The open drop-down list's items (menu items on 2026.x, options on 2025.4)."""
        return self.dialog.get_by_role("menuitem").or_(self.dialog.get_by_role("option"))

    async def listed(self) -> list[str]:
        """Open the drop-down list and return what it lists."""
        await self.select.click()
        await self.items.first.wait_for(timeout=STEP_TIMEOUT)
        return [text.strip() for text in await self.items.all_inner_texts()]

    async def submit(self) -> None:
        await self.dialog.get_by_role("button", name=SUBMIT).click()

    async def choose(self, text: str) -> None:
        """Pick a menu option, or a list's item."""
        await self.dialog.get_by_text(text, exact=True).click()

    async def says(self, *texts: str) -> None:
        """Wait until the dialog shows every text (a substring of one text node each)."""
        for text in texts:
            try:
                await self.dialog.get_by_text(text).first.wait_for(timeout=STEP_TIMEOUT)
            except PlaywrightError as err:
                raise UiError(f"the screen does not say {text!r}") from err

    async def offers_not(self, option: str) -> None:
        """Fail if the screen offers OPTION (a text of its own, as a menu option is)."""
        if await self.dialog.get_by_text(option, exact=True).count():
            raise UiError(f"the screen offers {option!r}")

    async def shot(self, name: str, *, whole_page: bool = False) -> None:
        """Save the dialog as it is now (or the whole page: an open list overflows it)."""
        self.shots += 1
        await self.page.wait_for_timeout(500)  # let the form finish drawing
        path = self.out / f"{self.shots:02d}-{name}.png"
        shown = self.page if whole_page else self.window
        await shown.screenshot(path=path)
        _log(f"saved {path}")

    async def close_created(self) -> None:
        """Close the screen that follows a new entry (its devices, to name and place)."""
        done = self.page.get_by_role("button", name=re.compile("^(Ignorer et terminer|Terminer)$"))
        await done.click(timeout=STEP_TIMEOUT)
        await self.window.wait_for(state="hidden", timeout=STEP_TIMEOUT)

    async def close(self) -> None:
        """Close the dialog with its close button, leaving its flow."""
        await self.dialog.get_by_role("button", name="Fermer").click()
        await self.window.wait_for(state="hidden", timeout=STEP_TIMEOUT)

    async def close_saved(self) -> None:
        """Close the screen that confirms saved options."""
        await self.says("Options enregistrées avec succès.")
        await self.dialog.get_by_role("button", name="Terminer").click()
        await self.window.wait_for(state="hidden", timeout=STEP_TIMEOUT)

    async def start_config_flow(self) -> None:
        await self.page.goto(f"{self.ha_url}/config/integrations/dashboard/add?domain={DOMAIN}")
        await self.page.get_by_role("button", name="OK").click()
        await self.says("Connexion à votre portail Ecocito")


async def config_flow(walk: Walk, portal_url: str) -> None:
    """The first screen with what a resident may type for the portal, then the wizard."""
    await walk.start_config_flow()
    await walk.type("Portail", "23000")
    await walk.type("Adresse e-mail", DEMO_LOGIN)
    await walk.type("Mot de passe", DEMO_PASSWORD)
    await walk.submit()
    await walk.says(
        "C'est un code postal, pas l'adresse d'un portail.",
        "l'adresse qu'affiche votre navigateur quand vous vous connectez sur son site Ecocito",
    )
    await walk.shot("portail-code-postal")

    await walk.type("Portail", "gueret")
    await walk.type("Mot de passe", DEMO_PASSWORD)
    await walk.submit()
    await walk.says("Le portail https://gueret.ecocito.com est injoignable.")
    await walk.shot("portail-nom-de-commune")

    await walk.type("Portail", portal_url)
    await walk.type("Mot de passe", DEMO_PASSWORD)
    await walk.submit()
    await walk.says("Points de production associés", "Associer un autre compte")
    await walk.shot("comptes-associes")
    await walk.choose("Associer un autre compte")

    await walk.says("Étape 1 / 3 : commune")
    await walk.type("Commune", "23")
    await walk.submit()
    await walk.says(
        "Au moins 20 communes correspondent à « 23 », et le portail n'en donne pas plus de 20"
    )
    if chosen := (await walk.select.inner_text()).replace("Commune", "").strip():
        raise UiError(f"a commune is chosen in advance: {chosen!r}")
    await walk.shot("communes-liste-coupee")
    listed = await walk.listed()
    if (
        listed[:7]
        != [
            "AHUN (23150)",
            "AJAIN (23380)",
            "AUBUSSON (23200)",
            "AUZANCES (23700)",
            "AZERABLES (23160)",
            "BÉNÉVENT-L'ABBAYE (23210)",  # with the Bs, not after the Zs
            "BONNAT (23220)",
        ]
        or len(listed) != 20
        or "GUÉRET (23000)" in listed
    ):
        raise UiError(f"the communes listed for 23: {listed}")
    await walk.shot("communes-liste-ouverte", whole_page=True)
    await walk.page.keyboard.press("Escape")

    await walk.switch_on("Chercher une autre commune")
    await walk.submit()
    await walk.says("Étape 1 / 3 : commune")
    if await walk.field("Commune").input_value() != "23":
        raise UiError("the commune typed before is not kept")
    await walk.type("Commune", "guéret")
    await walk.submit()
    await walk.says("Plusieurs communes correspondent à « guéret ».")
    if await walk.listed() != ["GUÉRET (23000)", "SAINT-SULPICE-LE-GUÉRETOIS (23000)"]:
        raise UiError("the communes listed for guéret")
    await walk.items.filter(has_text="GUÉRET (23000)").click()
    await walk.submit()

    await walk.says("Étape 2 / 3 : clé d'activation", "GUÉRET (23000)")
    await walk.type("Clé d'activation", DEMO_LINKABLE_KEY)  # LA SOUTERRAINE's key
    await walk.submit()
    await walk.says("Cette clé d'activation ne correspond pas à la commune sélectionnée.")
    if await walk.field("Clé d'activation").input_value() != DEMO_LINKABLE_KEY:
        raise UiError("the refused key is not in its field any more")
    await walk.shot("cle-refusee")

    await walk.switch_on("Changer de commune (retour à l'étape 1)")
    await walk.submit()
    await walk.says("Étape 1 / 3 : commune")
    await walk.type("Commune", "23300")
    await walk.submit()
    await walk.says("Étape 2 / 3 : clé d'activation", "LA SOUTERRAINE (23300)")
    await walk.type("Clé d'activation", DEMO_LINKABLE_KEY)
    await walk.submit()
    await walk.says("Étape 3 / 3 : compte associé")
    await walk.shot("compte-associe")
    await walk.choose("Terminer")
    await walk.close_created()


async def start_options(walk: Walk, entry_id: str, option: str) -> None:
    """Open the options of an entry from its integration page ("Configurer"), then OPTION.

    On 2025.4 the dialog, once open, is sometimes closed again while the page settles
    (seen after options were saved): then it is opened again.
    """
    await walk.page.goto(
        f"{walk.ha_url}/config/integrations/integration/{DOMAIN}#config_entry={entry_id}"
    )
    configure = walk.page.get_by_role("button", name="Configurer", exact=True)
    for _ in range(3):  # a click while the page still draws its entries may be lost
        with suppress(PlaywrightError):
            await configure.first.click(timeout=5_000)
            await walk.dialog.get_by_text("Que voulez-vous modifier ?").wait_for(timeout=5_000)
            await walk.dialog.get_by_text(option, exact=True).click(timeout=5_000)
            return
    raise UiError(f"the options do not open on {option!r}")


async def open_allowance(walk: Walk, entry_id: str) -> None:
    """Open the options on the main account's allowance form."""
    await start_options(walk, entry_id, "Forfait d'un compte (levées, déchèterie)")
    await walk.says("Choisissez le point de production")
    await walk.dialog.get_by_text(f"N° {DEMO_MAIN_ACCOUNT_ID}").click()
    await walk.submit()
    await walk.says("Pour chaque flux dont votre collectivité compte les levées")


async def options(walk: Walk, entry_id: str) -> None:
    """The allowance typed in French, then the history kept."""
    await open_allowance(walk, entry_id)
    await walk.type("Ordures ménagères", "52")
    await walk.type("Prix d'une levée supplémentaire", "5,555")
    await walk.type("Passages en déchèterie compris par an", "26")
    await walk.type("Prix d'un passage supplémentaire en déchèterie", "40,46")
    await walk.submit()
    await walk.says("Saisissez un prix en euros de 0 à 1000, avec deux décimales au plus")
    await walk.shot("forfait-prix-refuse")
    await walk.type("Prix d'une levée supplémentaire", "5,50")
    await walk.submit()
    await walk.close_saved()

    # Opened again, the form shows what was stored, as a resident writes it.
    await open_allowance(walk, entry_id)
    shown = {
        label: await walk.field(label).input_value()
        for label in (
            "Ordures ménagères",
            "Prix d'une levée supplémentaire",
            "Passages en déchèterie compris par an",
            "Prix d'un passage supplémentaire en déchèterie",
        )
    }
    if list(shown.values()) != ["52", "5,50", "26", "40,46"]:
        raise UiError(f"the allowance stored reads back as {shown}")
    _log(f"allowance stored as typed: {shown}")
    await walk.shot("forfait-enregistre")
    await walk.close()

    await start_options(walk, entry_id, "Historique conservé")
    await walk.type("Années d'historique", "7")
    await walk.submit()
    await walk.says("Saisissez un nombre entier d'années, de 0 à 5.")
    await walk.shot("historique-refuse")
    await walk.type("Années d'historique", "3")
    await walk.submit()
    await walk.close_saved()
    await start_options(walk, entry_id, "Historique conservé")
    if (years := await walk.field("Années d'historique").input_value()) != "3":
        raise UiError(f"the history kept reads back as {years!r}")
    await walk.close()


async def calendar(walk: Walk, hass: HomeAssistant, portal_url: str) -> None:
    """The main account's calendar alone, in the month view: its expected pickups."""
    (registry,) = await hass.websocket({"type": "config/entity_registry/list"})
    main = scope(portal_url, f"{DEMO_MAIN_ACCOUNT_ID}_history")
    (calendar_id,) = [e["entity_id"] for e in registry if e["unique_id"] == main]
    others = [
        state["entity_id"]
        for state in await hass.request("GET", "/api/states")
        if state["entity_id"].startswith("calendar.") and state["entity_id"] != calendar_id
    ]
    # The calendar panel keeps the calendars left out in the browser's storage.
    await walk.page.evaluate(
        "others => localStorage.setItem('deSelectedCalendars', JSON.stringify(others))", others
    )
    await walk.page.goto(f"{walk.ha_url}/calendar")
    await walk.page.locator(".fc-daygrid-day").first.wait_for(timeout=STEP_TIMEOUT)
    expected = walk.page.locator(".fc-daygrid-event").filter(has_text="levée prévue")
    for _month in range(2):
        with suppress(PlaywrightError):
            await expected.first.wait_for(timeout=MONTH_TIMEOUT)
            break
        # Late in a month, the next expected pickups may all be in the next one.
        await walk.page.get_by_role("button", name="Suivant", exact=True).click()
    else:
        raise UiError(f"no expected pickup in the month view of {calendar_id}")
    shown = [text.strip() for text in await expected.all_inner_texts()]
    wrong = [text for text in shown if not EXPECTED_PICKUP.fullmatch(text)]  # no time before
    if wrong:
        raise UiError(f"expected pickups read {wrong} in the month view")
    _log(f"{calendar_id}, month view: {len(shown)} expected pickups, e.g. {shown[0]!r}")
    walk.shots += 1
    path = walk.out / f"{walk.shots:02d}-calendrier-mois.png"
    await walk.page.wait_for_timeout(500)
    # The panel, without the sidebar (the README shows it: artwork/screenshots/calendar.png).
    await walk.page.screenshot(
        path=path, clip={"x": SIDEBAR, "y": 0, "width": WIDTH - SIDEBAR, "height": HEIGHT}
    )
    _log(f"saved {path}")

    await expected.first.click()
    details = walk.page.locator("dialog-calendar-event-detail")
    for text in ("Estimée d'après le rythme de votre bac", "en général entre"):
        try:
            await details.get_by_text(text).first.wait_for(timeout=STEP_TIMEOUT)
        except PlaywrightError as err:
            raise UiError(f"the expected pickup's details do not say {text!r}") from err
    await walk.shot("calendrier-levee-prevue")
    await walk.page.keyboard.press("Escape")


async def public_portal(walk: Walk, portal_url: str) -> None:
    """The public clients' portal: no association offered, and the screen says why."""
    await walk.start_config_flow()
    await walk.type("Portail", portal_url)
    await walk.type("Adresse e-mail", PUBLIC_LOGIN)
    await walk.type("Mot de passe", PUBLIC_PASSWORD)
    await walk.submit()
    await walk.says(
        "Points de production associés",
        "Ce portail ne permet pas d'associer un autre point de production depuis Home Assistant",
    )
    await walk.offers_not("Associer un autre compte")
    await walk.shot("portail-sans-assistant")
    await walk.choose("Terminer")
    await walk.close_created()


async def entries(hass: HomeAssistant) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await hass.request(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    return found


async def run(ha_url: str, portal_url: str, public_url: str, out: Path) -> None:
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("[0-9][0-9]-*.png"), *out.glob("failure.*")]:  # an earlier run's
        old.unlink()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        hass = HomeAssistant(session, ha_url)
        await hass.onboard(language="fr")
        version = await hass.wait_running()
        await hass.websocket({"type": "frontend/set_user_data", "key": "language", "value": FRENCH})
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = await browser.new_page(
                locale="fr-FR", viewport={"width": WIDTH, "height": HEIGHT}
            )
            walk = Walk(page, ha_url, out)
            try:
                await log_in(page, ha_url)
                await config_flow(walk, portal_url)
                (demo,) = await entries(hass)
                await options(walk, demo["entry_id"])
                await calendar(walk, hass, portal_url)
                await public_portal(walk, public_url)
            except (PlaywrightError, UiError):
                await page.screenshot(path=out / "failure.png")
                shown = await page.locator("body").aria_snapshot()
                (out / "failure.txt").write_text(shown, encoding="utf-8")
                _log(f"what the browser showed: {out / 'failure.png'}, {out / 'failure.txt'}")
                raise
            finally:
                await browser.close()
        offered = {
            entry["title"]: entry["supported_subentry_types"] for entry in await entries(hass)
        }
        _log(f"association offered on the integration page: {offered}")
        if [bool(types) for types in offered.values()] != [True, False]:
            raise UiError(f"the integration page offers to link: {offered}")
        if ours := await repair_failures(hass):
            raise UiError(f"repairs of ours: {ours}")
    _log(
        f"passed on Home Assistant {version}: {walk.shots} screens checked in French "
        f"({time.monotonic() - started:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.ui", description=__doc__)
    parser.add_argument("--ha", required=True, help="Home Assistant's URL, freshly started")
    parser.add_argument("--portal", required=True, help="the demo portal simulator's URL")
    parser.add_argument("--public", required=True, help="the public scenario's simulator URL")
    parser.add_argument("--out", required=True, type=Path, help="folder for the PNGs")
    args = parser.parse_args()
    try:
        asyncio.run(run(args.ha.rstrip("/"), args.portal, args.public, args.out))
    except (UiError, SmokeError, PlaywrightError, aiohttp.ClientError, TimeoutError) as err:
        _log(f"FAILED: {err!r}")
        sys.exit(1)


if __name__ == "__main__":
    main()
