"""CHANGELOG.md: Keep a Changelog's shape, and manifest.json's version is its newest release.

HACS shows a user the version of the manifest and the notes of the GitHub release: the
changelog is where both come from (the README's "Cutting a release").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
import json
from pathlib import Path
import re

import custom_components.ecocito

ROOT = Path(__file__).parent.parent
COMPONENT = Path(custom_components.ecocito.__file__).parent
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
MANIFEST_VERSION: str = json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))[
    "version"
]

UNRELEASED = "Unreleased"
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
"""Keep a Changelog's kinds of change, in its order."""
_SECTION = re.compile(r"^## \[([^\]]*)\](.*)$", re.MULTILINE)
_DATE = re.compile(r" - (\d{4}-\d{2}-\d{2})")
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Section:
    """One version's section: its heading and what it lists."""

    version: str
    heading: str
    body: str


def sections(text: str) -> list[Section]:
    """Return the changelog's version sections, in their order."""
    found = list(_SECTION.finditer(text))
    return [
        Section(
            version=match[1],
            heading=match[0],
            body=text[match.end() : found[n + 1].start() if n + 1 < len(found) else len(text)],
        )
        for n, match in enumerate(found)
    ]


def _kinds_problems(section: Section) -> list[str]:
    kinds = re.findall(r"^### (.+)$", section.body, flags=re.MULTILINE)
    found = [
        f"[{section.version}]: '### {kind}' is none of {KINDS}"
        for kind in kinds
        if kind not in KINDS
    ]
    if [kind for kind in KINDS if kind in kinds] != [kind for kind in kinds if kind in KINDS]:
        found.append(f"[{section.version}]: kinds of change not in the order {KINDS}")
    parts = re.split(r"^### .+$", section.body, flags=re.MULTILINE)[1:]
    found += [
        f"[{section.version}]: a kind of change lists nothing"
        for part in parts
        if not re.search(r"^- \S", part, flags=re.MULTILINE)
    ]
    return found


def changelog_problems(text: str, manifest_version: str) -> list[str]:
    """Return what is wrong with a changelog, and with the manifest's version against it."""
    found: list[str] = []
    listed = sections(text)
    if not listed or listed[0].version != UNRELEASED:
        found.append(f"the first section is not [{UNRELEASED}]")
    released = [section for section in listed if section.version != UNRELEASED]
    if len(listed) - len(released) > 1:
        found.append(f"[{UNRELEASED}] more than once")
    previous: tuple[tuple[int, ...], date] | None = None
    for section in released:
        version = _VERSION.fullmatch(section.version)
        day = _DATE.fullmatch(section.heading.removeprefix(f"## [{section.version}]"))
        if version is None or day is None:
            found.append(f"{section.heading!r} is not '## [X.Y.Z] - YYYY-MM-DD'")
            continue
        if not re.search(r"^- \S", section.body, flags=re.MULTILINE):
            found.append(f"[{section.version}] lists nothing")
        current = (tuple(int(number) for number in version.groups()), date.fromisoformat(day[1]))
        if previous is not None and not (current[0] < previous[0] and current[1] <= previous[1]):
            found.append(f"[{section.version}] is not older than the version above it")
        previous = current
    for section in listed:
        found += _kinds_problems(section)
    if not released:
        found.append("no version released")
    elif released[0].version != manifest_version:
        found.append(
            f"manifest.json's version is {manifest_version}, "
            f"the changelog's newest release {released[0].version}"
        )
    return found


def test_changelog_and_manifest_agree() -> None:
    assert changelog_problems(CHANGELOG, MANIFEST_VERSION) == []
    assert [section.version for section in sections(CHANGELOG)][:2] == [
        UNRELEASED,
        MANIFEST_VERSION,
    ]


def test_a_release_without_the_manifest() -> None:
    """Releasing moves the section's heading and the manifest's version together."""
    released = CHANGELOG.replace(
        f"## [{UNRELEASED}]", f"## [{UNRELEASED}]\n\n## [0.2.0] - 2026-12-06", 1
    )
    assert changelog_problems(released, MANIFEST_VERSION) == [
        f"manifest.json's version is {MANIFEST_VERSION}, the changelog's newest release 0.2.0"
    ]
    assert changelog_problems(released, "0.2.0") == []
    assert changelog_problems(CHANGELOG, "0.2.0") == [
        f"manifest.json's version is 0.2.0, the changelog's newest release {MANIFEST_VERSION}"
    ]


def test_newest_first() -> None:
    text = """## [Unreleased]
## [0.1.0] - 2026-11-26
### Added
- One
## [0.2.0] - 2026-12-06
### Fixed
- Two
"""
    assert changelog_problems(text, "0.1.0") == ["[0.2.0] is not older than the version above it"]


def test_the_shape_of_each_section() -> None:
    text = """## [0.1.0] - 2026-11-26
### Fixed
- One
### Added
- Two
### Improved
- Three
## [0.0.1]
### Added
"""
    assert changelog_problems(text, "0.1.0") == [
        "the first section is not [Unreleased]",
        "'## [0.0.1]' is not '## [X.Y.Z] - YYYY-MM-DD'",
        "[0.1.0]: '### Improved' is none of "
        "('Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security')",
        "[0.1.0]: kinds of change not in the order "
        "('Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security')",
        "[0.0.1]: a kind of change lists nothing",
    ]


def test_readme_says_how_a_release_is_cut() -> None:
    """In both languages: the changelog (in English), and the steps of a release."""
    french, english = (ROOT / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)
    for part, words in (
        (french, ("CHANGELOG.md", "en anglais", "### Publier une version", "manifest.json")),
        (english, ("CHANGELOG.md", "in English", "### Cutting a release", "manifest.json")),
    ):
        assert [word for word in words if word not in part] == []
