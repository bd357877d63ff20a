"""Config flow, subentry flow and options flow, against the portal simulator."""

from __future__ import annotations

from dataclasses import replace
from http import HTTPStatus
import json
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import voluptuous as vol

from custom_components.ecocito.api.portal import (
    PATH_HOME,
    PATH_LINK_KEY,
    PATH_LINK_START,
    PATH_LOGIN,
    PATH_LOGOUT,
    PATH_SEARCH_COMMUNES,
    PATH_SWITCH_ACCOUNT,
)
from custom_components.ecocito.config_flow import GENERIC_LOGIN_URL
from custom_components.ecocito.const import (
    CONF_ACCOUNT,
    CONF_ACTIVATION_KEY,
    CONF_CHANGE_COMMUNE,
    CONF_COMMUNE,
    CONF_COMMUNE_ID,
    CONF_HISTORY_YEARS,
    CONF_LINK_WIZARD,
    CONF_PORTAL,
    DOMAIN,
    SUBENTRY_PRODUCTION_POINT,
)
from custom_components.ecocito.link_wizard import PLACEHOLDER_LIMIT

from .helpers import find_device, poll, scoped
from .portal import Fault, FaultKind, PortalSimulator
from .portal.app import ERROR_KEY_OTHER_COMMUNE
from .portal.scenarios import (
    COMMUNE_SAINT_VAURY,
    COMMUNES,
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_COMMUNE_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LINKABLE_LABEL,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_MAIN_LABEL,
    DEMO_PASSWORD,
    DEMO_SECOND_ACCOUNT_ID,
    DEMO_SECOND_LABEL,
    OTHER_COMMUNE_KEY,
    OTHER_LOGIN,
    OTHER_PASSWORD,
    RENAMED_NAMES,
    USED_KEY,
    USED_KEY_ACCOUNT_ID,
    USED_KEY_COMMUNE_ID,
)

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")

KEYS = (DEMO_LINKABLE_KEY, USED_KEY, OTHER_COMMUNE_KEY, "NOPE-0000-XX")


def assert_no_key(result: Any) -> None:
    """No activation key ever comes back in a flow result."""
    text = json.dumps(result, default=repr)
    assert not [key for key in KEYS if key in text]


def credentials(simulator: PortalSimulator, **changes: str) -> dict[str, str]:
    return {
        CONF_PORTAL: simulator.base_url,
        CONF_USERNAME: DEMO_LOGIN,
        CONF_PASSWORD: DEMO_PASSWORD,
    } | changes


def unique_id(simulator: PortalSimulator, login: str = DEMO_LOGIN) -> str:
    return f"{simulator.base_url.removeprefix('http://')}_{login}"


async def start_and_log_in(hass: HomeAssistant, simulator: PortalSimulator) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "accounts"
    return result


async def finish(hass: HomeAssistant, flow_id: str, simulator: PortalSimulator) -> MockConfigEntry:
    """Finish the flow from the accounts menu and check the entry."""
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "finish"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert_no_key(result)
    entry = result["result"]
    assert entry.title == f"Ecocito {simulator.base_url.removeprefix('http://')}"
    assert entry.unique_id == unique_id(simulator)
    assert entry.data == credentials(simulator)
    assert entry.options == {CONF_HISTORY_YEARS: 2, CONF_LINK_WIZARD: True}
    return entry


def suggested_key(result: Any) -> str:
    """Return the activation key a key form shows in its field."""
    key = next(key for key in result["data_schema"].schema if key == CONF_ACTIVATION_KEY)
    suggested: str = key.description["suggested_value"]
    return suggested


def commune_options(result: Any) -> list[str]:
    """Return the communes a select step lists, checking that none is chosen in advance."""
    fields = {str(key): key for key in result["data_schema"].schema}
    assert list(fields) == [CONF_COMMUNE_ID, CONF_CHANGE_COMMUNE]
    # Optional without a default: the frontend starts a required select on its first option.
    assert isinstance(fields[CONF_COMMUNE_ID], vol.Optional)
    assert fields[CONF_COMMUNE_ID].default is vol.UNDEFINED
    assert fields[CONF_COMMUNE_ID].description is None
    selector = result["data_schema"].schema[fields[CONF_COMMUNE_ID]]
    options = selector.config["options"]
    assert [option["value"] for option in options] == [
        str(next(i for i, name, code, _ in COMMUNES if f"{name} ({code})" == option["label"]))
        for option in options
    ]
    return [option["label"] for option in options]


