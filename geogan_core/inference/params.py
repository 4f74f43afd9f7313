"""Shareable view settings: parse and validate URL query parameters and typed coordinates."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from geogan_core.errors import CoordinateError
from geogan_core.geo.grid import check_latlon

MAX_VIEWS = 64  # views a request may ask for
DEFAULT_N = 16


@dataclass
class ViewParams:
    """What a link reopens: the place, the seed, the number of views and the model."""

    lat: float | None = None
    lon: float | None = None
    seed: int = 0
    n: int = DEFAULT_N
    model: str = "modern"

    def to_query(self) -> dict[str, str]:
        """Query parameters for a link (place only when one is chosen)."""
        q = {"seed": str(self.seed), "n": str(self.n), "model": self.model}
        if self.lat is not None and self.lon is not None:
            q.update(lat=f"{self.lat:.5f}", lon=f"{self.lon:.5f}")
        return q


def _int(raw: str, name: str, default: int, lo: int, hi: int, notes: list[str]) -> int:
    try:
        value = float(raw)
        if not math.isfinite(value) or value != int(value):
            raise ValueError
    except ValueError:
        notes.append(f"{name}={raw!r} in the link is not a whole number; using {default}.")
        return default
    if value < lo:
        notes.append(f"{name}={raw} in the link is below {lo}; using {default}.")
        return default
    if value > hi:
        notes.append(f"{name}={raw} in the link is above the limit of {hi}; using {hi}.")
        return hi
    return int(value)


def parse_view_params(query: Mapping[str, str], models: list[str], max_n: int = MAX_VIEWS,
                      default_n: int = DEFAULT_N) -> tuple[ViewParams, list[str]]:
    """Read view settings from URL query parameters; bad values fall back with a note each.

    Args:
        query: The page's query parameters.
        models: Model names that can be chosen (the first is the default).
        max_n: The page's largest number of views (a larger ``n`` is capped to it).
        default_n: Views when the link has no usable ``n``.

    Returns:
        The settings and a list of human-readable notes about ignored or capped values.
    """
    notes: list[str] = []
    p = ViewParams(model=models[0] if models else "modern", n=default_n)
    if "lat" in query or "lon" in query:
        try:
            p.lat, p.lon = check_latlon(query.get("lat", ""), query.get("lon", ""))
        except CoordinateError as e:
            notes.append(f"The link's place was ignored: {e}.")
    if "seed" in query:
        p.seed = _int(query["seed"], "seed", 0, 0, 2**31 - 1, notes)
    if "n" in query:
        p.n = _int(query["n"], "n", default_n, 1, max_n, notes)
    if "model" in query:
        if query["model"] in models:
            p.model = query["model"]
        else:
            notes.append(f"model={query['model']!r} in the link is not available (choose from {models}); "
                         f"using {p.model}.")
    return p, notes


def parse_latlon(text: str) -> tuple[float, float]:
    """Parse typed coordinates such as ``55.75, 37.62`` or ``-33.9 151.2``.

    Raises:
        CoordinateError: If the text is not two numbers in range.
    """
    parts = [x for x in re.split(r"[,;\s]+", text.strip()) if x]
    if len(parts) != 2:
        raise CoordinateError(f"type latitude and longitude as two numbers, e.g. '55.75, 37.62' (got {text!r})")
    return check_latlon(parts[0], parts[1])


def parse_slider_params(query: Mapping[str, str], prefix: str, names: list[str], limit: float,
                        notes: list[str]) -> dict[str, float]:
    """Slider values from query keys ``<prefix><name>``, clipped to ``[-limit, limit]`` with a note."""
    out = {}
    for name in names:
        raw = query.get(prefix + name)
        if raw is None:
            continue
        try:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            notes.append(f"{prefix}{name}={raw!r} in the link is not a number; ignored.")
            continue
        if abs(value) > limit:
            notes.append(f"{prefix}{name}={raw} in the link is outside [-{limit:g}, {limit:g}]; clipped.")
            value = max(-limit, min(limit, value))
        out[name] = value
    return out
