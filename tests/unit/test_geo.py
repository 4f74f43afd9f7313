import numpy as np
import pytest
from affine import Affine
from PIL import Image
from rasterio.crs import CRS

from geogan_core.config import LayerConfig
from geogan_core.errors import CoordinateError, CRSMismatchError, DataError, DataNotFoundError
from geogan_core.geo.grid import check_latlon, haversine_km, patch_lonlat
from geogan_core.geo.raster import Raster, cached_layer_path
from geogan_core.geo.stack import LandCover, OverheadStack, layer_images
from tests.conftest import write_tif


class TestGrid:
    @pytest.mark.parametrize("lat,lon", [(91, 0), (0, 181), (float("nan"), 0), ("abc", 0), (0, float("inf"))])
    def test_bad_coordinates(self, lat, lon):
        with pytest.raises(CoordinateError):
            check_latlon(lat, lon)

    def test_patch_is_centred_and_sized(self):
        lons, lats = patch_lonlat(0.0, 0.0, 11, 10_000)
        assert lons[5, 5] == pytest.approx(0, abs=1e-9) and lats[5, 5] == pytest.approx(0, abs=1e-9)
        assert lats[0, 5] > lats[10, 5]  # row 0 is north
        width_km = haversine_km(0, float(lons[5, 0]), np.array([0.0]), np.array([lons[5, 10]]))[0]
        assert width_km == pytest.approx(100, rel=1e-3)

    def test_antimeridian_wraps(self):
        lons, _ = patch_lonlat(10.0, 179.9, 9, 20_000)
        assert lons.min() >= -180 and lons.max() < 180
        assert (lons[:, 0] > 179).all() and (lons[:, -1] < -179).all()

    def test_pole_is_finite(self):
        lons, lats = patch_lonlat(90.0, 0.0, 8, 50_000)
        assert np.isfinite(lons).all() and np.isfinite(lats).all() and lats.max() <= 90


class TestRaster:
    def test_sample_global_bilinear_and_nearest(self, tmp_path):
        data = np.arange(8 * 4, dtype=np.uint8).reshape(1, 4, 8) * 5
        path = write_tif(tmp_path / "g.tif", data, Affine(45, 0, -180, 0, -45, 90), CRS.from_epsg(4326))
        r = Raster.open(path)
        assert r.is_global_lonlat
        vals, ok = r.sample(np.array([-157.5]), np.array([67.5]), "nearest")
        assert ok.all() and vals[0, 0] == data[0, 0, 0]
        # across the antimeridian bilinear blends the last and first column
        vals, _ = r.sample(np.array([180.0 - 1e-9]), np.array([67.5]))
        assert vals[0, 0] == pytest.approx((data[0, 0, 0] + data[0, 0, 7]) / 2, abs=0.01)

    def test_reprojects_other_crs_and_flags_outside(self, tiny_area):
        r = Raster.open(tiny_area.layers[2].path)
        # the Web Mercator raster: top half 1000, bottom half 7; Europe inside, Sydney outside
        vals, ok = r.sample(np.array([0.0, 0.0, 151.2]), np.array([55.0, 50.0, -33.9]), "nearest")
        assert ok.tolist() == [True, True, False]
        assert vals[0, 0] == 1000 and vals[0, 1] == 7 and np.isnan(vals[0, 2])

    def test_no_crs(self, tmp_path):
        path = write_tif(tmp_path / "nocrs.tif", np.zeros((1, 4, 4), np.uint8), Affine.identity(), None)
        with pytest.raises(CRSMismatchError, match="has no CRS"):
            Raster.open(path)

    def test_missing(self, tmp_path):
        with pytest.raises(DataNotFoundError):
            Raster.open(tmp_path / "x.tif")

    def test_nodata_is_invalid(self, tiny_area):
        lc = LandCover(tiny_area.landcover)
        vals, ok = lc.raster.sample(np.array([-179.9]), np.array([89.9]), "nearest")
        assert not ok[0]


class TestPlainImageCache:
    def test_converted_once(self, tmp_path):
        Image.fromarray(np.full((10, 20, 3), 9, np.uint8)).save(tmp_path / "globe.png")
        layer = LayerConfig("globe", tmp_path / "globe.png", "plate_carree", "rgb")
        first = cached_layer_path(layer, tmp_path / "cache")
        mtime = first.stat().st_mtime_ns
        assert cached_layer_path(layer, tmp_path / "cache") == first and first.stat().st_mtime_ns == mtime
        r = Raster.open(first)
        assert r.transform == Affine(18, 0, -180, 0, -18, 90) and r.crs.to_epsg() == 4326
        assert not list((tmp_path / "cache" / "layers").glob("*.part"))

    def test_corrupt_image(self, tmp_path):
        (tmp_path / "bad.jpg").write_bytes(b"garbage")
        with pytest.raises(DataError, match="bad.jpg"):
            cached_layer_path(LayerConfig("bad", tmp_path / "bad.jpg", "plate_carree", "rgb"), tmp_path / "c")
        assert not list((tmp_path / "c").rglob("*.tif"))


class TestStack:
    def test_patch_shape_range_and_layer_images(self, tiny_area):
        stack = OverheadStack(tiny_area)
        patch, coverage = stack.patch(50.5, 2.0)
        assert patch.shape == (5, 8, 8) and patch.dtype == np.float32
        assert 0 <= patch.min() and patch.max() <= 1 and coverage == 1.0
        imgs = layer_images(patch, stack.layer_configs)
        assert list(imgs) == ["rgb", "gray", "merc"] and imgs["gray"].shape == (8, 8, 3)

    def test_regional_layer_missing_far_away(self, tiny_area):
        patch, coverage = OverheadStack(tiny_area).patch(-33.9, 151.2)
        assert coverage == pytest.approx(2 / 3) and (patch[4] == 0).all()

    def test_patches_batch_matches_single(self, tiny_area):
        stack = OverheadStack(tiny_area)
        batch = stack.patches(np.array([10.0, -20.0]), np.array([179.5, -60.0]))
        assert np.allclose(batch[0], stack.patch(10.0, 179.5)[0])


class TestLandCover:
    def test_point_neighbourhood_and_water(self, tiny_area):
        lc = LandCover(tiny_area.landcover)
        assert lc.label(51.5, -0.1).group == "urban"
        assert lc.label(48.9, 2.3).group == "rural"
        water = lc.label(-12.0, 0.0)  # the ocean stripe, rows 200..210 => lat -10..-15
        assert water.group is None and water.source == "water"
        coast = lc.label(-10.1, 0.0)  # just inside the stripe: land next door
        assert coast.group == "rural" and coast.source == "neighbourhood"

    def test_fractions_sum_to_one(self, tiny_area):
        fr = LandCover(tiny_area.landcover).fractions(51.5, -0.1, 8, 50_000)
        assert sum(fr.values()) == pytest.approx(1) and 13 in fr
