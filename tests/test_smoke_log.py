"""The smoke test's reading of Home Assistant's log: what counts as a report about our code.

The records are written as Home Assistant writes them (homeassistant/helpers/frame.py,
helpers/deprecation.py, Python warnings through `py.warnings`), in the time formats of
2025.4 and 2026.11.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

import pytest

from tests.smoke import SmokeError, reports_about_us

OLD = "2026-12-03 10:15:02.716"
NEW = "2026-12-03 10:15:02.716+01:00"
TRACKER = "https://github.com/ecocito-ha/ecocito/issues"

REPORTED = [
    f"{NEW} WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom "
    "integration 'ecocito' calls async_forward_entry_setup for integration, ecocito with "
    "title: Ecocito and entry_id: 01J, which is deprecated at custom_components/ecocito/"
    "__init__.py, line 80: await hass.config_entries.async_forward_entry_setup(. This will "
    f"stop working in Home Assistant 2025.6, please create a bug report at {TRACKER}",
    f"{OLD} WARNING (MainThread) [homeassistant.const] The deprecated constant "
    "MASS_KILOGRAMS was used from ecocito. It will be removed in HA Core 2025.1. Use "
    f"UnitOfMass.KILOGRAMS instead, please create a bug report at {TRACKER}",
    f"{NEW} WARNING (MainThread) [py.warnings] /tmp/ecocito-smoke.Ab12/custom_components/"
    "ecocito/coordinator.py:120: DeprecationWarning: datetime.datetime.utcnow() is deprecated",
    f"{OLD} WARNING (MainThread) [homeassistant.util.loop] Detected blocking call to open "
    "with args ('x',) inside the event loop by custom integration 'ecocito' at "
    "custom_components/ecocito/sensor.py, line 12: open(x) (offender: ...), please create "
    f"a bug report at {TRACKER}",
    f"{NEW} WARNING (MainThread) [homeassistant.components.sensor] Entity sensor.x "
    "(<class 'custom_components.ecocito.sensor.EcocitoSensor'>) is using native unit of "
    "measurement 'kg' which is not a valid unit for the device class ('energy') it is "
    f"using; please create a bug report at {TRACKER}",
]

NOT_REPORTED = [
    # Said of every custom integration.
    f"{NEW} WARNING (SyncWorker_0) [homeassistant.loader] We found a custom integration "
    "ecocito which has not been tested by Home Assistant. This component might cause "
    "stability problems, be sure to disable it if you experience issues with Home Assistant",
    # Our own records, even when they say the words.
    f"{OLD} DEBUG (MainThread) [custom_components.ecocito.coordinator] Reading pickups "
    f"from ecocito.example for custom integration 'ecocito' ({TRACKER})",
    # Warnings from other code.
    f"{NEW} WARNING (MainThread) [py.warnings] /opt/venv/lib/python3.14/site-packages/"
    "aiohttp/connector.py:12: DeprecationWarning: the loop argument is deprecated",
    f"{OLD} WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom "
    "integration 'hacs' calls hass.helpers, please create a bug report at "
    "https://github.com/hacs/integration/issues",
]


@pytest.mark.parametrize("record", REPORTED)
def test_report_found(record: str) -> None:
    log = "\n".join([*NOT_REPORTED, record, "  File 'x.py', line 1, in <module>", *NOT_REPORTED])
    assert reports_about_us(log) == [record]


def test_nothing_reported() -> None:
    assert reports_about_us("\n".join(NOT_REPORTED) + "\n") == []
    assert reports_about_us("") == []


def test_unknown_log_format() -> None:
    """A log the parser does not understand fails the smoke test instead of passing it."""
    with pytest.raises(SmokeError):
        reports_about_us("10:15:02 WARNING [homeassistant.helpers.frame] Detected that ...\n")


def test_the_browser_scripts_import_the_smoke_test_without_home_assistant() -> None:
    """scripts/ui and scripts/screenshot import tests.smoke in the browser's Python, which has
    no Home Assistant: importing it must not need it (the integration's package does)."""
    blocked = (
        "import sys; sys.modules['homeassistant'] = None; "
        "import tests.smoke; print(tests.smoke.DOMAIN)"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter, a fixed line)
        [sys.executable, "-c", blocked],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr == ""
    assert done.stdout == "ecocito\n"
