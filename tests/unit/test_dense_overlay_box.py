"""The Map page's dense-map overlay sits on its GeoTIFF's own box: the area's for a regional area, the globe's
for the world."""

import numpy as np
from affine import Affine
from PIL import Image
from rasterio.crs import CRS

from geogan_core.webmap.overlays import GLOBE, dense_overlays
from tests.conftest import write_tif


def _overlay(tmp_path, tif):
    (out,) = dense_overlays({"methods": {"cgan_features": {"file": str(tif)}}}, tmp_path / "static", width=64)
    return out, np.asarray(Image.open(next((tmp_path / "static" / "overlays").glob("dense-*.png"))))


def test_a_regional_map_sits_on_the_areas_box(tmp_path):
    # urban probability over about 400 x 300 km of Bavaria, in EPSG:3035 like the area's first layer
    grid = np.linspace(0, 1, 40 * 30, dtype=np.float32).reshape(1, 30, 40)
    tif = write_tif(tmp_path / "dense.tif", grid, Affine(10_000, 0, 4_300_000, 0, -10_000, 2_900_000),
                    CRS.from_epsg(3035), nodata=float("nan"))
    out, img = _overlay(tmp_path, tif)
    (south, west), (north, east) = out.bounds
    assert 45 < south < 48 < north < 50 and 9 < west < 12 < east < 16 and out.bounds != GLOBE
    assert img.shape[1] == 64 and 32 < img.shape[0] < 80  # the box's own shape, not a square globe
    assert (img[..., 3] > 0).mean() > 0.8  # the map fills its box


def test_a_global_map_stays_on_the_globe(tmp_path):
    grid = np.full((1, 18, 36), 0.5, np.float32)
    tif = write_tif(tmp_path / "dense.tif", grid, Affine(10, 0, -180, 0, -10, 90), CRS.from_epsg(4326))
    out, img = _overlay(tmp_path, tif)
    assert np.allclose(out.bounds, GLOBE) and img.shape[:2] == (64, 64)
