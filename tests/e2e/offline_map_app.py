"""Streamlit page for tests/e2e/test_offline_map.py: a folium map that needs no internet.

It uses every folium feature the app relies on (LayerControl, MarkerCluster, Marker with
glyphicon and Font Awesome Icons, ImageOverlay, GeoJson) with the vendored assets, and no
tile server. Streamlit serves ``static/`` from beside the main script, so run it from a
folder holding a copy of this file and a link named ``static`` to the repository's
static/ folder (the test builds one in its tmp_path).
"""

from pathlib import Path

import folium
import numpy as np
import streamlit as st
from folium.plugins import MarkerCluster
from streamlit_folium import st_folium

from geogan_core.webmap.offline import use_local_assets

st.set_page_config(page_title="Offline map (e2e)")
local = use_local_assets(Path(__file__).parent / "static")
st.markdown(f"local assets: {local}")

CENTER = (48.0, 11.0)

# No tile layer, so no maxZoom unless the map gets one (folium's max_zoom only reaches the
# default tile layer), and MarkerCluster throws "Map has no maxZoom specified" without it.
m = folium.Map(location=CENTER, zoom_start=9, tiles=None, maxZoom=18)

# A small in-memory overhead image (folium turns it into a data: URL PNG).
yy, xx = np.mgrid[0:16, 0:16]
checker = ((yy // 4 + xx // 4) % 2).astype(np.uint8)
rgba = np.stack([checker * 200, 120 + checker * 60, 80 * (1 - checker), np.full_like(checker, 255)], axis=-1)
folium.raster_layers.ImageOverlay(
    image=rgba.astype(np.uint8),
    bounds=[[CENTER[0] - 0.6, CENTER[1] - 1.2], [CENTER[0] + 0.6, CENTER[1] + 1.2]],
    opacity=0.5,
    name="overhead",
).add_to(m)

folium.GeoJson(
    {
        "type": "Feature",
        "properties": {"name": "study area"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[10.9, 47.95], [11.1, 47.95], [11.1, 48.05], [10.9, 48.05], [10.9, 47.95]]],
        },
    },
    name="study area",
    tooltip="study area",
).add_to(m)

cluster = MarkerCluster(name="photos").add_to(m)
for dlat, dlon in [(0.01, 0.01), (0.012, 0.008), (0.009, 0.013), (-0.01, -0.012), (-0.011, -0.009)]:
    folium.Marker([CENTER[0] + dlat, CENTER[1] + dlon], tooltip="photo").add_to(cluster)

folium.Marker([CENTER[0] + 0.25, CENTER[1] - 0.5], tooltip="default marker").add_to(m)  # Leaflet's own icon
folium.Marker(
    [CENTER[0] + 0.15, CENTER[1] + 0.3],
    icon=folium.Icon(color="red", icon="info-sign"),  # glyphicon (folium's default prefix)
    tooltip="glyphicon marker",
).add_to(m)
folium.Marker(
    [CENTER[0] - 0.15, CENTER[1] - 0.3],
    icon=folium.Icon(color="green", icon="camera", prefix="fa", angle=30),
    tooltip="font awesome marker",
).add_to(m)

folium.LayerControl(collapsed=False).add_to(m)

out = st_folium(m, returned_objects=["last_clicked"], height=400, key="offline_map")
clicked = (out or {}).get("last_clicked")
if clicked:
    st.markdown(f"last_clicked: {clicked['lat']:.4f}, {clicked['lng']:.4f}")
else:
    st.markdown("last_clicked: none")
