import numpy as np
import pytest

from geogan_core.errors import CoordinateError
from geogan_core.inference.params import ViewParams, parse_latlon, parse_view_params
from geogan_core.webmap.clickmap import click_map_args
from geogan_core.webmap.maps import SELECTED_PANE, explorer_map, legend_html
from geogan_core.webmap.overlays import render_overlays


class TestParams:
    def test_round_trip(self):
        p = ViewParams(lat=55.75, lon=37.62, seed=3, n=8, model="paper")
        back, notes = parse_view_params(p.to_query(), ["modern", "paper"])
        assert back == p and notes == []

    @pytest.mark.parametrize("query,fragment,check", [
        ({"lat": "abc", "lon": "1"}, "place was ignored", lambda p: p.lat is None),
        ({"lat": "1e9", "lon": "1"}, "outside", lambda p: p.lat is None),
        ({"lat": "1", "lon": "nan"}, "finite", lambda p: p.lon is None),
        ({"n": "-3"}, "below 1", lambda p: p.n == 16),
        ({"n": "100000"}, "limit of 64", lambda p: p.n == 64),
        ({"seed": "x"}, "not a whole number", lambda p: p.seed == 0),
        ({"model": "stylegan"}, "not available", lambda p: p.model == "modern"),
    ])
    def test_bad_values_fall_back_with_a_note(self, query, fragment, check):
        p, notes = parse_view_params(query, ["modern", "paper"])
        assert check(p) and len(notes) == 1 and fragment in notes[0]

    def test_typed(self):
        assert parse_latlon(" -33.9, 151.2 ") == (-33.9, 151.2)
        assert parse_latlon("10 20") == (10.0, 20.0)
        with pytest.raises(CoordinateError, match="two numbers"):
            parse_latlon("Paris")


class TestOverlaysAndMap:
    def test_overlays_rendered_once_in_mercator(self, tiny_area, tmp_path):
        overlays = render_overlays(tiny_area, tmp_path, width=64)
        assert [o.name for o in overlays] == ["rgb", "gray", "merc", "landcover"]
        files = sorted((tmp_path / "overlays").rglob("*.*"))
        assert len(files) == 5 and all(o.url.startswith("/app/static/overlays/") for o in overlays)
        assert {o.bounds for o in overlays} == {((-85.0511287798, -180.0), (85.0511287798, 180.0))}  # a global area
        stamp = [f.stat().st_mtime_ns for f in files]
        assert render_overlays(tiny_area, tmp_path, width=64) == overlays
        assert [f.stat().st_mtime_ns for f in files] == stamp
        from PIL import Image

        gray = np.asarray(Image.open(next(f for f in files if f.name == "gray.jpg")))
        assert gray.shape[:2] == (64, 64) and gray[:, :5].mean() < gray[:, -5:].mean()  # west dark, east bright

    def test_map_html_is_small_and_uses_urls(self, tiny_area, tmp_path):
        overlays = render_overlays(tiny_area, tmp_path, width=64)
        fmap = explorer_map(overlays, np.array([1.0, 2.0]), np.array([3.0, 4.0]), online_basemap=False)
        html = fmap.get_root().render()
        assert "data:image" not in html and "/app/static/overlays/" in html and "openstreetmap" not in html.lower()
        assert "tile.openstreetmap.org" in explorer_map(overlays, np.array([1.0]), np.array([2.0])).get_root().render()
        args = click_map_args(fmap)
        assert args["map_id"] in args["script"] and args["map_id"] in args["html"]
        assert "/app/static/overlays/" in args["script"] and SELECTED_PANE in args["script"]
        again = explorer_map(overlays, np.array([1.0, 2.0]), np.array([3.0, 4.0]), online_basemap=False)
        assert click_map_args(again)["map_id"] != args["map_id"]  # new element ids

    def test_legend(self):
        html = legend_html({13: "Urban"}, {13: "#a5a5a5", 0: "#0000ff"}, [13])
        assert "Urban" in html and "#a5a5a5" in html and "#0000ff" not in html


class TestDenseOverlays:
    def test_dense_map_becomes_an_optional_layer(self, tmp_path):
        import rasterio
        from affine import Affine

        from geogan_core.webmap.overlays import dense_overlays

        tif = tmp_path / "dense.tif"
        with rasterio.open(tif, "w", driver="GTiff", width=4, height=2, count=1, dtype="float32", crs="EPSG:4326",
                           transform=Affine(90, 0, -180, 0, -90, 90)) as dst:
            dst.write(np.array([[[0.0, 1.0, np.nan, 0.5], [0.2, 0.3, 0.4, np.nan]]], np.float32))
        out = dense_overlays({"methods": {"overhead_only": {"file": str(tif)}}}, tmp_path / "static", width=32)
        assert [o.name for o in out] == ["dense:overhead_only"]
        from PIL import Image

        img = np.asarray(Image.open(next((tmp_path / "static" / "overlays").glob("dense-*.png"))))
        assert img.shape == (32, 32, 4) and (img[..., 3] == 0).any() and (img[..., 3] > 0).any()
        html = explorer_map(out, np.array([1.0]), np.array([2.0]), online_basemap=False).get_root().render()
        assert "Predicted urban probability: overhead_only" in html


def test_missing_vendored_assets_give_a_note(tmp_path):
    from geogan_core.webmap.offline import local_assets_note, missing_assets, restore_cdn_assets

    try:
        assert missing_assets(tmp_path)
        note = local_assets_note(tmp_path)
        assert note is not None and "make setup" in note and str(tmp_path / "vendor") in note
    finally:
        restore_cdn_assets()


def test_a_regional_area_gets_overlays_of_its_box_and_a_map_fitted_to_it(tiny_area, tmp_path):
    import dataclasses

    regional = dataclasses.replace(tiny_area, name="regional", layers=(tiny_area.layers[2],))  # the Mercator tile
    overlays = render_overlays(regional, tmp_path, width=64)
    (s, w), (n, e) = overlays[0].bounds
    assert -10 < w < e < 10 and 45 < s < n < 60  # the Europe raster's box, not the globe
    from PIL import Image

    img = Image.open(next((tmp_path / "overlays").rglob("merc.jpg")))
    assert img.size == (64, 64)  # the raster is square in Web Mercator, and so is its overlay
    html = explorer_map(overlays, np.array([50.0]), np.array([-5.0]), online_basemap=False).get_root().render()
    assert "fitBounds" in html
