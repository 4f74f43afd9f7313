"""A folium map as the drawing arguments of the Map page's click component (``ui/click_map.py``).

The component draws the map once from these strings and, on later renders, only moves the
selected-place marker; ``geogan_core`` never imports streamlit, so the component itself lives
in ``ui/``.
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
    """The component's drawing arguments for a map: its header (scripts, styles), div and Leaflet code.

    The browser draws the map again only when ``drawing_key`` changes (the page builds it once).
    The strings are plain data, so one result can be shared by every session.
    """
    root = fmap.get_root()
    root.render()
    header, html, script = root.header.render(), root.html.render(), root.script.render()
    key = hashlib.sha1("\0".join((header, html, script)).encode()).hexdigest()[:16]
    return {"header": header, "html": html, "script": script, "map_id": fmap.get_name(), "drawing_key": key,
            "marker_pane": SELECTED_PANE}


def map_drawing(overlays: list[Overlay], photo_lat: np.ndarray, photo_lon: np.ndarray,
                cache_dir: Path) -> dict[str, Any]:
    """``click_map_args(explorer_map(overlays, photo_lat, photo_lon))``, kept on disk under ``cache_dir/map/``.

    Building it takes about half a second of the Map page's first run; it only changes with the overlays,
    the photo places, folium's version, the script and style links (the app's own files once
    ``offline.use_local_assets`` ran, CDNs before) and this package's code, which key it.
    """
    places = hashlib.sha256(np.asarray(photo_lat, np.float64).tobytes() + np.asarray(photo_lon, np.float64).tobytes())
    links = [cls.default_js + cls.default_css for cls in (folium.Map, FastMarkerCluster)]
    parts = [[asdict(o) for o in overlays], places.hexdigest(), folium.__version__, links,
             file_stamps(Path(__file__).parent.glob("*.py"))]
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]
    entry = Path(cache_dir) / "map" / f"drawing-{key}.json"
    if entry.is_file():
        return dict(json.loads(entry.read_text()))
    drawing = click_map_args(explorer_map(overlays, photo_lat, photo_lon))
    atomic_write_text(entry, json.dumps(drawing))
    for old in entry.parent.glob("drawing-*.json"):
        if old != entry:
            old.unlink(missing_ok=True)
    return drawing
