"""aedmon: keeps defibrillators and mobile medical units ready for a rescue."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aedmon")  # the installed distribution's, as pyproject.toml says it
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
