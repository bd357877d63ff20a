"""The integration's packaging files, against the rules HACS and hassfest apply.

hassfest and HACS's validation run on GitHub only (the `hassfest` and `hacs` jobs of
.github/workflows/ci.yml, against their newest rules); the rules that apply to a custom
integration are checked here too, so that .ci/run and a developer's machine see a broken
manifest, hacs.json or brand folder before a push: the manifest's keys and their order,
version, links, iot_class, integration_type and requirements; the license HACS reads;
hacs.json's keys and values; the brand images' names and sizes. Then what neither checks for a custom integration:
that the code imports nothing Home Assistant does not install (dependency transparency),
that services.yaml, strings.json and icons.json agree. The translation files are
test_translations.py's, quality_scale.yaml is test_quality_scale.py's.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
from importlib import metadata
import importlib.util
import json
from pathlib import Path
import re
import struct
import sys
from typing import Any, get_args, get_type_hints
from urllib.parse import urlsplit

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import homeassistant
from homeassistant.const import __version__ as ha_version
from homeassistant.loader import Manifest
import pytest
import yaml

import custom_components.ecocito
from custom_components.ecocito.api.portal import PUBLIC_SUBDOMAINS
from custom_components.ecocito.const import ISSUE_TRACKER

ROOT = Path(__file__).parent.parent
COMPONENT = Path(custom_components.ecocito.__file__).parent

HACS_KEYS = {
    "name": str,
    "content_in_root": bool,
    "country": (str, list),
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
}
"""hacs.json's keys and their types (HACS_MANIFEST_JSON_SCHEMA in HACS's
custom_components/hacs/utils/validate.py): any other key fails its validation."""

MANIFEST_REQUIRED = ("domain", "name", "codeowners", "documentation", "issue_tracker", "version")
"""Required in a custom integration's manifest: hassfest's four, plus `version` (which
Home Assistant needs to load a custom integration) and `issue_tracker` (which HACS needs)."""
IOT_CLASSES = (
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
)
"""hassfest's SUPPORTED_IOT_CLASSES (script/hassfest/manifest.py)."""
VERSION_STRATEGIES = (
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
)
"""The version formats hassfest accepts for a custom integration."""

BRAND_IMAGES = frozenset(
    f"{theme}{kind}{density}.png"
    for theme in ("", "dark_")
    for kind in ("icon", "logo")
    for density in ("", "@2x")
)
"""The images Home Assistant (2026.3 and later) serves from a custom integration's brand/
folder: ALLOWED_IMAGES in homeassistant/components/brands/const.py."""


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


MANIFEST = _json(COMPONENT / "manifest.json")
BRAND = COMPONENT / "brand"
STRINGS = _json(COMPONENT / "strings.json")
SERVICES = _yaml(COMPONENT / "services.yaml") or {}
ICONS = _json(COMPONENT / "icons.json")


# -- manifest.json ------------------------------------------------------------------


def test_manifest_keys() -> None:
    """Every key is one Home Assistant reads, the required ones are there, and the order
    is hassfest's: domain, name, then alphabetical."""
    known = set(Manifest.__annotations__) - {"is_built_in", "overwrites_built_in"}
    assert not set(MANIFEST) - known, f"manifest.json: unknown keys {set(MANIFEST) - known}"
    missing = [key for key in MANIFEST_REQUIRED if not MANIFEST.get(key)]
    assert not missing, f"manifest.json lacks {missing}"
    keys = list(MANIFEST)
    assert keys == ["domain", "name", *sorted(keys[2:])], (
        f"manifest.json: keys in the order domain, name, then alphabetical, not {keys}"
    )


def test_manifest_domain() -> None:
    """The domain is the folder's name, and no built-in integration has it."""
    assert MANIFEST["domain"] == COMPONENT.name
    assert importlib.util.find_spec(f"homeassistant.components.{COMPONENT.name}") is None


def test_manifest_version() -> None:
    version = MANIFEST["version"]
    assert isinstance(version, str)
    assert AwesomeVersion(version).strategy in VERSION_STRATEGIES, (
        f"manifest.json: {version!r} is not a version hassfest accepts"
    )


