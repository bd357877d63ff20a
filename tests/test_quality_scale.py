"""quality_scale.yaml: every rule of Home Assistant's list, and true of today's code.

hassfest reads quality_scale.yaml for core integrations only, so nothing else checks
ours. Two sources, copied here because neither ships in the homeassistant wheel:

* ``RULES``: ``ALL_RULES`` of Home Assistant core's ``script/hassfest/quality_scale.py``
  (2026.11: 54 rules, ``docs-triggers`` and ``docs-conditions`` among the bronze ones),
  by tier.
* ``NO_EXEMPTION``: the rules whose page
  (developers.home-assistant.io/docs/core/integration-quality-scale/rules/<rule>/) says
  "There are no exceptions to this rule." hassfest's schema itself takes ``exempt``
  (with a comment) for any rule; the rules' pages say which allow none.

``problems`` and ``claim_problems`` return what is wrong, in words; the tests below feed
them the real files, then files with one claim made false, and expect them to say so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import copy
from dataclasses import dataclass, replace
from datetime import timedelta
import importlib
import json
from pathlib import Path
import pkgutil
import re
import tomllib
from types import ModuleType
from typing import Any

from homeassistant.const import Platform
from homeassistant.helpers.entity import Entity, EntityDescription
import yaml

import custom_components.ecocito
from custom_components.ecocito import schedule

ROOT = Path(__file__).parent.parent
COMPONENT = Path(custom_components.ecocito.__file__).parent

RULES: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
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
        "discovery",
        "discovery-update-info",
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
"""The quality scale's rules by tier: hassfest's ALL_RULES (see the module's docstring)."""

NO_EXEMPTION = frozenset(
    {
        # bronze
        "action-setup",
        "brands",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-conditions",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "test-before-setup",
        # silver (entity-unavailable's "exceptions" say how to report standby: none)
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "test-coverage",
        # gold
        "devices",
        "diagnostics",
        "docs-known-limitations",
        "docs-troubleshooting",
        "docs-use-cases",
        "entity-category",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "repair-issues",
        "stale-devices",
    }
)
"""The rules that allow no exemption (their pages, see the module's docstring)."""

STATUSES = ("done", "exempt", "todo")
MIN_COVERAGE = 95
"""test-coverage asks for above 95 % (its page)."""
POLLING = ("FREQUENT", "IRREGULAR_LOOK", "IRREGULAR", "BACKGROUND")
"""schedule.py's intervals between two polls: what appropriate-polling quotes."""
_EVERY = re.compile(r"every (\d+) (minute|hour)s?\b|every (\d+) h (\d+)\b")
_QUOTED = re.compile(r'"([^"]+)"')


def _status(entry: Any) -> Any:
    return entry.get("status") if isinstance(entry, Mapping) else entry


def _comment(entry: Any) -> str:
    comment = entry.get("comment") if isinstance(entry, Mapping) else None
    return comment if isinstance(comment, str) else ""


def problems(data: Any) -> list[str]:
    """Return what is wrong with a quality_scale.yaml's rules, whatever the code."""
    rules = data.get("rules") if isinstance(data, Mapping) else None
    if not isinstance(rules, Mapping):
        return ["no 'rules' mapping"]
    known = {rule for tier in RULES.values() for rule in tier}
    found = [f"{rule}: missing" for tier in RULES.values() for rule in tier if rule not in rules]
    found += [f"{rule}: not a rule of the quality scale" for rule in rules if rule not in known]
    for rule, entry in rules.items():
        status = _status(entry)
        if status not in STATUSES:
            found.append(f"{rule}: status {status!r} is none of {STATUSES}")
        elif status != "done" and not _comment(entry):
            found.append(f"{rule}: {status} without a comment saying why")
        if status == "exempt" and rule in NO_EXEMPTION:
            found.append(f"{rule}: exempt, but the rule allows no exemption")
    return found


@dataclass(frozen=True, kw_only=True)
class Code:
    """What a program can see of the integration, that quality_scale.yaml makes claims on."""

    entity_categories: tuple[str, ...]
    """The entity descriptions or classes that set an EntityCategory."""
    disabled_by_default: tuple[str, ...]
    """The entity descriptions or classes disabled by default."""
    nameless_entities: tuple[str, ...]
    """The entity classes without has_entity_name."""
    no_parallel_updates: tuple[str, ...]
    """The platform modules that do not set PARALLEL_UPDATES."""
    requirements: tuple[str, ...]
    """The names of manifest.json's requirements."""
    codeowners: tuple[str, ...]
    polling: Mapping[str, timedelta]
    """schedule.py's intervals (``POLLING``)."""
    coverage_floor: float
    """pyproject.toml's fail_under."""
    readme_headings: frozenset[str]
    entity_keys: frozenset[str]
    """Every entity translation key of strings.json, as ``platform.key``."""
    icon_keys: frozenset[str]
    """Every entity translation key with an icon in icons.json, as ``platform.key``."""
    waste_type_icons: frozenset[str]
    """The translation keys whose entities show their waste type's icon (``platform.key``)."""


def _durations(text: str) -> set[timedelta]:
    """Return the intervals a text quotes: "every 5 minutes", "every 4 hours", "every 1 h 45"."""
    found = set()
    for number, unit, hours, minutes in _EVERY.findall(text):
        if hours:
            found.add(timedelta(hours=int(hours), minutes=int(minutes)))
        else:
            found.add(timedelta(**{f"{unit}s": int(number)}))
    return found


def _words(duration: timedelta) -> str:
    return f"every {duration.total_seconds() / 60:g} minutes"


def claim_problems(data: Mapping[str, Any], code: Code) -> list[str]:
    """Return the claims of a quality_scale.yaml that the code says are false."""
    rules: Mapping[str, Any] = data["rules"]

    def done(rule: str) -> bool:
        return _status(rules.get(rule)) == "done"

    found: list[str] = []
    if code.entity_categories and not done("entity-category"):
        found.append(
            f"entity-category: not done, yet {', '.join(code.entity_categories)} set an "
            "EntityCategory"
        )
    if code.disabled_by_default and not done("entity-disabled-by-default"):
        found.append(
            "entity-disabled-by-default: not done, yet "
            f"{', '.join(code.disabled_by_default)} are disabled by default"
        )
    if done("has-entity-name") and code.nameless_entities:
        found.append(f"has-entity-name: {', '.join(code.nameless_entities)} lack it")
    if done("parallel-updates") and code.no_parallel_updates:
        found.append(
            f"parallel-updates: {', '.join(code.no_parallel_updates)} set no PARALLEL_UPDATES"
        )
    if done("integration-owner") and not code.codeowners:
        found.append("integration-owner: manifest.json names no codeowner")
    if done("test-coverage") and code.coverage_floor < MIN_COVERAGE:
        found.append(f"test-coverage: fail_under {code.coverage_floor} is below {MIN_COVERAGE}")
    transparency = _comment(rules.get("dependency-transparency"))
    found += [
        f"dependency-transparency: the comment does not name the requirement {name}"
        for name in code.requirements
        if name not in transparency
    ]
    quoted = _durations(_comment(rules.get("appropriate-polling")))
    intervals = set(code.polling.values())
    found += [
        f"appropriate-polling: quotes {_words(d)}, none of schedule.py's intervals"
        for d in sorted(quoted - intervals)
    ]
    found += [
        f"appropriate-polling: does not quote {name}, {_words(value)}"
        for name, value in code.polling.items()
        if value not in quoted
    ]
    for rule, entry in rules.items():
        if rule.startswith("docs-"):
            found += [
                f'{rule}: README has no section "{heading}"'
                for heading in _QUOTED.findall(_comment(entry))
                if heading not in code.readme_headings
            ]
    if done("icon-translations"):
        icons = _comment(rules.get("icon-translations"))
        found += [
            f"icon-translations: {key} has no icon in icons.json"
            for key in sorted(code.entity_keys - code.icon_keys - code.waste_type_icons)
        ]
        found += [
            f"icon-translations: the comment does not say why {key} follows its waste type"
            for key in sorted(code.waste_type_icons)
            if key.partition(".")[2] not in icons
        ]
    return found


# -- the integration as it is ----------------------------------------------------------


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _modules() -> Iterator[ModuleType]:
    package = custom_components.ecocito
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        yield importlib.import_module(info.name)


def _descriptions(value: Any, depth: int = 0) -> Iterator[EntityDescription]:
    """Yield the entity descriptions in a module's value (tuples, lists and dicts of them)."""
    if isinstance(value, EntityDescription):
        yield value
    elif depth < 3 and isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _descriptions(item, depth + 1)
    elif depth < 3 and isinstance(value, Mapping):
        for item in value.values():
            yield from _descriptions(item, depth + 1)


def _platform(description: EntityDescription) -> str:
    """Return the platform of a description: the Home Assistant class it derives from."""
    return next(
        cls.__module__.split(".")[2]
        for cls in type(description).__mro__
        if cls.__module__.startswith("homeassistant.components.")
    )


def _readme_headings() -> frozenset[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    return frozenset(line.lstrip("#").strip() for line in lines if line.startswith("#"))


def _keys(tree: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    return frozenset(f"{platform}.{key}" for platform, keys in tree.items() for key in keys)


def integration() -> Code:
    """Return what the integration's code and files say today."""
    modules = list(_modules())
    descriptions = {
        (description.key, description.translation_key, type(description)): description
        for module in modules
        for value in vars(module).values()
        for description in _descriptions(value)
    }.values()
    classes = {
        cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, Entity)
        and cls.__module__.startswith(custom_components.ecocito.__name__)
    }
    # An entity's class attributes, as an instance reads them (Home Assistant's metaclass
    # turns each _attr_* into a property): of the classes that entities are made of.
    entities = {
        cls.__name__: object.__new__(cls)
        for cls in classes
        if not any(other is not cls and issubclass(other, cls) for other in classes)
    }
    platforms = {platform.value for platform in Platform}
    manifest = _json(COMPONENT / "manifest.json")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return Code(
        entity_categories=tuple(
            sorted(
                [f"{_platform(d)}.{d.translation_key}" for d in descriptions if d.entity_category]
                + [n for n, e in entities.items() if getattr(e, "_attr_entity_category", None)]
            )
        ),
        disabled_by_default=tuple(
            sorted(
                [
                    f"{_platform(d)}.{d.translation_key}"
                    for d in descriptions
                    if not d.entity_registry_enabled_default
                ]
                + [
                    name
                    for name, entity in entities.items()
                    if getattr(entity, "_attr_entity_registry_enabled_default", True) is False
                ]
            )
        ),
        nameless_entities=tuple(
            sorted(
                name
                for name, entity in entities.items()
                if getattr(entity, "_attr_has_entity_name", False) is not True
            )
        ),
        no_parallel_updates=tuple(
            sorted(
                module.__name__
                for module in modules
                if module.__name__.rpartition(".")[2] in platforms
                and not hasattr(module, "PARALLEL_UPDATES")
            )
        ),
        requirements=tuple(
            re.split(r"[=<>!~\[ ;]", requirement, maxsplit=1)[0]
            for requirement in manifest.get("requirements", [])
        ),
        codeowners=tuple(manifest.get("codeowners", [])),
        polling={name: getattr(schedule, name) for name in POLLING},
        coverage_floor=float(pyproject["tool"]["coverage"]["report"]["fail_under"]),
        readme_headings=_readme_headings(),
        entity_keys=_keys(_json(COMPONENT / "strings.json")["entity"]),
        icon_keys=_keys(_json(COMPONENT / "icons.json")["entity"]),
        waste_type_icons=frozenset(
            f"{_platform(d)}.{d.translation_key}"
            for d in descriptions
            if getattr(d, "icon_of_waste_type", False)
        ),
    )


QUALITY_SCALE = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8"))
CODE = integration()


def _with(rule: str, **entry: str) -> dict[str, Any]:
    """Return quality_scale.yaml with one rule's entry changed."""
    data = copy.deepcopy(QUALITY_SCALE)
    data["rules"][rule] = {**data["rules"][rule], **entry}
    return data


# -- the real files ------------------------------------------------------------------------


def test_every_rule_with_a_valid_status() -> None:
    assert problems(QUALITY_SCALE) == []


def test_claims_are_true_of_the_code() -> None:
    assert claim_problems(QUALITY_SCALE, CODE) == []


def test_the_code_shows_what_the_claims_rest_on() -> None:
    """The facts gathered are the ones the comments name: a walk that finds nothing
    would let every claim pass."""
    assert CODE.entity_categories == (
        "sensor.next_poll",
        "sensor.waste_type_bin_number",
        "sensor.waste_type_chip_number",
    )
    assert CODE.disabled_by_default == (
        "sensor.waste_type_bin_number",
        "sensor.waste_type_chip_number",
    )
    assert CODE.requirements == ("holidays",)
    assert CODE.waste_type_icons == {"sensor.waste_type_pickups"}
    assert CODE.nameless_entities == ()
    assert CODE.no_parallel_updates == ()
    assert "sensor.waste_type_pickups" in CODE.entity_keys
    assert CODE.polling["FREQUENT"] == timedelta(minutes=5)


# -- each check, by a claim made false --------------------------------------------------------


def test_a_rule_missing_or_unknown() -> None:
    data = copy.deepcopy(QUALITY_SCALE)
    del data["rules"]["docs-triggers"]
    data["rules"]["docs-everything"] = {"status": "done", "comment": "..."}
    assert problems(data) == [
        "docs-triggers: missing",
        "docs-everything: not a rule of the quality scale",
    ]
    assert problems({"rules": None}) == ["no 'rules' mapping"]


def test_a_status_that_is_none() -> None:
    assert problems(_with("brands", status="finished")) == [
        "brands: status 'finished' is none of ('done', 'exempt', 'todo')"
    ]


def test_exempt_or_todo_without_a_reason() -> None:
    data = _with("discovery", comment="")
    data["rules"]["devices"] = "todo"
    assert problems(data) == [
        "devices: todo without a comment saying why",
        "discovery: exempt without a comment saying why",
    ]


def test_exempt_where_the_rule_allows_none() -> None:
    """entity-category was "exempt, none is diagnostic": the rule allows no exemption,
    and sensors are diagnostic."""
    data = _with("entity-category", status="exempt", comment="None is diagnostic.")
    assert problems(data) == ["entity-category: exempt, but the rule allows no exemption"]
    assert claim_problems(data, CODE) == [
        "entity-category: not done, yet sensor.next_poll, sensor.waste_type_bin_number, "
        "sensor.waste_type_chip_number set an EntityCategory"
    ]


def test_entities_disabled_by_default_need_the_rule() -> None:
    """entity-disabled-by-default was "exempt, no noisy entity" beside the bin numbers."""
    data = _with("entity-disabled-by-default", status="exempt", comment="No noisy entity.")
    assert problems(data) == []  # the rule allows an exemption, where it holds
    assert claim_problems(data, CODE) == [
        "entity-disabled-by-default: not done, yet sensor.waste_type_bin_number, "
        "sensor.waste_type_chip_number are disabled by default"
    ]
    assert claim_problems(data, replace(CODE, disabled_by_default=())) == []


def test_requirements_are_named() -> None:
    """dependency-transparency said the manifest "requires nothing" beside holidays."""
    data = _with("dependency-transparency", comment="manifest.json requires nothing.")
    assert claim_problems(data, CODE) == [
        "dependency-transparency: the comment does not name the requirement holidays"
    ]
    more = replace(CODE, requirements=("holidays", "lxml"))
    assert claim_problems(QUALITY_SCALE, more) == [
        "dependency-transparency: the comment does not name the requirement lxml"
    ]


def test_polling_figures_are_the_schedules() -> None:
    """appropriate-polling said "every 15 minutes" while the looks are every 5."""
    comment = QUALITY_SCALE["rules"]["appropriate-polling"]["comment"]
    data = _with(
        "appropriate-polling", comment=comment.replace("every 5 minutes", "every 15 minutes")
    )
    assert claim_problems(data, CODE) == [
        "appropriate-polling: quotes every 15 minutes, none of schedule.py's intervals",
        "appropriate-polling: does not quote FREQUENT, every 5 minutes",
    ]
    slower = replace(CODE, polling={**CODE.polling, "IRREGULAR_LOOK": timedelta(hours=2)})
    assert claim_problems(QUALITY_SCALE, slower) == [
        "appropriate-polling: quotes every 105 minutes, none of schedule.py's intervals",
        "appropriate-polling: does not quote IRREGULAR_LOOK, every 120 minutes",
    ]


def test_docs_name_sections_the_readme_has() -> None:
    """docs-data-update pointed to a section the README had moved."""
    data = _with("docs-data-update", comment='README "Entités" / "Data updates".')
    assert claim_problems(data, CODE) == ['docs-data-update: README has no section "Data updates"']


def test_every_entity_key_has_an_icon() -> None:
    keys = CODE.entity_keys | {"sensor.waste_type_fill_level"}
    assert claim_problems(QUALITY_SCALE, replace(CODE, entity_keys=keys)) == [
        "icon-translations: sensor.waste_type_fill_level has no icon in icons.json"
    ]
    plain = replace(CODE, waste_type_icons=frozenset())
    assert claim_problems(QUALITY_SCALE, plain) == [
        "icon-translations: sensor.waste_type_pickups has no icon in icons.json"
    ]
    data = _with("icon-translations", comment="icons.json gives every entity its icon.")
    assert claim_problems(data, CODE) == [
        "icon-translations: the comment does not say why sensor.waste_type_pickups follows "
        "its waste type"
    ]


def test_what_the_silver_and_bronze_rules_rest_on() -> None:
    broken = replace(
        CODE,
        nameless_entities=("EcocitoGauge",),
        no_parallel_updates=("custom_components.ecocito.button",),
        codeowners=(),
        coverage_floor=90.0,
    )
    assert claim_problems(QUALITY_SCALE, broken) == [
        "has-entity-name: EcocitoGauge lack it",
        "parallel-updates: custom_components.ecocito.button set no PARALLEL_UPDATES",
        "integration-owner: manifest.json names no codeowner",
        "test-coverage: fail_under 90.0 is below 95",
    ]
