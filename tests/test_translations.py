"""The translation files: en.json is strings.json resolved, fr.json has the same keys."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import homeassistant

from .conftest import HA_RELEASE

COMPONENT = Path(__file__).parent.parent / "custom_components" / "ecocito"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")

NEWEST_RELEASE = "2026.10"
"""The release whose common strings en.json carries: the newest we test (users run it)."""
REWORDED_SINCE_OLDEST = {
    "config_flow::abort::already_in_progress": "This is already being configured. Finish the existing configuration before starting again.",
    "config_flow::abort::reconfigure_successful": "Reconfiguration was successful",
}
"""Home Assistant's common strings we use that NEWEST_RELEASE words differently from 2025.4."""


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _lookup(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("::"):
        tree = tree[part]
    return tree


def _installed_common() -> dict[str, Any]:
    common: dict[str, Any] = _load(Path(homeassistant.__file__).parent / "strings.json")["common"]
    return common


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Resolve `[%key:...%]` references as Home Assistant's translation script does.

    Common strings are NEWEST_RELEASE's: on the oldest release, the ones it words
    differently come from REWORDED_SINCE_OLDEST.
    """
    roots = {"common": _installed_common(), "component": {"ecocito": strings}}

    def resolve_value(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: resolve_value(item) for key, item in value.items()}
        while isinstance(value, str) and (match := REFERENCE.fullmatch(value)):
            kind, _, rest = match.group(1).partition("::")
            if kind == "common" and rest in REWORDED_SINCE_OLDEST:
                value = REWORDED_SINCE_OLDEST[rest]
            else:
                value = _lookup(roots[kind], rest)
        return value

    return resolve_value(strings)


def _keys(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(value, f"{prefix}/{key}") for key, value in tree.items()))


def _placeholders(tree: Any) -> dict[str, set[str]]:
    if not isinstance(tree, dict):
        return {"": set(re.findall(r"\{(\w+)\}", tree))}
    return {
        f"{key}/{path}": found
        for key, value in tree.items()
        for path, found in _placeholders(value).items()
    }


def test_english_is_resolved_strings() -> None:
    """translations/en.json is strings.json with every reference resolved."""
    assert _load(COMPONENT / "translations" / "en.json") == resolve(
        _load(COMPONENT / "strings.json")
    )


def test_rewording_is_the_installed_releases() -> None:
    """REWORDED_SINCE_OLDEST holds what the installed release says, or what it reworded."""
    common = _installed_common()
    for path, newest in REWORDED_SINCE_OLDEST.items():
        installed = _lookup(common, path)
        assert (installed == newest) is (HA_RELEASE == NEWEST_RELEASE), path


def test_french_matches_english() -> None:
    """fr.json has the same keys and placeholders as en.json, and no reference."""
    english = _load(COMPONENT / "translations" / "en.json")
    french = _load(COMPONENT / "translations" / "fr.json")
    assert _keys(french) == _keys(english)
    assert _placeholders(french) == _placeholders(english)
    assert "[%key:" not in (COMPONENT / "translations" / "fr.json").read_text(encoding="utf-8")