async def shown(hass: HomeAssistant, language: str, key: str, result: Any) -> str:
    """Return the text at ``key`` as the frontend shows it: translated, placeholders filled."""
    category = key.split(".", 1)[0]
    translations = await async_get_translations(hass, language, category, [DOMAIN])
    text = translations[f"component.{DOMAIN}.{key}"]
    return text.format(**(result.get("description_placeholders") or {}))


async def step_texts(hass: HomeAssistant, language: str, result: Any) -> str:
    """Return the title and description of a config-flow step, as shown."""
    step = f"config.step.{result['step_id']}"
    title = await shown(hass, language, f"{step}.title", result)
    return f"{title}\n{await shown(hass, language, f'{step}.description', result)}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "user": [
                    "login page",
                    f"Home Assistant cannot do for you): {GENERIC_LOGIN_URL}",
                    "FranceConnect only? The integration needs an Ecocito password",
                ],
                "accounts": ["Unlinking a production point goes through your collectivité"],
                "commune": ["Step 1 / 3: commune", "“Associer un autre compte”"],
                "key": ["Step 2 / 3: activation key", "copy of an identity document"],
                "linked": ["Step 3 / 3: account linked", f"new account: {DEMO_LINKABLE_LABEL}."],
                "subentry_done": [
                    f"Step 3 / 3, done: the portal linked the new account ({DEMO_LINKABLE_LABEL})."
                ],
            },
        ),
        (
            "fr",
            {
                "user": [
                    "page de connexion",
                    f"à votre place) : {GENERIC_LOGIN_URL}",
                    "uniquement avec FranceConnect ? L'intégration a besoin d'un mot de passe",
                ],
                "accounts": ["Pour dissocier un compte, passez par votre collectivité"],
                "commune": ["Étape 1 / 3 : commune", "« Associer un autre compte »"],
                "key": ["Étape 2 / 3 : clé d'activation", "copie d'une pièce d'identité"],
                "linked": ["Étape 3 / 3 : compte associé", f"associé : {DEMO_LINKABLE_LABEL}."],
                "subentry_done": [
                    f"Étape 3 / 3, terminé : le nouveau compte est maintenant "
                    f"associé ({DEMO_LINKABLE_LABEL})."
                ],
            },
        ),
    ],
)
async def test_wizard_texts_read_like_the_portal(
    hass: HomeAssistant, simulator: PortalSimulator, language: str, expected: dict[str, list[str]]
) -> None:
    """The texts a user reads: the login page to sign up, unlinking, steps 1 to 3 of 3."""
    seen: dict[str, str] = {}
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    seen["user"] = await step_texts(hass, language, result)
    result = await flow.async_configure(result["flow_id"], credentials(simulator))
    seen["accounts"] = await step_texts(hass, language, result)
    result = await flow.async_configure(result["flow_id"], {"next_step_id": "link"})
    seen["commune"] = await step_texts(hass, language, result)
    result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: "23300"})
    seen["key"] = await step_texts(hass, language, result)
    assert "LA SOUTERRAINE (23300)" in seen["key"]
    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY})
    seen["linked"] = await step_texts(hass, language, result)
    assert DEMO_LINKABLE_LABEL in seen["linked"].rsplit("\n\n", 2)[-2]  # the updated list
    entry = await finish(hass, result["flow_id"], simulator)

    # Linking later, from the integration's page: the same steps, the same numbering.
    simulator.state.unlink(DEMO_LOGIN, DEMO_LINKABLE_ACCOUNT_ID)
    assert entry.state is ConfigEntryState.LOADED
    subentries = hass.config_entries.subentries
    result = await subentries.async_init(
        (entry.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
    )
    sub = "config_subentries.production_point"
    for step in ("commune", "key"):
        texts = [
            await shown(hass, language, f"{sub}.step.{step}.{part}", result)
            for part in ("title", "description")
        ]
        assert "\n".join(texts) == seen[step]
        result = await subentries.async_configure(
            result["flow_id"],
            {CONF_COMMUNE: "23300"}
            if step == "commune"
            else {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY},
        )
    seen["subentry_done"] = await shown(hass, language, f"{sub}.abort.{result['reason']}", result)
    for step, fragments in expected.items():
        for fragment in fragments:
            assert fragment in seen[step], f"{step}: {fragment!r} not in {seen[step]!r}"


async def test_user_flow_links_a_production_point(
    hass: HomeAssistant, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Credentials, the linked accounts, commune, key, back to the menu, finish."""
    caplog.set_level(logging.DEBUG)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["description_placeholders"]["login_url"] == GENERIC_LOGIN_URL

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, username=f" {DEMO_LOGIN.upper()} ")
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["link", "finish"]
    placeholders = result["description_placeholders"]
    assert placeholders["accounts"] == f"- {DEMO_MAIN_LABEL}\n- {DEMO_SECOND_LABEL}"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "commune"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_COMMUNE: " 23300 "}
    )
    assert result["step_id"] == "key"
    assert result["description_placeholders"][CONF_COMMUNE] == "LA SOUTERRAINE (23300)"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    assert_no_key(result)
    assert result["step_id"] == "linked"
    assert result["description_placeholders"]["accounts"].endswith(f"- {DEMO_LINKABLE_LABEL}")
    assert_no_key(hass.config_entries.flow.async_get(result["flow_id"]))
    assert DEMO_LINKABLE_ACCOUNT_ID in simulator.state.get_login(DEMO_LOGIN).account_ids

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.title == f"Ecocito {simulator.base_url.removeprefix('http://')}"
    assert entry.unique_id == unique_id(simulator)
    assert entry.data == credentials(simulator, username=DEMO_LOGIN.upper())
    assert entry.options == {CONF_HISTORY_YEARS: 2, CONF_LINK_WIZARD: True}
    assert_no_key({"data": dict(entry.data), "options": dict(entry.options)})
    assert_no_key(caplog.text)
    assert DEMO_PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "If you only ever signed in with FranceConnect, set an Ecocito password first"),
        ("fr", "Si vous ne vous êtes jamais connecté qu'avec FranceConnect, créez d'abord"),
    ],
)
async def test_wrong_password_says_a_portal_password_is_needed(
    hass: HomeAssistant, simulator: PortalSimulator, language: str, expected: str
) -> None:
    """A resident who only used FranceConnect is told again how to get a password."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, password="wrong")
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    text = await shown(hass, language, "config.error.invalid_auth", result)
    assert expected in text
    assert "{" not in text  # the portal's message filled in


async def test_portal_given_as_host(hass: HomeAssistant, simulator: PortalSimulator) -> None:
    """The entry stores the normalised base URL, whatever form the portal was typed in."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        credentials(simulator, portal=simulator.base_url.removeprefix("http://") + "/"),
    )
    await finish(hass, result["flow_id"], simulator)


@pytest.mark.parametrize(
    ("portal", "password", "fault", "field", "error"),
    [
        ("http://example.com", DEMO_PASSWORD, None, CONF_PORTAL, "invalid_portal"),
        ("not a portal", DEMO_PASSWORD, None, CONF_PORTAL, "invalid_portal"),
        (None, "wrong", None, CONF_PASSWORD, "invalid_auth"),
        (None, DEMO_PASSWORD, Fault(FaultKind.SERVER_ERROR, PATH_LOGIN), CONF_PORTAL, "portal_unreachable"),
        (None, DEMO_PASSWORD, Fault(FaultKind.RATE_LIMITED, PATH_LOGIN, retry_after=0), CONF_PORTAL, "portal_unreachable"),
        (None, DEMO_PASSWORD, Fault(FaultKind.REDIRECT, PATH_LOGIN, location="http://127.0.0.2:1"), CONF_PORTAL, "portal_changed"),
    ],
)  # fmt: skip
async def test_user_step_errors(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    portal: str | None,
    password: str,
    fault: Fault | None,
    field: str,
    error: str,
) -> None:
    """Each error is shown on its field, then corrected input completes the flow."""
    if fault is not None:
        simulator.add_fault(fault)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    typed = credentials(simulator, portal=portal or simulator.base_url, password=password)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {field: error}
    login_url = result["description_placeholders"]["login_url"]
    if portal is None and error != "portal_unreachable":
        assert login_url == f"{simulator.base_url}{PATH_LOGIN}"
    else:  # no portal there, or none answers: the national entry's
        assert login_url == GENERIC_LOGIN_URL
    # What was typed is kept, except the password.
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {CONF_PORTAL: typed[CONF_PORTAL], CONF_USERNAME: DEMO_LOGIN}

    simulator.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    await finish(hass, result["flow_id"], simulator)


@pytest.mark.parametrize(
    ("typed", "error", "portal_url"),
    [
        ("23000", "portal_postal_code", "https://23000.ecocito.com"),
        (" 23300 ", "portal_postal_code", "https://23300.ecocito.com"),
        ("Guéret", "invalid_portal", ""),
        ("La Souterraine", "invalid_portal", ""),
        # A commune's name is a valid subdomain ("gueret": https://gueret.ecocito.com),
        # where nothing answers; here, a loopback port where nothing listens.
        ("127.0.0.1:1", "portal_unreachable", "http://127.0.0.1:1"),
    ],
)
@pytest.mark.parametrize(
    ("language", "said", "hint"),
    [
        (
            "en",
            "the address your browser shows when you log in to its Ecocito site",
            "The address your browser shows when you log in to your collectivité's Ecocito site",
        ),
        (
            "fr",
            "l'adresse qu'affiche votre navigateur quand vous vous connectez sur son site Ecocito",
            "L'adresse qu'affiche votre navigateur quand vous vous connectez sur le site Ecocito "
            "de votre collectivité",
        ),
    ],
)
async def test_a_commune_typed_for_the_portal_is_told_where_to_find_it(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    typed: str,
    error: str,
    portal_url: str,
    language: str,
    said: str,
    hint: str,
) -> None:
    """A town or a postal code in the portal field: how to find the portal's address."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, portal=typed)
    )
    assert result["errors"] == {CONF_PORTAL: error}
    assert result["description_placeholders"]["portal_url"] == portal_url
    assert result["description_placeholders"]["login_url"] == GENERIC_LOGIN_URL
    text = await shown(hass, language, f"config.error.{error}", result)
    assert said in text
    assert "https://pilatrhodanien.ecocito.com" in text
    assert simulator.requests == []
    description = await shown(hass, language, "config.step.user.data_description.portal", result)
    assert description.startswith(hint)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    await finish(hass, result["flow_id"], simulator)


async def test_portal_address_with_user_info_is_refused_and_never_logged(
    hass: HomeAssistant, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """``http://user:password@host``: a clear error, the address neither logged nor shown."""
    caplog.set_level(logging.DEBUG)
    secret = "Pw-Dans-Url-7"
    typed = simulator.base_url.replace("http://", f"http://jeanne:{secret}@")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, portal=typed)
    )

    assert result["errors"] == {CONF_PORTAL: "portal_userinfo"}
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {CONF_USERNAME: DEMO_LOGIN}
    assert secret not in json.dumps(result, default=repr)
    assert secret not in caplog.text
    assert simulator.requests == []
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    await finish(hass, result["flow_id"], simulator)
    assert secret not in caplog.text