def test_manifest_links() -> None:
    """Documentation and issue tracker: https pages of the same GitHub repository; the
    repair issue links to const.ISSUE_TRACKER, which must be the manifest's."""
    documentation = urlsplit(MANIFEST["documentation"])
    tracker = urlsplit(MANIFEST["issue_tracker"])
    for link in (documentation, tracker):
        assert link.scheme == "https", f"manifest.json: {link.geturl()} is not https"
        assert link.netloc == "github.com", f"manifest.json: {link.geturl()} is not on GitHub"
    repository = "/".join(tracker.path.split("/")[:3])
    assert tracker.path == f"{repository}/issues"
    assert documentation.path.startswith(f"{repository}/"), (
        f"manifest.json: the documentation is not in the repository {repository}"
    )
    assert MANIFEST["issue_tracker"] == ISSUE_TRACKER


def test_manifest_classes() -> None:
    """iot_class: a cloud service we poll; integration_type: one of Home Assistant's (a
    hub: one login, several production points, each a device)."""
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert MANIFEST["iot_class"] == "cloud_polling"
    types = set(get_args(get_type_hints(Manifest)["integration_type"])) - {"virtual"}
    assert MANIFEST["integration_type"] in types, f"integration_type not one of {sorted(types)}"


def test_manifest_config_flow() -> None:
    assert MANIFEST["config_flow"] is True
    assert (COMPONENT / "config_flow.py").is_file()


def test_manifest_dependencies_are_built_in() -> None:
    for domain in (*MANIFEST.get("dependencies", []), *MANIFEST.get("after_dependencies", [])):
        assert importlib.util.find_spec(f"homeassistant.components.{domain}"), (
            f"manifest.json: no built-in integration {domain!r}"
        )


def test_manifest_owners_and_loggers() -> None:
    assert MANIFEST["codeowners"]
    assert all(re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in MANIFEST["codeowners"])
    assert MANIFEST["loggers"] == [f"custom_components.{COMPONENT.name}"]


SHARED_WITH_CORE = {"holidays": "0.70"}
"""Requirements that Home Assistant's own integrations pin too (holidays: workday and
holiday, a new version at nearly every release), with the lowest version we support: an
exact pin of ours would differ from theirs, and Home Assistant would install one, then
the other, at every start. Those take a lower bound that both ends' pins meet."""


def test_manifest_requirements() -> None:
    """Requirements: pinned, without spaces (hassfest's format); a package Home Assistant
    pins too, a lower bound that the release's own pin meets (holidays)."""
    requirements = MANIFEST["requirements"]
    assert isinstance(requirements, list)
    for requirement in requirements:
        name = re.split(r"[=<>]", requirement, maxsplit=1)[0]
        if name in SHARED_WITH_CORE:
            assert requirement == f"{name}>={SHARED_WITH_CORE[name]}"
            installed = metadata.version(name)
            core = re.search(
                rf'"{name}==([\w.]+)"',
                (
                    Path(homeassistant.__file__).parent / "components/workday/manifest.json"
                ).read_text(),
            )
            assert core is not None
            assert AwesomeVersion(core.group(1)) >= AwesomeVersion(SHARED_WITH_CORE[name])
            assert AwesomeVersion(installed) >= AwesomeVersion(SHARED_WITH_CORE[name])
            continue
        assert re.fullmatch(r"[A-Za-z0-9][\w.\[\]-]*==[\w.]+", requirement), (
            f"manifest.json: {requirement!r} is not pinned as name==version"
        )


def _third_party_imports() -> set[str]:
    """The top-level modules our code imports, less ours, the standard library and
    Home Assistant itself."""
    modules = set()
    for path in COMPONENT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return (
        modules
        - set(sys.stdlib_module_names)
        - {"__future__", "custom_components", "homeassistant"}
    )


