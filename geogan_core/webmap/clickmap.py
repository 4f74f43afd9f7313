"""A folium map as the drawing arguments of the Map page's click component (``ui/click_map.py``).

The component draws the map once from these strings and, on later renders, only moves the
selected-place marker; ``geogan_core`` never imports streamlit, so the component itself lives
in ``ui/``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import folium

from geogan_core.webmap.maps import SELECTED_PANE


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