async def test_long_input_is_not_echoed_whole(
    hass: HomeAssistant, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A 10,000-character portal or commune comes back in no error and no placeholder."""
    caplog.set_level(logging.DEBUG)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, portal="portail" * 1500)
    )
    assert result["errors"] == {CONF_PORTAL: "invalid_portal"}
    assert all(
        len(text) <= PLACEHOLDER_LIMIT for text in result["description_placeholders"].values()
    )
    assert "portail" * 20 not in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_COMMUNE: "Z" * 10_000}
    )
    assert result["errors"] == {CONF_COMMUNE: "no_commune"}
    assert len(result["description_placeholders"][CONF_COMMUNE]) == PLACEHOLDER_LIMIT


async def test_flows_log_out_when_they_end(hass: HomeAssistant, simulator: PortalSimulator) -> None:
    """Finished or abandoned, a flow ends every portal session it opened, and only those."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    hass.config_entries.flow.async_abort(result["flow_id"])  # closed before logging in
    await hass.async_block_till_done()
    assert simulator.requests == []

    result = await start_and_log_in(hass, simulator)
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert simulator.count(PATH_LOGOUT) == 1
    assert simulator.session_count() == 0

    # A log-in that worked but whose answer was not understood, then a good one.
    simulator.reset_requests()
    simulator.add_fault(Fault(FaultKind.HUGE_BODY, PATH_HOME, count=1))
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    assert result["errors"] == {CONF_PORTAL: "portal_changed"}
    assert simulator.session_count() == 1
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    entry = await finish(hass, result["flow_id"], simulator)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert simulator.count(PATH_LOGOUT) == 2
    assert simulator.session_count() == 1  # the entry's own


async def test_user_step_shows_the_portals_message(
    hass: HomeAssistant, simulator: PortalSimulator
) -> None:
    """A refused login shows the portal's own words."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, password="wrong")
    )
    assert result["description_placeholders"]["portal_message"] == (
        "Identifiant ou mot de passe incorrect."
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    await finish(hass, result["flow_id"], simulator)


async def test_user_step_unexpected_error(
    hass: HomeAssistant, simulator: PortalSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error is logged and shown as `unknown`; a retry completes the flow."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch(
        "custom_components.ecocito.config_flow.EcocitoClient.login",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], credentials(simulator)
        )
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while talking to the Ecocito portal" in caplog.text
    assert DEMO_PASSWORD not in caplog.text
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator)
    )
    await finish(hass, result["flow_id"], simulator)


async def test_user_flow_same_login_aborts(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The same login on the same portal, in any case, is configured once."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, username=DEMO_LOGIN.upper())
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_commune_step_errors(hass: HomeAssistant, simulator: PortalSimulator) -> None:
    """No match keeps the text; a portal error lets the user retry; one match goes on."""
    result = await start_and_log_in(hass, simulator)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "link"})

    for text in ("zzz", "a"):
        result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: text})
        assert result["step_id"] == "commune"
        assert result["errors"] == {CONF_COMMUNE: "no_commune"}
        assert result["description_placeholders"][CONF_COMMUNE] == text
        (key,) = result["data_schema"].schema
        assert key.description == {"suggested_value": text}

    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_SEARCH_COMMUNES, count=1))
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23300"})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23300"})
    assert result["step_id"] == "key"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    assert result["step_id"] == "linked"
    await finish(hass, flow_id, simulator)


async def test_several_communes_and_key_errors(
    hass: HomeAssistant, simulator: PortalSimulator
) -> None:
    """Several matches lead to a choice; each refusal of the key shows on the key field."""
    result = await start_and_log_in(hass, simulator)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "link"})
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23000"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "select"
    assert result["description_placeholders"] == {CONF_COMMUNE: "23000", "limit": "20"}
    assert commune_options(result) == [
        "GUÉRET (23000)",
        "SAINT-CHRISTOPHE (23000)",
        "SAINT-FIEL (23000)",
        "SAINT-LAURENT (23000)",
        "SAINT-SULPICE-LE-GUÉRETOIS (23000)",
        "SAINTE-FEYRE (23000)",
        "SAVENNES (23000)",
    ]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_COMMUNE_ID: str(USED_KEY_COMMUNE_ID)}
    )
    assert result["step_id"] == "key"
    assert result["description_placeholders"][CONF_COMMUNE] == "GUÉRET (23000)"

    # Each refusal shows on the key field, the portal's message said, the key kept in
    # the field so that a typo can be seen.
    for typed, error, message in (
        (OTHER_COMMUNE_KEY, "key_other_commune", ERROR_KEY_OTHER_COMMUNE),
        ("NOPE-0000-XX ", "invalid_key", "La clé d'activation est invalide."),
        (USED_KEY, "key_already_used", "Cette clé d'activation a déjà été utilisée."),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_ACTIVATION_KEY: typed}
        )
        assert result["step_id"] == "key"
        assert result["errors"] == {CONF_ACTIVATION_KEY: error}
        assert result["description_placeholders"]["portal_message"] == message
        assert suggested_key(result) == typed
    # "Already used": what to do next.
    assert (await shown(hass, "fr", "config.error.key_already_used", result)).endswith(
        "S'il n'est pas parmi vos comptes, écrivez à votre collectivité : elle seule peut "
        "le dissocier de l'autre identifiant."
    )
    assert "write to your collectivité" in await shown(
        hass, "en", "config.error.key_already_used", result
    )

    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_LINK_KEY, count=1))
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: USED_KEY}
    )
    assert result["step_id"] == "key"
    assert result["errors"] == {"base": "cannot_connect"}

    # The other household's login lets the production point go: the key works now.
    simulator.state.unlink(OTHER_LOGIN, USED_KEY_ACCOUNT_ID)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: USED_KEY}
    )
    assert result["step_id"] == "linked"
    assert USED_KEY_ACCOUNT_ID in simulator.state.get_login(DEMO_LOGIN).account_ids
    await finish(hass, flow_id, simulator)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "At least 20 communes match “23”, and the portal lists no more than 20"),
        (
            "fr",
            "Au moins 20 communes correspondent à « 23 », et le portail n'en donne pas plus de 20",
        ),
    ],
)
async def test_a_cut_list_says_so_and_searching_again_finds_the_commune(
    hass: HomeAssistant, simulator: PortalSimulator, language: str, said: str
) -> None:
    """ "23": the portal's 20 first matches, in French order, none chosen, and a way back.

    GUÉRET and LA SOUTERRAINE are not among the 20: the step says the list may be cut,
    and "Search for another commune" brings back the commune field with "23" in it.
    """
    result = await start_and_log_in(hass, simulator)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "link"})
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23"})
    assert result["step_id"] == "select_partial"
    listed = commune_options(result)
    assert len(listed) == 20
    assert listed[:6] == [
        "AHUN (23150)",
        "AJAIN (23380)",
        "AUBUSSON (23200)",
        "AUZANCES (23700)",
        "AZERABLES (23160)",
        "BÉNÉVENT-L'ABBAYE (23210)",  # with the Bs, not after the Zs
    ]
    assert "GUÉRET (23000)" not in listed
    assert said in await step_texts(hass, language, result)

    # Submitted with nothing chosen: the list stays, with what to do.
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_CHANGE_COMMUNE: False})
    assert result["step_id"] == "select_partial"
    assert result["errors"] == {CONF_COMMUNE_ID: "choose_commune"}
    text = await shown(hass, language, "config.error.choose_commune", result)
    assert (
        "Search for another commune" if language == "en" else "Chercher une autre commune"
    ) in text

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_CHANGE_COMMUNE: True})
    assert result["step_id"] == "commune"
    assert result["errors"] == {}
    (key,) = result["data_schema"].schema
    assert key.description == {"suggested_value": "23"}
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23000"})
    assert result["step_id"] == "select"
    assert "GUÉRET (23000)" in commune_options(result)

    # From the key step, back to the commune: the wrong commune was picked.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_COMMUNE_ID: str(USED_KEY_COMMUNE_ID), CONF_CHANGE_COMMUNE: False}
    )
    assert result["step_id"] == "key"
    assert result["description_placeholders"][CONF_COMMUNE] == "GUÉRET (23000)"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: "", CONF_CHANGE_COMMUNE: False}
    )
    assert result["errors"] == {CONF_ACTIVATION_KEY: "no_key"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY, CONF_CHANGE_COMMUNE: True}
    )
    assert result["step_id"] == "commune"
    assert simulator.count(PATH_LINK_KEY) == 0  # the key was not sent
    assert_no_key(result)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23300"})
    assert result["step_id"] == "key"
    assert result["description_placeholders"][CONF_COMMUNE] == "LA SOUTERRAINE (23300)"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    assert result["step_id"] == "linked"
    await finish(hass, flow_id, simulator)


async def test_select_and_key_steps_shown_again_without_an_answer(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A step asked again without an answer (a refresh) shows the same form, no error."""
    flow = hass.config_entries.subentries
    result = await flow.async_init(
        (init_integration.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
    )
    result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: "saint"})
    assert result["step_id"] == "select"
    assert commune_options(result)[0] == "SAINT-CHRISTOPHE (23000)"
    again = await flow.async_configure(result["flow_id"])
    assert (again["step_id"], again["errors"]) == ("select", {})
    result = await flow.async_configure(
        result["flow_id"], {CONF_COMMUNE_ID: str(COMMUNE_SAINT_VAURY)}
    )
    assert result["step_id"] == "key"
    again = await flow.async_configure(result["flow_id"])
    assert (again["step_id"], again["errors"]) == ("key", {})


