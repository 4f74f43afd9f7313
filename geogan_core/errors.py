"""One exception family: every error a user can cause is a ``GeoGanError``.

Messages say what failed, where, and what to do next. The app shows them with
``st.error(str(e))``; the CLI prints them on one line and exits with status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class GeoGanError(Exception):
    """Base for all geogan_core errors."""


class ConfigError(GeoGanError, ValueError):
    """A study-area TOML file is missing a key or holds a bad value."""


class DataNotFoundError(GeoGanError, FileNotFoundError):
    """A data root, raster, photo table or image is missing."""


class DataError(GeoGanError, ValueError):
    """A file exists but cannot be used (corrupt image, raster with no CRS, ...)."""


class CRSMismatchError(GeoGanError, ValueError):
    """A raster's coordinate reference system is missing or cannot be transformed."""


class CoordinateError(GeoGanError, ValueError):
    """A latitude/longitude is not a number or outside [-90, 90] x [-180, 180]."""


class InvalidRequestError(GeoGanError, ValueError):
    """A request parameter (number of views, seed, strength...) is out of its range."""


class CheckpointError(GeoGanError):
    """A checkpoint is missing, corrupt, or of the wrong architecture or version."""


class UnknownNameError(GeoGanError, KeyError):
    """A registry lookup used a name that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


def exit_status(main: Callable[[], int | None]) -> int:
    """Run a command's ``main``; a ``GeoGanError`` is printed on one line to stderr and gives status 2."""
    try:
        return int(main() or 0)
    except GeoGanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
