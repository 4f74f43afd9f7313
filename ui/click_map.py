"""The Map page's map: a folium map as a local component that reports clicks at once.

streamlit-folium's frontend holds every click for 250 ms before sending it (a debounce with no
option to turn it off), about half of a click's time on a warm server. ``frontend/click_map/``
is a minimal component with no build step (Streamlit's component messages written by hand,
served offline from this folder): it fetches the folium map's drawing (a static file, see
``geogan_core.map_drawing``) and draws it once, sends a click as soon as it happens and, on later
renders, only moves the selected-place marker and pans to the place. Its arguments are a few
bytes, so a click's rerun does not send the 44 kB drawing again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit.components.v1 as components

_component = components.declare_component(
    "click_map", path=str(Path(__file__).resolve().parent / "frontend" / "click_map"))


def click_map(drawing: dict[str, str], marker: tuple[float, float] | None, center: tuple[float, float],
              height: int, key: str, on_change: Callable[[], None]) -> dict[str, float] | None:
    """Show the map (``drawing`` from ``geogan_core.map_drawing``); returns the last click ``{lat, lng, at}``.

    The click is also in ``st.session_state[key]`` when ``on_change`` runs, before the rerun.
    """
    return _component(**drawing, marker=list(marker) if marker else None, center=list(center), height=height,
                      key=key, on_change=on_change, default=None)
