"""The Map page's drawing: a static file the browser fetches once, made again only when what it shows changes."""

import json

import folium
import numpy as np
import pytest

from geogan_core.webmap import clickmap
from geogan_core.webmap.overlays import Overlay

LAT, LON = np.array([10.0, -20.5, 48.9]), np.array([20.0, 130.25, 2.35])
OVERLAYS = [Overlay("summer", "Summer", "/app/static/overlays/summer.png", ((-85.0, -180.0), (85.0, 180.0)))]


def read(static, ref):
    assert ref["drawing_url"].startswith("/app/static/maps/")
    return json.loads((static / "maps" / ref["drawing_url"].rsplit("/", 1)[1]).read_text())


def test_the_drawing_is_kept_and_built_again_for_other_inputs(tmp_path, monkeypatch):
    first = clickmap.map_drawing(OVERLAYS, LAT, LON, tmp_path)
    drawing = read(tmp_path, first)
    assert drawing["map_id"] in drawing["script"] and "summer.png" in drawing["script"]
    assert first["marker_pane"] in drawing["script"]
    assert len(list((tmp_path / "maps").glob("drawing-*.json"))) == 1
    with monkeypatch.context() as m:
        m.setattr(clickmap, "explorer_map", lambda *a, **k: pytest.fail("built again although kept"))
        assert clickmap.map_drawing(OVERLAYS, LAT, LON, tmp_path) == first
    other = [Overlay("winter", "Winter", "/app/static/overlays/winter.png", OVERLAYS[0].bounds)]
    assert "winter.png" in read(tmp_path, clickmap.map_drawing(other, LAT, LON, tmp_path))["script"]
    moved = clickmap.map_drawing(other, LAT + 0.5, LON, tmp_path)  # other photo places
    assert moved["drawing_key"] != first["drawing_key"]
    assert len(list((tmp_path / "maps").glob("drawing-*.json"))) == 1  # older drawings are removed


def test_a_drawing_made_with_cdn_links_is_not_served_once_the_links_are_local(tmp_path, monkeypatch):
    monkeypatch.setattr(folium.Map, "default_js", [("leaflet", "https://cdn.example/leaflet.js")])
    assert "https://cdn.example/leaflet.js" in read(tmp_path, clickmap.map_drawing(OVERLAYS, LAT, LON, tmp_path))[
        "header"]
    monkeypatch.setattr(folium.Map, "default_js", [("leaflet", "/app/static/vendor/leaflet/leaflet.js")])
    header = read(tmp_path, clickmap.map_drawing(OVERLAYS, LAT, LON, tmp_path))["header"]
    assert "/app/static/vendor/leaflet/leaflet.js" in header and "cdn.example" not in header


def test_a_damaged_drawing_is_made_again(tmp_path):
    ref = clickmap.map_drawing(OVERLAYS, LAT, LON, tmp_path)
    file = tmp_path / "maps" / ref["drawing_url"].rsplit("/", 1)[1]
    file.write_text(file.read_text()[:100])  # cut short
    assert clickmap.map_drawing(OVERLAYS, LAT, LON, tmp_path) == ref
    assert read(tmp_path, ref)["map_id"] in read(tmp_path, ref)["script"]