def test_dependencies_come_with_home_assistant() -> None:
    """Dependency transparency: what our code imports is Home Assistant's own requirement
    (the module, as Home Assistant has it imported: 2026.x gives probatio's layer for
    voluptuous) or listed in manifest.json's requirements (holidays)."""
    declared = {
        re.split(r"[=<>!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in [*(metadata.requires("homeassistant") or []), *MANIFEST["requirements"]]
    }
    providers = metadata.packages_distributions()
    modules = _third_party_imports()
    assert modules, "no third-party import found: is the walk broken?"
    for name in sorted(modules):
        module = importlib.import_module(name)
        distributions = providers.get(module.__name__.split(".")[0], [])
        assert {d.lower().replace("_", "-") for d in distributions} & declared, (
            f"{name} (from {distributions}) is neither a requirement of Home Assistant nor "
            "in manifest.json's requirements"
        )


# -- LICENSE ----------------------------------------------------------------------------

APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
"""The Apache License 2.0 as apache.org publishes it (LICENSE-2.0.txt), its appendix's
copyright line a template: GitHub recognises the license from this text, and HACS's
validation reads GitHub's answer (license key ``apache-2.0``)."""
COPYRIGHT = re.compile(
    r"^   Copyright \d{4}(-\d{4})? The Ecocito for Home Assistant authors$", re.M
)


def test_license_is_apache_2_0() -> None:
    """LICENSE is the whole Apache 2.0 text, with our copyright line in its appendix."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert COPYRIGHT.search(text), "LICENSE: no copyright line of the project's authors"
    template = COPYRIGHT.sub("   Copyright [yyyy] [name of copyright owner]", text)
    assert hashlib.sha256(template.encode()).hexdigest() == APACHE_2_0_SHA256, (
        "LICENSE is not the Apache License 2.0 text word for word"
    )


def test_readme_names_the_license() -> None:
    """Both languages of the README name the license and link the file."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    french, english = readme.split("\n---\n", 1)
    for part, heading in ((french, "## Licence"), (english, "## License")):
        assert heading in part
        assert "Apache 2.0" in part
        assert "[`LICENSE`](LICENSE)" in part


# -- the bug report ---------------------------------------------------------------------

BUG_REPORT = ROOT / ".github" / "ISSUE_TEMPLATE" / "bug_report.yml"
BUG_REPORT_FIELDS = {
    "home_assistant": True,
    "integration": True,
    "portal": True,
    "what_happened": True,
    "diagnostics": True,
    "debug_log": False,
}
"""What the bug report form asks for, and whether it must be given: the diagnostics
file carries the portal's shape, which brings the real portal back to us."""


def test_bug_report_asks_for_what_we_need() -> None:
    """The issue form's fields (its schema is scripts/lint's), and no blank issue."""
    form = _yaml(BUG_REPORT)
    fields = {
        item["id"]: item.get("validations", {}).get("required", False)
        for item in form["body"]
        if "id" in item
    }
    assert {key: fields.get(key) for key in BUG_REPORT_FIELDS} == BUG_REPORT_FIELDS
    assert _yaml(BUG_REPORT.parent / "config.yml")["blank_issues_enabled"] is False


def test_readme_says_how_to_report_a_problem() -> None:
    """Both languages link the form and say how to get the diagnostics and a debug log."""
    french, english = (ROOT / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)
    link = f"issues/new?template={BUG_REPORT.name}"
    for part, words in (
        (french, (link, "Télécharger les diagnostics", "Activer la journalisation de débogage")),
        (english, (link, "Download diagnostics", "Enable debug logging")),
    ):
        assert [word for word in (*words, "portal_shape") if word not in part] == []


# -- hacs.json ------------------------------------------------------------------------


def test_hacs_json() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= set(HACS_KEYS), f"hacs.json: unknown keys {set(hacs) - set(HACS_KEYS)}"
    for key, value in hacs.items():
        assert isinstance(value, HACS_KEYS[key]), f"hacs.json: {key} is a {type(value)}"
    assert hacs.get("name"), "hacs.json needs a name"
    assert not hacs.get("zip_release") or hacs.get("filename"), "zip_release needs a filename"
    countries = hacs.get("country")
    assert countries, "hacs.json: country should say where Ecocito portals are (FR)"
    for code in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Z]{2}", code), f"hacs.json: {code!r} is not an ISO 3166 code"
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum.strategy is AwesomeVersionStrategy.CALVER
    assert minimum <= AwesomeVersion(ha_version), (
        f"hacs.json asks for Home Assistant {minimum}, newer than the {ha_version} we test with"
    )


