"""Folium maps for the app: overlays served by URL, photo locations, the clicked place."""

from __future__ import annotations

import folium
import numpy as np
from folium.plugins import FastMarkerCluster

from geogan_core.webmap.overlays import Overlay

SELECTED_PANE = "selected-place"


class UrlImageOverlay(folium.raster_layers.ImageOverlay):
    """An ``ImageOverlay`` of a same-origin path such as ``/app/static/x.jpg``.

    folium reads any string without a URL scheme as a local file to inline as base64; a
    server path must stay a URL, so it is set after construction.
    """

    def __init__(self, url: str, bounds: list[list[float]], **kwargs: object) -> None:
        super().__init__("data:,", bounds=bounds, **kwargs)
        self.url = url


def explorer_map(overlays: list[Overlay], photo_lat: np.ndarray, photo_lon: np.ndarray,
                 center: tuple[float, float] = (20.0, 0.0), zoom: int = 2, online_basemap: bool = True) -> folium.Map:
    """The main map: overhead layers (one at a time), land cover and photo places as overlays.

    Args:
        overlays: Pre-rendered overlays (see ``render_overlays``).
        photo_lat: Latitudes of the real photos.
        photo_lon: Longitudes of the real photos.
        center: Initial centre ``(lat, lon)``.
        zoom: Initial zoom.
        online_basemap: Offer OpenStreetMap tiles as an extra (online) base layer.
    """
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, maxZoom=12, minZoom=1, worldCopyJump=True,
                   control_scale=True)
    first = True
    for ov in overlays:
        if ov.name == "landcover" or ov.name.startswith("dense:"):
            continue
        group = folium.FeatureGroup(name=ov.title, overlay=False, show=first)
        UrlImageOverlay(ov.url, bounds=[list(b) for b in ov.bounds], opacity=1.0).add_to(group)
        group.add_to(m)
        first = False
    if online_basemap:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", overlay=False, show=False).add_to(m)
    for ov in overlays:
        if ov.name == "landcover" or ov.name.startswith("dense:"):
            lc = folium.FeatureGroup(name=ov.title, overlay=True, show=False)
            UrlImageOverlay(ov.url, bounds=[list(b) for b in ov.bounds], opacity=0.7).add_to(lc)
            lc.add_to(m)
    photos = folium.FeatureGroup(name="Real photo places", overlay=True, show=True)
    FastMarkerCluster(np.column_stack([photo_lat, photo_lon]).round(4).tolist()).add_to(photos)
    photos.add_to(m)
    folium.map.CustomPane(SELECTED_PANE, z_index=650).add_to(m)  # above markers and clusters
    folium.LayerControl(collapsed=True).add_to(m)
    (south, west), (north, east) = overlays[0].bounds if overlays else ((-90.0, -180.0), (90.0, 180.0))
    if east - west < 300:  # a regional study area: open on it
        m.fit_bounds([[south, west], [north, east]])
    return m


def legend_html(class_names: dict[int, str], class_colors: dict[int, str], classes: list[int] | None = None) -> str:
    """An HTML legend of land-cover classes (name and colour)."""
    keys = classes if classes is not None else sorted(class_colors)
    items = [f'<span style="display:inline-block;margin:2px 8px 2px 0"><span style="display:inline-block;width:12px;'
             f'height:12px;background:{class_colors[k]};border:1px solid #777;vertical-align:middle"></span> '
             f'{k} {class_names.get(k, "")}</span>' for k in keys if k in class_colors]
    return "".join(items)


def points_map(lat: np.ndarray, lon: np.ndarray, background: Overlay | None = None) -> folium.Map:
    """A small offline map of some places over an overlay (e.g. summer true colour)."""
    m = folium.Map(location=[float(np.mean(lat)), float(np.mean(lon))], zoom_start=1, tiles=None, maxZoom=12)
    if background is not None:
        UrlImageOverlay(background.url, bounds=[list(b) for b in background.bounds]).add_to(m)
    for la, lo in zip(lat, lon, strict=True):
        folium.CircleMarker([float(la), float(lo)], radius=4, color="#d62728", fill=True).add_to(m)
    if len(lat):
        m.fit_bounds([[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]])
    return m