async def test_commune_refused_at_key_step(hass: HomeAssistant, simulator: PortalSimulator) -> None:
    """A commune the portal refuses when the key is sent brings back the commune form."""
    result = await start_and_log_in(hass, simulator)
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "link"})
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23300"})
    assert result["step_id"] == "key"

    simulator.state.communes[DEMO_LINKABLE_COMMUNE_ID].served = False
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    assert result["step_id"] == "commune"
    assert result["errors"] == {CONF_COMMUNE: "unknown_commune"}
    assert "desservie" in result["description_placeholders"]["portal_message"]
    assert_no_key(result)

    simulator.state.communes[DEMO_LINKABLE_COMMUNE_ID].served = True
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23300"})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    assert result["step_id"] == "linked"
    await finish(hass, flow_id, simulator)


async def test_user_flow_over_http(
    hass: HomeAssistant, simulator: PortalSimulator, hass_client: ClientSessionGenerator
) -> None:
    """The whole user flow through the HTTP API, as the frontend drives it."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    base = "/api/config/config_entries/flow"

    async def post(path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=payload)
        assert response.status == HTTPStatus.OK, await response.text()
        text = await response.text()
        assert DEMO_LINKABLE_KEY not in text
        result: dict[str, Any] = json.loads(text)
        return result

    result = await post(base, {"handler": DOMAIN, "show_advanced_options": False})
    assert result["type"] == "form"
    assert result["step_id"] == "user"
    portal_field = next(field for field in result["data_schema"] if field["name"] == CONF_PORTAL)
    assert portal_field["selector"] == {
        "text": {"autocomplete": "url", "multiline": False, "multiple": False}
    }
    flow = f"{base}/{result['flow_id']}"

    result = await post(flow, credentials(simulator))
    assert result["type"] == "menu"
    assert result["menu_options"] == ["link", "finish"]
    result = await post(flow, {"next_step_id": "link"})
    assert result["step_id"] == "commune"
    result = await post(flow, {CONF_COMMUNE: "23300"})
    assert result["step_id"] == "key"
    result = await post(flow, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY})
    assert result["type"] == "menu"
    assert DEMO_LINKABLE_LABEL in result["description_placeholders"]["accounts"]
    result = await post(flow, {"next_step_id": "finish"})
    assert result["type"] == "create_entry"
    assert result["title"] == f"Ecocito {simulator.base_url.removeprefix('http://')}"

    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.unique_id == unique_id(simulator)
    assert entry.data == credentials(simulator)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A wrong password is refused on its field; the current one updates the entry."""
    mock_config_entry.add_to_hass(hass)
    simulator.state.set_password(DEMO_LOGIN, "Nouveau-2026")
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"][CONF_USERNAME] == DEMO_LOGIN
    assert [str(key) for key in result["data_schema"].schema] == [CONF_PASSWORD]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}

    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_LOGIN, count=1))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "Nouveau-2026"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "Nouveau-2026"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data == credentials(simulator, password="Nouveau-2026")
    assert mock_config_entry.unique_id == unique_id(simulator)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert simulator.count(PATH_LOGOUT) == 1  # the flow's session
    assert simulator.session_count() == 1  # the entry's


