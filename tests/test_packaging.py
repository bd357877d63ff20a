"""The integration's packaging files: what hassfest does not check for us.

hassfest runs in CI (the `hassfest` job of .github/workflows/ci.yml) and checks the
manifest's keys, order and values, the version, and the schema of strings.json and
translations/en.json (lowercase keys included); it is not repeated here. These tests
check what it leaves to a custom integration: the manifest's issue tracker, hacs.json
against the release we test, that services.yaml, strings.json and icons.json agree,
and quality_scale.yaml (hassfest reads it only for core integrations). The translation
files themselves are test_translations.py's.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import Platform, __version__ as ha_version
import pytest
import yaml

import custom_components.ecocito
from custom_components.ecocito.api.portal import PUBLIC_SUBDOMAINS
from custom_components.ecocito.const import ISSUE_TRACKER

ROOT = Path(__file__).parent.parent
COMPONENT = Path(custom_components.ecocito.__file__).parent

HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "persistent_directory",
    "render_readme",
}

QUALITY_SCALE_RULES = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "docs-conditions",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
"""Every rule of Home Assistant's integration quality scale (2026.11), by tier."""


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


MANIFEST = _json(COMPONENT / "manifest.json")
STRINGS = _json(COMPONENT / "strings.json")
SERVICES = _yaml(COMPONENT / "services.yaml") or {}
ICONS = _json(COMPONENT / "icons.json")


# -- manifest.json ------------------------------------------------------------------


def test_manifest_issue_tracker() -> None:
    """The repair issue links to const.ISSUE_TRACKER: the manifest's must be the same."""
    assert MANIFEST.get("issue_tracker") == ISSUE_TRACKER


# -- hacs.json ------------------------------------------------------------------------


def test_hacs_json() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, f"hacs.json: unknown keys {set(hacs) - HACS_KEYS}"
    assert hacs.get("name"), "hacs.json needs a name"
    assert hacs.get("render_readme") is True, "hacs.json: render_readme should be true"
    countries = hacs.get("country")
    assert countries, "hacs.json: country should say where Ecocito portals are (FR)"
    for code in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Z]{2}", code), f"hacs.json: {code!r} is not an ISO 3166 code"
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum <= AwesomeVersion(ha_version), (
        f"hacs.json asks for Home Assistant {minimum}, newer than the {ha_version} we test with"
    )


# -- services.yaml ----------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_service_is_translated(service: str) -> None:
    """Each action has a name and a description, and so does each field."""
    strings = STRINGS.get("services", {}).get(service)
    assert strings, f"strings.json has no services::{service}"
    for key in ("name", "description"):
        assert strings.get(key), f"services::{service} needs a {key}"
    fields = (SERVICES[service] or {}).get("fields", {})
    translated = strings.get("fields", {})
    assert set(translated) == set(fields), (
        f"services::{service}::fields: services.yaml has {sorted(fields)}, "
        f"strings.json has {sorted(translated)}"
    )
    for field in fields:
        for key in ("name", "description"):
            assert translated[field].get(key), f"services::{service}::fields::{field} needs a {key}"


def test_no_translation_for_unknown_service() -> None:
    extra = set(STRINGS.get("services", {})) - set(SERVICES)
    assert not extra, f"strings.json translates actions services.yaml lacks: {extra}"


# -- icons.json -------------------------------------------------------------------------


def test_every_service_has_an_icon() -> None:
    icons = ICONS.get("services", {})
    assert set(icons) == set(SERVICES), (
        f"icons.json services {sorted(icons)} differ from services.yaml's {sorted(SERVICES)}"
    )


def test_entity_icons_name_translated_entities() -> None:
    """Each icon in icons.json belongs to an entity translation key of strings.json."""
    unknown = [
        f"{platform}::{key}"
        for platform, keys in ICONS.get("entity", {}).items()
        for key in keys
        if key not in STRINGS.get("entity", {}).get(platform, {})
    ]
    assert not unknown, f"icons.json has icons for unknown entities: {unknown}"


# -- quality_scale.yaml -------------------------------------------------------------------


def test_quality_scale_lists_every_rule() -> None:
    rules = _yaml(COMPONENT / "quality_scale.yaml")["rules"]
    known = {rule for tier in QUALITY_SCALE_RULES.values() for rule in tier}
    assert not known - set(rules), f"quality_scale.yaml lacks {sorted(known - set(rules))}"
    assert not set(rules) - known, f"quality_scale.yaml: unknown {sorted(set(rules) - known)}"


@pytest.mark.parametrize("rule", [rule for tier in QUALITY_SCALE_RULES.values() for rule in tier])
def test_quality_scale_rule_is_explained(rule: str) -> None:
    """Each rule has a status; exempt and todo say why."""
    entry = _yaml(COMPONENT / "quality_scale.yaml")["rules"].get(rule)
    status = entry if isinstance(entry, str) else (entry or {}).get("status")
    assert status in ("done", "exempt", "todo"), f"{rule}: status {status!r}"
    if status != "done":
        comment = entry.get("comment") if isinstance(entry, dict) else None
        assert comment, f"{rule} is {status}: say why in a comment"


def test_parallel_updates_in_every_platform() -> None:
    """What quality_scale.yaml claims for parallel-updates: every platform module sets it."""
    platforms = {platform.value for platform in Platform}
    missing = [
        path.name
        for path in sorted(COMPONENT.glob("*.py"))
        if path.stem in platforms
        and "PARALLEL_UPDATES"
        not in {
            target.id
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
    ]
    assert not missing, f"platform modules without PARALLEL_UPDATES: {missing}"


def test_known_portals_are_suggested_in_both_languages() -> None:
    """The portal field's description names every public subdomain the library knows."""
    for path in (COMPONENT / "translations" / "en.json", COMPONENT / "translations" / "fr.json"):
        text = json.loads(path.read_text(encoding="utf-8"))["config"]["step"]["user"][
            "data_description"
        ]["portal"]
        missing = [name for name in PUBLIC_SUBDOMAINS if name not in text]
        assert not missing, f"{path.name}: the portal field does not suggest {missing}"
