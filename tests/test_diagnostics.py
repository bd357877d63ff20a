"""Diagnostics of the entry and of each device: useful, and with nothing personal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import json
import logging
from pathlib import Path

# Diagnostics import the hassio component, whose library compiles dataclasses with
# datetime fields at import time: that breaks under freezegun, so import it first.
import homeassistant.components.hassio  # noqa: F401
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.ecocito.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_ACTIVATION_KEY,
    CONF_COMMUNE,
    DOMAIN,
    SERVICE_LINK_PRODUCTION_POINT,
)

from .conftest import FROZEN_NOW
from .helpers import find_device, poll, scoped, simulator_entry
from .portal import Fault, FaultKind, PortalSimulator
from .portal.scenarios import (
    DEMO_LINKABLE_KEY,
    DEMO_LOGIN,
    DEMO_MAIN_ACCOUNT_ID,
    DEMO_PASSWORD,
    DEMO_SECOND_ACCOUNT_ID,
    EMPTY_LOGIN,
    EMPTY_PASSWORD,
)

pytestmark = [
    pytest.mark.freeze_time(FROZEN_NOW),
    pytest.mark.usefixtures("enable_custom_integrations"),
]


COMPONENT = Path(__file__).parent.parent / "custom_components" / "ecocito"


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


def canaries(simulator: PortalSimulator) -> set[str]:
    """Every value that identifies the user, straight from the portal's data."""
    values = {DEMO_PASSWORD, DEMO_LOGIN, "jeanne.dupont"}
    for account_id in (DEMO_MAIN_ACCOUNT_ID, DEMO_SECOND_ACCOUNT_ID):
        account = simulator.state.get_account(account_id)
        street = account.address.rsplit(" ", 2)[0]  # "12 RUE DES LILAS", "LE BOURG"
        values |= {str(account_id), account.label, account.address, street}
        for type_id in account.waste_types:
            values |= {account.bin_number(type_id), account.chip_number(type_id)}
    return values


def assert_no_canary(simulator: PortalSimulator, diagnostics: object) -> None:
    text = json.dumps(diagnostics, ensure_ascii=False).casefold()
    leaks = sorted(value for value in canaries(simulator) if value.casefold() in text)
    assert leaks == []


async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """The entry's diagnostics: settings and every account's data, redacted."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_platforms)
    assert_no_canary(simulator, diagnostics)
    assert diagnostics["data"]["portal"] == simulator.base_url
    assert len(diagnostics["accounts"]) == 2
    assert diagnostics == sim_snapshot


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    sim_snapshot: SnapshotAssertion,
    setup_platforms: MockConfigEntry,
) -> None:
    """An account's device: that account's data; the login's device: the entry's."""
    device = find_device(device_registry, scoped(hass, str(DEMO_SECOND_ACCOUNT_ID)))
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, setup_platforms, device)
    assert_no_canary(simulator, diagnostics)
    assert [t["label"] for t in diagnostics["waste_types"]] == ["Ordures ménagères", "Emballages"]
    assert diagnostics == sim_snapshot

    login = find_device(device_registry, setup_platforms.entry_id)
    assert login is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, setup_platforms, login)
    assert_no_canary(simulator, diagnostics)
    assert diagnostics == await get_diagnostics_for_config_entry(hass, hass_client, setup_platforms)


async def test_portal_changed_repair_issue_and_its_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    issue_registry: ir.IssueRegistry,
    setup_platforms: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The repair issue sends the user to the diagnostics, which say what differs."""
    caplog.set_level(logging.DEBUG, logger="custom_components.ecocito")
    tokens = {session.token for session in simulator._sessions.values()}
    simulator.add_fault(Fault(FaultKind.MARKUP_CHANGED))
    for _ in range(3):
        await poll(hass, setup_platforms)
    tokens |= {session.token for session in simulator._sessions.values()}

    issue = issue_registry.async_get_issue(DOMAIN, f"portal_changed_{setup_platforms.entry_id}")
    assert issue is not None
    manifest = json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))
    assert issue.translation_placeholders["issue_tracker"] == manifest["issue_tracker"]
    for language, words in (
        ("en", "download the diagnostics"),
        ("fr", "téléchargez les diagnostics"),
    ):
        issues = json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8"))
        description = issues["issues"]["portal_changed"]["description"]
        assert words in description
        assert "{issue_tracker}" in description

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_platforms)
    fingerprints = diagnostics["portal_fingerprints"]
    assert len(fingerprints) == 3
    last = fingerprints[-1]
    assert last["request"] == "GET /Usager/Collecte"
    assert last["problem"] == "waste type list (select #Filtres_IdMatiere) is missing"
    assert last["html"]["selects"] == []
    assert "span[data-id]" in last["html"]["data_attributes"]
    assert_no_canary(simulator, diagnostics)
    text = json.dumps(diagnostics)
    assert tokens
    assert [token for token in tokens if token in text] == []

    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    logged = "\n".join(ours)
    assert "GET /Usager/Collecte -> 200" in logged
    assert "Unexpected answer to GET /Usager/Collecte: {" in logged
    assert [value for value in canaries(simulator) | tokens if value in logged] == []