def test_one_integration_in_the_repository() -> None:
    """HACS manages the first folder of custom_components only."""
    folders = [path.name for path in (ROOT / "custom_components").iterdir() if path.is_dir()]
    assert [name for name in folders if name != "__pycache__"] == [COMPONENT.name]


# -- brand/ ---------------------------------------------------------------------------


def _png(path: Path) -> tuple[int, int, int]:
    """Width, height and colour type of a PNG file (its IHDR chunk)."""
    data = path.read_bytes()[:26]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name}: not a PNG"
    assert data[12:16] == b"IHDR", f"{path.name}: no IHDR chunk first"
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[25]


def test_brand_images_are_known() -> None:
    """Only names Home Assistant serves, the icon in both densities among them."""
    names = {path.name for path in BRAND.iterdir()}
    assert names <= BRAND_IMAGES, f"brand/: Home Assistant never serves {names - BRAND_IMAGES}"
    assert {"icon.png", "icon@2x.png"} <= names


def test_brand_images_are_home_assistants() -> None:
    brands = pytest.importorskip(
        "homeassistant.components.brands.const", reason="this release serves no brand/ folder"
    )
    assert brands.ALLOWED_IMAGES == BRAND_IMAGES


@pytest.mark.parametrize("name", sorted(path.name for path in BRAND.glob("*.png")))
def test_brand_image_size(name: str) -> None:
    """The brands repository's sizes: icons 256 px square (512 at @2x), logos 128 to 256
    px on their shortest side (256 to 512 at @2x), @2x twice its 1x image, a dark image
    the size of its light one; all with transparency (RGBA)."""
    width, height, colour_type = _png(BRAND / name)
    assert colour_type == 6, f"{name}: not RGBA"
    density = 2 if "@2x" in name else 1
    if "icon" in name:
        assert (width, height) == (256 * density, 256 * density)
    else:
        assert 128 * density <= min(width, height) <= 256 * density
    if density == 2:
        assert _png(BRAND / name.replace("@2x", ""))[:2] == (width // 2, height // 2)
    if name.startswith("dark_"):
        assert _png(BRAND / name.removeprefix("dark_"))[:2] == (width, height)


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


def test_known_portals_are_suggested_in_both_languages() -> None:
    """The portal field's description names every public subdomain the library knows."""
    for path in (COMPONENT / "translations" / "en.json", COMPONENT / "translations" / "fr.json"):
        text = json.loads(path.read_text(encoding="utf-8"))["config"]["step"]["user"][
            "data_description"
        ]["portal"]
        missing = [name for name in PUBLIC_SUBDOMAINS if name not in text]
        assert not missing, f"{path.name}: the portal field does not suggest {missing}"


def _imports(path: Path) -> set[str]:
    """Return the modules a Python file imports (absolute names; relative ones as written)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_modules_the_readme_calls_pure_import_no_home_assistant() -> None:
    """The README's rooms mark the modules that import nothing of Home Assistant (so they
    are tested with plain values): each of them, and each file of a package so marked."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rooms = readme.split("**Rooms.**", 1)[1].split("```", 2)[1]
    pure = [line.split()[0] for line in rooms.splitlines() if re.search(r"^\s+\S+\s+pure:", line)]
    assert {"api/", "step.py", "state.py", "reader.py", "models.py"} <= set(pure)
    files = [
        file
        for name in pure
        for file in (
            sorted((COMPONENT / name).glob("*.py")) if name.endswith("/") else [COMPONENT / name]
        )
    ]
    assert all(file.is_file() for file in files), files
    leaks = {
        file.relative_to(COMPONENT).as_posix(): sorted(
            name for name in _imports(file) if name.split(".")[0] == "homeassistant"
        )
        for file in files
    }
    assert {file: names for file, names in leaks.items() if names} == {}
