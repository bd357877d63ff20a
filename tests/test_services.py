"""The `ecocito.link_production_point` action, against the portal simulator."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ecocito.api.portal import PATH_SEARCH_COMMUNES
from custom_components.ecocito.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ACTIVATION_KEY,
    CONF_COMMUNE,
    CONF_LINK_WIZARD,
    DOMAIN,
    SERVICE_LINK_PRODUCTION_POINT,
)

from .helpers import find_device, scoped
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    DEMO_LINKABLE_ACCOUNT_ID,
    DEMO_LINKABLE_KEY,
    DEMO_LINKABLE_LABEL,
    DEMO_LOGIN,
    OTHER_COMMUNE_KEY,
    OTHER_LOGIN,
    USED_KEY,
    USED_KEY_ACCOUNT_ID,
)

pytestmark = pytest.mark.usefixtures("enable_custom_integrations")


async def link(hass: HomeAssistant, entry_id: str, commune: str, key: str) -> dict[str, Any] | None:
    return await hass.services.async_call(
        DOMAIN,
        SERVICE_LINK_PRODUCTION_POINT,
        {ATTR_CONFIG_ENTRY_ID: entry_id, CONF_COMMUNE: commune, CONF_ACTIVATION_KEY: key},
        blocking=True,
        return_response=True,
    )


async def test_link_returns_the_new_account(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """The action links the production point and answers with the new account."""
    coordinator = init_integration.runtime_data
    response = await link(hass, init_integration.entry_id, "23300", DEMO_LINKABLE_KEY)
    await hass.async_block_till_done()
    assert response == {"account_id": DEMO_LINKABLE_ACCOUNT_ID, "label": DEMO_LINKABLE_LABEL}
    assert DEMO_LINKABLE_ACCOUNT_ID in simulator.state.get_login(DEMO_LOGIN).account_ids
    assert DEMO_LINKABLE_KEY not in str(dict(init_integration.data))
    # The new production point is a device at once, without a reload of the entry.
    device = find_device(dr.async_get(hass), scoped(hass, str(DEMO_LINKABLE_ACCOUNT_ID)))
    assert device is not None
    assert device.name == DEMO_LINKABLE_LABEL.split(" - ", 1)[1]  # its address
    assert init_integration.runtime_data is coordinator
    assert init_integration.options[CONF_LINK_WIZARD] is True  # learnt: the search answered


async def test_link_learns_the_wizard_is_gone(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A portal that dropped its wizard: the action says so, and the entry remembers it."""
    simulator.state.style = replace(simulator.state.style, wizard=False)
    with pytest.raises(HomeAssistantError) as raised:
        await link(hass, init_integration.entry_id, "23300", DEMO_LINKABLE_KEY)
    assert raised.value.translation_key == "link_unavailable"
    assert init_integration.options[CONF_LINK_WIZARD] is False


async def test_link_without_response(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """Automations may call the action without asking for its response."""
    await hass.services.async_call(
        DOMAIN,
        SERVICE_LINK_PRODUCTION_POINT,
        {
            ATTR_CONFIG_ENTRY_ID: init_integration.entry_id,
            CONF_COMMUNE: "la souterraine",
            CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY,
        },
        blocking=True,
    )
    assert DEMO_LINKABLE_ACCOUNT_ID in simulator.state.get_login(DEMO_LOGIN).account_ids


@pytest.mark.parametrize("commune", ["GUÉRET (23000)", "gueret", "Guéret"])
async def test_exact_name_picks_among_several(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    commune: str,
) -> None:
    """A name written as listed picks its commune even when others contain it."""
    simulator.state.unlink(OTHER_LOGIN, USED_KEY_ACCOUNT_ID)
    response = await link(hass, init_integration.entry_id, commune, USED_KEY)
    assert response is not None
    assert response["account_id"] == USED_KEY_ACCOUNT_ID


@pytest.mark.parametrize(
    ("commune", "key", "translation_key", "placeholder"),
    [
        ("zzz", DEMO_LINKABLE_KEY, "no_commune", {CONF_COMMUNE: "zzz"}),
        ("23300", "NOPE-0000-XX", "invalid_key", {"portal_message": "La clé d'activation est invalide."}),
        ("23300", OTHER_COMMUNE_KEY, "key_other_commune", {}),
        ("GUÉRET (23000)", USED_KEY, "key_already_used", {}),
    ],
)  # fmt: skip
async def test_link_refused(
    hass: HomeAssistant,
    simulator: PortalSimulator,
    init_integration: MockConfigEntry,
    commune: str,
    key: str,
    translation_key: str,
    placeholder: dict[str, str],
) -> None:
    """Each refusal is a translated validation error; the key is not in it."""
    with pytest.raises(ServiceValidationError) as raised:
        await link(hass, init_integration.entry_id, commune, key)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == translation_key
    assert placeholder.items() <= (raised.value.translation_placeholders or {}).items()
    assert key not in str(raised.value.translation_placeholders)


async def test_several_communes_are_named(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """An ambiguous commune says which communes it could be."""
    with pytest.raises(ServiceValidationError) as raised:
        await link(hass, init_integration.entry_id, "23000", DEMO_LINKABLE_KEY)
    assert raised.value.translation_key == "several_communes"
    placeholders = raised.value.translation_placeholders or {}
    assert placeholders[CONF_COMMUNE] == "23000"
    assert "GUÉRET (23000)" in placeholders["communes"]
    assert "SAINTE-FEYRE (23000)" in placeholders["communes"]
    assert "GUÉRET (23000), " in str(raised.value)  # the message is translated


async def test_portal_unreachable(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A portal error is a (translated) Home Assistant error, not a validation error."""
    simulator.add_fault(Fault(FaultKind.SERVER_ERROR, PATH_SEARCH_COMMUNES))
    with pytest.raises(HomeAssistantError) as raised:
        await link(hass, init_integration.entry_id, "23300", DEMO_LINKABLE_KEY)
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == "cannot_connect"


async def test_password_changed_starts_reauth(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """A refused login during the action asks the user for the new password."""
    simulator.state.set_password(DEMO_LOGIN, "Nouveau-2026")
    with pytest.raises(HomeAssistantError) as raised:
        await link(hass, init_integration.entry_id, "23300", DEMO_LINKABLE_KEY)
    assert raised.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH


async def test_unknown_or_unloaded_entry(
    hass: HomeAssistant, simulator: PortalSimulator, init_integration: MockConfigEntry
) -> None:
    """The entry must exist, be ours and be running."""
    with pytest.raises(ServiceValidationError) as raised:
        await link(hass, "nope", "23300", DEMO_LINKABLE_KEY)
    assert raised.value.translation_key == "entry_not_found"

    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await link(hass, other.entry_id, "23300", DEMO_LINKABLE_KEY)
    assert raised.value.translation_key == "entry_not_found"

    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as raised:
        await link(hass, init_integration.entry_id, "23300", DEMO_LINKABLE_KEY)
    assert raised.value.translation_key == "entry_not_loaded"
