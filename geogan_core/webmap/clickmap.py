"""A folium map as the drawing arguments of the Map page's click component (``ui/click_map.py``).

The component fetches the drawing (these strings, kept as a static file) once, draws it and, on
later renders, only moves the selected-place marker; ``geogan_core`` never imports streamlit, so
the component itself lives in ``ui/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import folium
import numpy as np
from folium.plugins import FastMarkerCluster

from geogan_core.fileio import atomic_write_text, file_stamps
from geogan_core.webmap.maps import SELECTED_PANE, explorer_map
from geogan_core.webmap.overlays import Overlay


def click_map_args(fmap: folium.Map) -> dict[str, Any]:
    """The component's drawing of a map: its header (scripts, styles), div, Leaflet code and map id.

    The strings are plain data, so one drawing can be shared by every session (``map_drawing``).
    """
    root = fmap.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render(),
            "map_id": fmap.get_name()}


def map_drawing(overlays: list[Overlay], photo_lat: np.ndarray, photo_lon: np.ndarray,
                static_dir: Path) -> dict[str, str]:
    """``click_map_args(explorer_map(overlays, photo_lat, photo_lon))`` as a file the browser fetches once.

    The drawing (about 44 kB) is written under ``static_dir/maps/`` (served at ``/app/static/maps/``);
    the component gets its URL and key, so a click's rerun sends a few bytes instead of the whole
    drawing (which the page had to pass on before the click's views). Building it takes about half
    a second; it only changes with the overlays, the photo places, folium's version, the script and
    style links (the app's own files once ``offline.use_local_assets`` ran, CDNs before) and this
    package's code, which key it: a drawing that is there is only checked to be whole.
    """
    places = hashlib.sha256(np.asarray(photo_lat, np.float64).tobytes() + np.asarray(photo_lon, np.float64).tobytes())
    links = [cls.default_js + cls.default_css for cls in (folium.Map, FastMarkerCluster)]
    parts = [[asdict(o) for o in overlays], places.hexdigest(), folium.__version__, links,
             file_stamps(Path(__file__).parent.glob("*.py"))]
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]
    entry = Path(static_dir) / "maps" / f"drawing-{key}.json"
    if not _readable(entry):  # missing, or damaged by hand: made again
        atomic_write_text(entry, json.dumps(click_map_args(explorer_map(overlays, photo_lat, photo_lon))))
        for old in entry.parent.glob("drawing-*.json"):
            if old != entry:
                old.unlink(missing_ok=True)
    return {"drawing_url": f"/app/static/maps/{entry.name}", "drawing_key": key, "marker_pane": SELECTED_PANE}


def _readable(entry: Path) -> bool:
    """Whether a kept drawing is there and whole (a JSON object with the map's id)."""
    try:
        return "map_id" in json.loads(entry.read_text())
    except (OSError, ValueError, TypeError):
        return False