async def test_reconfigure(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The portal and password can change; an error is shown, then corrected."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {CONF_PORTAL: simulator.base_url, CONF_USERNAME: DEMO_LOGIN}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, password="wrong")
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}

    simulator.state.set_password(DEMO_LOGIN, "Nouveau-2026")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        credentials(simulator, username=DEMO_LOGIN.upper(), password="Nouveau-2026"),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == credentials(
        simulator, username=DEMO_LOGIN.upper(), password="Nouveau-2026"
    )
    # The portal's wizard asked again (it may be another portal): remembered.
    assert mock_config_entry.options == {CONF_HISTORY_YEARS: 2, CONF_LINK_WIZARD: True}
    assert mock_config_entry.unique_id == unique_id(simulator)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_a_running_entry(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A running entry given a new password starts again with it, once."""
    simulator.state.set_password(DEMO_LOGIN, "Nouveau-2026")
    simulator.reset_requests()
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(simulator, password="Nouveau-2026")
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.data[CONF_PASSWORD] == "Nouveau-2026"
    assert simulator.count(PATH_LOGIN, "POST") == 2  # the flow's, then the entry's: one reload


async def test_reconfigure_other_login_aborts(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Another login is another account: the entry is left alone."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        credentials(simulator, username=OTHER_LOGIN, password=OTHER_PASSWORD),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data == credentials(simulator)


async def test_options(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """History years: a number from 0 to 5, stored without reloading the entry."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "history"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "history"
    (key,) = result["data_schema"].schema
    assert key.description == {"suggested_value": "2"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HISTORY_YEARS: "5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {CONF_HISTORY_YEARS: 5}
    assert init_integration.state is ConfigEntryState.LOADED


async def test_subentry_flow_links_a_production_point(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Link later from the integration's page: the wizard ends with a confirmation."""
    flow = hass.config_entries.subentries
    result = await flow.async_init(
        (init_integration.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "commune"

    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_SEARCH_COMMUNES, count=1))
    result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: "souterraine"})
    assert result["errors"] == {"base": "cannot_connect"}
    result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: "souterraine"})
    assert result["step_id"] == "key"

    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: "NOPE-0000-XX"})
    assert result["errors"] == {CONF_ACTIVATION_KEY: "invalid_key"}
    result = await flow.async_configure(result["flow_id"], {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_linked"
    assert result["description_placeholders"] == {"account": DEMO_LINKABLE_LABEL}
    assert_no_key(result)
    assert init_integration.subentries == {}
    assert DEMO_LINKABLE_ACCOUNT_ID in simulator.state.get_login(DEMO_LOGIN).account_ids
    assert_no_key({"data": dict(init_integration.data), "options": dict(init_integration.options)})
    await hass.async_block_till_done()
    device = find_device(dr.async_get(hass), scoped(hass, str(DEMO_LINKABLE_ACCOUNT_ID)))
    assert device is not None  # at once, without a reload


async def test_subentry_flow_needs_a_loaded_entry(
    hass: HomeAssistant, simulator: PortalSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Without a running entry there is no session to link through."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.subentries.async_init(
        (mock_config_entry.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_options_of_an_entry_not_running(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The history can be changed while the entry is not running: it is only stored."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "history"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HISTORY_YEARS: "1"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {CONF_HISTORY_YEARS: 1}
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED


async def test_options_allowance_when_the_entry_stops_meanwhile(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An account picked after its entry stopped is not set: the flow says why."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "allowance"}
    )
    assert result["step_id"] == "allowance"  # two linked accounts: pick one
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ACCOUNT: str(DEMO_MAIN_ACCOUNT_ID)}
    )
    assert result["step_id"] == "allowance_account"
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
    assert "allowances" not in init_integration.options


@pytest.mark.parametrize("scenario", ["renamed"])
async def test_renamed_portal_through_the_flow(
    hass: HomeAssistant, simulator: PortalSimulator, issue_registry: ir.IssueRegistry
) -> None:
    """A portal naming its forms otherwise: link (wrong then right key), set up, switch, poll."""
    result = await start_and_log_in(hass, simulator)
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "link"})
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_COMMUNE: "23300"})
    assert result["step_id"] == "key"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: "NOPE-0000-XX"}
    )
    assert result["errors"] == {CONF_ACTIVATION_KEY: "invalid_key"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    assert result["step_id"] == "linked"
    assert result["description_placeholders"]["accounts"].endswith(f"- {DEMO_LINKABLE_LABEL}")
    entry = await finish(hass, flow_id, simulator)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # Each poll switches to every account but the login's first (the session is on it)
    # through the page's own form.
    await poll(hass, entry)
    coordinator = entry.runtime_data
    assert coordinator.last_update_success
    linked = (DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID, DEMO_LINKABLE_ACCOUNT_ID)
    assert list(coordinator.data.accounts) == list(linked)
    for account_id in linked:
        assert find_device(dr.async_get(hass), scoped(hass, str(account_id))) is not None
        held = simulator.state.get_account(account_id)
        this_year = coordinator.data.year
        assert len(coordinator.data.accounts[account_id].pickups) == sum(
            1 for p in held.pickups if p.when.year == this_year
        )
    assert simulator.count(RENAMED_NAMES.switch_path, "POST") == 2 * (len(linked) - 1)
    assert simulator.count(RENAMED_NAMES.wizard_key_path, "POST") == 2
    for modelled in (PATH_SWITCH_ACCOUNT, PATH_SEARCH_COMMUNES, PATH_LINK_KEY):
        assert simulator.count(modelled) == 0
    assert coordinator.client.portal_fingerprints == []
    assert issue_registry.issues == {}


async def test_wizard_page_unreachable_then_back(
    hass: HomeAssistant, simulator: PortalSimulator
) -> None:
    """The wizard's page fails at set-up and at "link": offered still, it says so; then works."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_LINK_START, count=2))
    result = await start_and_log_in(hass, simulator)
    assert result["menu_options"] == ["link", "finish"]  # could not tell: offered
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    assert result["step_id"] == "commune"
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_COMMUNE: "23300"}
    )
    assert result["step_id"] == "key"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    entry = await finish(hass, result["flow_id"], simulator)  # the wizard found: remembered
    assert entry.supported_subentry_types == {
        SUBENTRY_PRODUCTION_POINT: {"supports_reconfigure": False}
    }


async def test_wizard_unknown_at_set_up_then_missing(
    hass: HomeAssistant, simulator: PortalSimulator
) -> None:
    """Set-up could not tell; "link" finds no wizard: said, remembered, no button."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_LINK_START, count=1))
    result = await start_and_log_in(hass, simulator)
    assert result["menu_options"] == ["link", "finish"]
    simulator.state.style = replace(simulator.state.style, wizard=False)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "link"}
    )
    assert result["step_id"] == "link_unavailable"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    entry = result["result"]
    assert entry.options == {CONF_HISTORY_YEARS: 2, CONF_LINK_WIZARD: False}
    assert entry.supported_subentry_types == {}


