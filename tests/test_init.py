"""Setting up and unloading an entry, against the portal simulator."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, frame
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ecocito.api.portal import (
    PATH_COLLECTION_PAGE,
    PATH_LOGIN,
    PATH_LOGOUT,
)
from custom_components.ecocito.const import DOMAIN

from .conftest import frame_reports
from .helpers import find_device, remove_device_as_the_frontend_does, scoped
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import DEMO_LOGIN, DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")


async def test_setup_and_unload(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Setup logs in with the entry's own session; unload logs out."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.client.base_url == simulator.base_url
    assert simulator.count(PATH_LOGIN, "POST") == 1

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert simulator.count(PATH_LOGOUT) == 1


async def test_unload_when_the_portal_is_down(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Logging out is best effort."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_LOGOUT))
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_setup_wrong_password_starts_reauth(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    enable_custom_integrations: None,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A password changed on the portal leads to the reauth flow."""
    simulator.state.set_password(DEMO_LOGIN, "Nouveau-2026")
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.error_reason_translation_key == "invalid_auth"
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == mock_config_entry.entry_id


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            Fault(FaultKind.SERVER_ERROR, PATH_LOGIN),
            "The portal cannot be reached: POST /Usager/Profil/Connexion: HTTP 500: "
            "500 - Erreur serveur",
        ),
        (
            Fault(FaultKind.PORTAL_MESSAGE, PATH_COLLECTION_PAGE),
            "The portal cannot be reached: Le portail est en maintenance : merci de réessayer "
            "dans quelques minutes.",
        ),
        (
            Fault(FaultKind.RATE_LIMITED, PATH_LOGIN),
            "The portal cannot be reached: Rate limited by the portal, retry after 60 s",
        ),
        (
            Fault(FaultKind.MARKUP_CHANGED, PATH_COLLECTION_PAGE),
            "The portal answered in an unexpected way: "
            "Unexpected portal answer: waste type list (select #Filtres_IdMatiere) is missing",
        ),
    ],
)
async def test_setup_retries_when_the_portal_fails(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    enable_custom_integrations: None,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
    reason: str,
) -> None:
    """An unreachable or unexpected portal makes Home Assistant retry later."""
    simulator.add_fault(fault)
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.reason == reason


@pytest.mark.parametrize(
    ("language", "linked", "login"),
    [
        (
            "en",
            "This production point is still linked to your login on the portal {portal}, so "
            "its device stays. The portal offers no way to unlink it yourself: write to your "
            "collectivité and ask it to unlink this account. Once the portal no longer lists "
            "it, its device disappears by itself.",
            "This device is the login of the entry {title}: to remove it, delete the entry "
            "itself (Settings → Devices & services → Ecocito).",
        ),
        (
            "fr",
            "Ce point de production est toujours associé à votre identifiant sur le portail "
            "{portal} : son appareil reste donc. Le portail ne permet pas de le dissocier "
            "soi-même : écrivez à votre collectivité pour lui demander de dissocier ce compte. "
            "Dès que le portail ne le liste plus, son appareil disparaît de lui-même.",
            "Cet appareil est l'identifiant de l'entrée {title} : pour le supprimer, supprimez "
            "l'entrée elle-même (Paramètres → Appareils et services → Ecocito).",
        ),
    ],
)
async def test_remove_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
    simulator: PortalSimulator,
    language: str,
    linked: str,
    login: str,
) -> None:
    """A linked account's device is kept, and the refusal says why and what to do.

    The frontend shows the error's message as the server words it, in the server's
    language; the translation key comes along.
    """
    hass.config.language = language
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    entry_id = init_integration.entry_id
    portal = simulator.base_url.removeprefix("http://")
    for identifier, key, message in (
        (
            scoped(hass, str(DEMO_MAIN_ACCOUNT_ID)),
            "remove_linked_device",
            linked.format(portal=portal),
        ),
        (entry_id, "remove_login_device", login.format(title=init_integration.title)),
    ):
        device = find_device(device_registry, identifier)
        assert device is not None
        response = await remove_device_as_the_frontend_does(client, device.id, entry_id)
        assert not response["success"]
        assert response["error"]["message"] == message
        assert response["error"]["translation_domain"] == DOMAIN
        assert response["error"]["translation_key"] == key
        assert device_registry.async_get(device.id) is not None

    stale = device_registry.async_get_or_create(
        config_entry_id=entry_id, identifiers={(DOMAIN, scoped(hass, "999999"))}
    )
    response = await remove_device_as_the_frontend_does(client, stale.id, entry_id)
    assert response["success"]
    assert device_registry.async_get(stale.id) is None


async def test_a_deprecated_call_of_ours_fails_the_test(
    hass: HomeAssistant, enable_custom_integrations: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Home Assistant only logs its report of a deprecated call: conftest turns it into a failure."""
    frame.report_usage(
        "calls `old_api`, which is deprecated",
        integration_domain=DOMAIN,
        breaks_in_ha_version="2099.1.0",
        core_behavior=frame.ReportBehavior.LOG,
    )
    reports = frame_reports(caplog.records)
    assert len(reports) == 1
    assert "calls `old_api`, which is deprecated" in reports[0]
    caplog.clear()  # what no_frame_reports would otherwise fail this test for


async def test_store_kept_then_removed_with_the_entry(
    hass: HomeAssistant, hass_storage: dict[str, Any], init_integration: MockConfigEntry
) -> None:
    """The pickups seen are stored at the first poll; removing the entry removes them."""
    key = f"{DOMAIN}.{init_integration.entry_id}"
    seen = hass_storage[key]["data"]["seen"]
    assert set(seen) == {str(DEMO_MAIN_ACCOUNT_ID), str(DEMO_SECOND_ACCOUNT_ID)}
    coordinator = init_integration.runtime_data
    for account_id, state in coordinator.data.accounts.items():
        stored = seen[str(account_id)]
        assert sorted(int(type_id) for type_id in stored["floors"]) == sorted(
            t.id for t in state.waste_types
        )
        assert sum(len(times) for *_group, times in stored["pickups"]) == len(state.all_pickups)
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
