"""A raster larger than memory is read window by window: same values as a full read, never whole."""

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling

from geogan_core.geo import raster as raster_mod
from geogan_core.geo.raster import Raster


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.tif"
    y, x = np.mgrid[0:1200, 0:1500]
    data = np.stack([(x // 3) % 251, (y // 5) % 241, (x + y) % 239]).astype(np.uint16)
    with rasterio.open(path, "w", driver="GTiff", width=1500, height=1200, count=3, dtype="uint16",
                       crs=CRS.from_epsg(3035), transform=Affine(100, 0, 4_000_000, 0, -100, 3_000_000),
                       tiled=True, compress="deflate", nodata=0) as dst:
        dst.write(data)
        dst.build_overviews([2, 4, 8], Resampling.average)
    return path


def test_windowed_reads_match_the_full_read(big, monkeypatch):
    full = Raster.open(big)
    monkeypatch.setattr(raster_mod, "LAZY_PIXELS", 1000)
    lazy = Raster.open(big)
    assert lazy.data is None and lazy.shape == full.shape and lazy.dtype == full.dtype
    assert lazy.bounds_wgs84() == full.bounds_wgs84()
    # a dense patch (points closer than the pixels): read at full resolution, identical values
    lon0, lat0 = 10.0, 52.0
    (w, s, e, n) = full.bounds_wgs84()
    lons, lats = np.meshgrid(np.linspace(w + 0.3, w + 0.31, 16), np.linspace(n - 0.3, n - 0.31, 16))
    for method in ("bilinear", "nearest"):
        a, ok_a = full.sample(lons, lats, method)
        b, ok_b = lazy.sample(lons, lats, method)
        assert np.array_equal(ok_a, ok_b) and np.allclose(a, b, equal_nan=True)
    assert np.array_equal(lazy.window(w + 0.5, n - 0.5), full.window(w + 0.5, n - 0.5))
    assert lazy.window(lon0 + 60, lat0).size == 0  # outside: nothing to read
    # sparse points over the whole raster: read through an overview, values near the full read's
    glon, glat = np.meshgrid(np.linspace(w + 0.2, e - 0.2, 40), np.linspace(s + 0.2, n - 0.2, 40))
    a, ok_a = full.sample(glon, glat, "nearest")
    b, ok_b = lazy.sample(glon, glat, "nearest")
    assert ok_b.mean() > 0.9 and np.nanmean(np.abs(a - b)[:, ok_a & ok_b]) < 30


def test_a_large_raster_is_never_read_whole(big, monkeypatch):
    monkeypatch.setattr(raster_mod, "LAZY_PIXELS", 1000)
    reads = []
    real = rasterio.io.DatasetReader.read

    def spy(self, *args, **kw):
        out = real(self, *args, **kw)
        reads.append(out.shape)
        return out

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", spy)
    lazy = Raster.open(big)
    assert reads == []  # opening reads no pixel
    w, s, e, n = lazy.bounds_wgs84()
    lazy.sample(np.array([w + 0.5]), np.array([n - 0.5]))
    glon, glat = np.meshgrid(np.linspace(w + 0.2, e - 0.2, 30), np.linspace(s + 0.2, n - 0.2, 30))
    lazy.sample(glon, glat)
    assert reads and all(r[1] * r[2] < 1500 * 1200 / 4 for r in reads), reads
