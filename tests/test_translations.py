"""The translation files: en.json is strings.json resolved, fr.json has the same keys."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import homeassistant

COMPONENT = Path(__file__).parent.parent / "custom_components" / "ecocito"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _lookup(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("::"):
        tree = tree[part]
    return tree


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Resolve `[%key:...%]` references as Home Assistant's translation script does."""
    roots = {
        "common": _load(Path(homeassistant.__file__).parent / "strings.json")["common"],
        "component": {"ecocito": strings},
    }

    def resolve_value(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: resolve_value(item) for key, item in value.items()}
        while isinstance(value, str) and (match := REFERENCE.fullmatch(value)):
            kind, _, rest = match.group(1).partition("::")
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


def test_french_matches_english() -> None:
    """fr.json has the same keys and placeholders as en.json, and no reference."""
    english = _load(COMPONENT / "translations" / "en.json")
    french = _load(COMPONENT / "translations" / "fr.json")
    assert _keys(french) == _keys(english)
    assert _placeholders(french) == _placeholders(english)
    assert "[%key:" not in (COMPONENT / "translations" / "fr.json").read_text(encoding="utf-8")