@pytest.mark.parametrize("typed_rows", [True, False])
async def test_failing_optional_parts_and_how_rows_are_read(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
    typed_rows: bool,
) -> None:
    """Borne statistics missing: said with their fingerprint; rows typed or read per type.

    Nothing secret in them: no password, activation key, cookie or token.
    """
    simulator.state.style = replace(simulator.state.style, stats="missing", typed_rows=typed_rows)
    # A row of a type the collection page does not list for the account (ID_MATIERE).
    second = simulator.state.get_account(DEMO_SECOND_ACCOUNT_ID)
    second.waste_types[17] = "Biodéchets"
    simulator.state.add_pickup(DEMO_SECOND_ACCOUNT_ID, 17, FROZEN_NOW - timedelta(days=3), 4.0)
    del second.waste_types[17]
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    # Linking once: the activation key has passed through the integration.
    await hass.services.async_call(
        DOMAIN,
        SERVICE_LINK_PRODUCTION_POINT,
        {
            ATTR_CONFIG_ENTRY_ID: mock_config_entry.entry_id,
            CONF_COMMUNE: "23300",
            CONF_ACTIVATION_KEY: DEMO_LINKABLE_KEY,
        },
        blocking=True,
    )
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["pickup_rows"] == (
        "typed (ID_MATIERE): one read for every type" if typed_rows else "read per waste type"
    )
    assert diagnostics["optional_parts_failing"] == {}  # the login's: the drop-down is there
    assert len(diagnostics["accounts"]) == 3
    for account in diagnostics["accounts"]:
        failing = account["optional_parts_failing"]
        assert list(failing) == ["borne_statistics"]
        assert "HTTP 404" in failing["borne_statistics"]
    fingerprints = [f["request"] for f in diagnostics["portal_fingerprints"]]
    assert "GET /Usager/Json/ObtenirStatistiqueApportPAVMensuel" in fingerprints

    device = find_device(device_registry, scoped(hass, str(DEMO_SECOND_ACCOUNT_ID)))
    assert device is not None
    of_device = await get_diagnostics_for_device(hass, hass_client, mock_config_entry, device)
    # Typed rows tell a row of another type; untyped rows cannot (read per type asked).
    assert of_device["rows_of_another_type"] == (1 if typed_rows else 0)
    assert of_device["this_year"]["pickups"].keys() <= {"15", "16"}

    secrets = {
        DEMO_LINKABLE_KEY,
        *simulator._sessions,  # the session cookies' values
        *(session.token for session in simulator._sessions.values()),
    }
    for found in (diagnostics, of_device):
        assert_no_canary(simulator, found)
        text = json.dumps(found, ensure_ascii=False)
        assert [secret for secret in secrets if secret in text] == []


@pytest.mark.parametrize("scenario", ["empty"])
async def test_rows_not_known_before_any_pickup(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
) -> None:
    """An account without a pickup yet: how the portal's rows read is not known."""
    entry = simulator_entry(simulator.base_url, EMPTY_LOGIN, EMPTY_PASSWORD, "Ecocito Vide")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["pickup_rows"] == "not known yet: no pickup row read"
    assert diagnostics["accounts"][0]["this_year"]["pickups"] == {}


async def test_bins_and_addresses_the_rows_show(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PortalSimulator,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Two bins of one type (a second one lifted): both counted under the account, as
    its two addresses (its own and its workshop's, two places)."""
    simulator.state.add_pickup(
        DEMO_SECOND_ACCOUNT_ID, 15, FROZEN_NOW - timedelta(days=1), 12.0, bin_number="88001"
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    device = find_device(device_registry, scoped(hass, str(DEMO_SECOND_ACCOUNT_ID)))
    assert device is not None
    found = await get_diagnostics_for_device(hass, hass_client, mock_config_entry, device)
    bins = {simulator.state.get_account(DEMO_SECOND_ACCOUNT_ID).bin_number(t) for t in (15, 16)}
    assert found["rows_show"] == {"bins": len(bins) + 1, "addresses": 2}
    assert found["places"] == 2
    assert "88001" not in json.dumps(found)
