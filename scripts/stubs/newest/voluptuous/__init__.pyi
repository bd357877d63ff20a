# What `import voluptuous` is on Home Assistant 2026.x, for mypy: at start Home Assistant
# registers probatio's voluptuous layer under that name (homeassistant/__init__.py,
# `install_as_voluptuous`), and its own signatures take probatio's types. Without this,
# mypy would read the unrelated voluptuous package that other dependencies install.
from probatio import *  # noqa: F403
