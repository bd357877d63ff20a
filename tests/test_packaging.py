"""The integration's packaging files, checked as hassfest and HACS check a custom integration.

manifest.json, hacs.json, services.yaml, strings.json, translations/*.json, icons.json
and quality_scale.yaml. hassfest itself runs in CI (.github/workflows/ci.yml); these
tests catch the same mistakes locally, with messages that say what to fix.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import homeassistant
from homeassistant.const import Platform, __version__ as ha_version
import pytest
import yaml

import custom_components.ecocito
from custom_components.ecocito.api.portal import PUBLIC_SUBDOMAINS
from custom_components.ecocito.const import ISSUE_TRACKER

ROOT = Path(__file__).parent.parent
COMPONENT = Path(custom_components.ecocito.__file__).parent
HA_PACKAGE = Path(homeassistant.__file__).parent
LANGUAGES = ("en", "fr")

MANIFEST_REQUIRED = (
    "domain",
    "name",
    "codeowners",
    "documentation",
    "issue_tracker",
    "version",
    "integration_type",
    "iot_class",
    "requirements",
    "config_flow",
)
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
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

REFERENCE = re.compile(r"\[%key:([^%]+)%\]")
KEY = re.compile(r"^[a-z0-9_-]+$")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a JSON tree to {"a::b::c": value} (the form `[%key:…%]` uses)."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(_leaves(value, f"{prefix}::{key}" if prefix else key))
    return flat


MANIFEST = _json(COMPONENT / "manifest.json")
STRINGS = _json(COMPONENT / "strings.json")
SERVICES = _yaml(COMPONENT / "services.yaml") or {}
ICONS = _json(COMPONENT / "icons.json")


# -- manifest.json ------------------------------------------------------------------


def test_manifest_key_order() -> None:
    """hassfest: `domain`, `name`, then the other keys in alphabetical order."""
    keys = list(MANIFEST)
    expected = ["domain", "name", *sorted(k for k in keys if k not in ("domain", "name"))]
    assert keys == expected, f"manifest.json keys must be ordered {expected}"


@pytest.mark.parametrize("key", MANIFEST_REQUIRED)
def test_manifest_has_required_key(key: str) -> None:
    assert key in MANIFEST, f"manifest.json lacks {key!r}"


def test_manifest_values() -> None:
    """The values hassfest checks, and the ones HACS shows."""
    problems = []
    if MANIFEST.get("domain") != COMPONENT.name:
        problems.append(f"domain must be the folder's name, {COMPONENT.name!r}")
    if not MANIFEST.get("codeowners") or not all(
        owner.startswith("@") for owner in MANIFEST["codeowners"]
    ):
        problems.append("codeowners must list GitHub handles starting with @")
    problems.extend(
        f"{key} must be an https:// URL"
        for key in ("documentation", "issue_tracker")
        if not str(MANIFEST.get(key, "")).startswith("https://")
    )
    if MANIFEST.get("issue_tracker") != ISSUE_TRACKER:
        problems.append("issue_tracker must be const.ISSUE_TRACKER (the repair issue links to it)")
    if MANIFEST.get("iot_class") not in IOT_CLASSES:
        problems.append(f"iot_class must be one of {sorted(IOT_CLASSES)}")
    if MANIFEST.get("integration_type") not in INTEGRATION_TYPES:
        problems.append(f"integration_type must be one of {sorted(INTEGRATION_TYPES)}")
    if MANIFEST.get("config_flow") is not True or not (COMPONENT / "config_flow.py").is_file():
        problems.append("config_flow must be true, with a config_flow.py")
    if not isinstance(MANIFEST.get("requirements"), list):
        problems.append("requirements must be a list (empty: the library ships in api/)")
    assert not problems, "manifest.json: " + "; ".join(problems)


def test_manifest_version_parses() -> None:
    """A custom integration's version must parse as HACS and the loader read it."""
    version = AwesomeVersion(MANIFEST["version"], ensure_strategy=VERSION_STRATEGIES)
    assert version.strategy is not AwesomeVersionStrategy.UNKNOWN


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


# -- strings.json and the translations --------------------------------------------------


def _resolvable(reference: str) -> bool:
    """Whether `[%key:reference%]` names a string Home Assistant's translations hold."""
    kind, _, path = reference.partition("::")
    if kind == "common":
        tree: Any = _json(HA_PACKAGE / "strings.json")["common"]
    elif kind == "component":
        domain, _, path = path.partition("::")
        if domain == COMPONENT.name:
            tree = STRINGS
        else:
            translations = HA_PACKAGE / "components" / domain / "translations" / "en.json"
            if not translations.is_file():
                return False
            tree = _json(translations)
    else:
        return False
    return isinstance(_leaves(tree).get(path), str)


def test_references_resolve() -> None:
    """Every `[%key:…%]` of strings.json names an existing string."""
    broken = [
        f"{where} -> {reference}"
        for where, value in _leaves(STRINGS).items()
        if isinstance(value, str)
        for reference in REFERENCE.findall(value)
        if not _resolvable(reference)
    ]
    assert not broken, "unresolvable references in strings.json:\n" + "\n".join(broken)


def test_keys_are_lowercase() -> None:
    """hassfest: translation keys are lowercase letters, digits, `_` and `-`."""
    bad = [path for path in _leaves(STRINGS) if not all(KEY.match(p) for p in path.split("::"))]
    assert not bad, f"keys hassfest refuses in strings.json: {bad}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_has_every_key(language: str) -> None:
    """translations/<language>.json has exactly strings.json's keys."""
    expected = set(_leaves(STRINGS))
    actual = set(_leaves(_json(COMPONENT / "translations" / f"{language}.json")))
    assert not expected - actual, f"{language}.json lacks {sorted(expected - actual)}"
    assert not actual - expected, f"{language}.json has extra {sorted(actual - expected)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_has_no_reference(language: str) -> None:
    """Translations are what users read: references are resolved in them."""
    leaves = _leaves(_json(COMPONENT / "translations" / f"{language}.json"))
    left = [path for path, value in leaves.items() if REFERENCE.search(str(value))]
    assert not left, f"{language}.json still has references at {left}"


# -- services.yaml ----------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_service_is_translated(service: str) -> None:
    """hassfest: each action has a name and a description, and so does each field."""
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