async def test_wizard_unknown_at_set_up_stays_unknown(
    hass: HomeAssistant, simulator: PortalSimulator
) -> None:
    """Set-up could not tell and nothing was linked: nothing stored, the button offered."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_LINK_START, count=1))
    result = await start_and_log_in(hass, simulator)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )
    entry = result["result"]
    assert entry.options == {CONF_HISTORY_YEARS: 2}
    assert SUBENTRY_PRODUCTION_POINT in entry.supported_subentry_types


@pytest.mark.parametrize("step", ["commune", "key"])
async def test_wizard_gone_midway_says_linking_is_unavailable(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry, step: str
) -> None:
    """The portal drops its wizard while the user types: the flow ends with the reason."""
    flow = hass.config_entries.subentries
    result = await flow.async_init(
        (init_integration.entry_id, SUBENTRY_PRODUCTION_POINT), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "commune"
    if step == "key":
        result = await flow.async_configure(result["flow_id"], {CONF_COMMUNE: "23300"})
        assert result["step_id"] == "key"
    simulator.state.style = replace(simulator.state.style, wizard=False)
    answer = (
        {CONF_COMMUNE: "23300"} if step == "commune" else {CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY}
    )
    result = await flow.async_configure(result["flow_id"], answer)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "link_unavailable"
    assert DEMO_LINKABLE_ACCOUNT_ID not in simulator.state.get_login(DEMO_LOGIN).account_ids
