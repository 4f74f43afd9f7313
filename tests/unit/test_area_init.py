"""``area init`` on tiny rasters and photos: what it writes, and each bad input's one-line message."""

import numpy as np
import pytest
from affine import Affine
from PIL import Image
from rasterio.crs import CRS

from geogan_core.cli import main
from geogan_core.config import PROJECT_ROOT, load_config
from geogan_core.data.area_init import init_area
from geogan_core.errors import ConfigError, CRSMismatchError, DataError
from tests.conftest import write_tif
from tests.unit.test_photos import _jpeg_with_gps


def _rgb(path, west, north, crs=None, res=0.1, n=40):
    crs = crs or CRS.from_epsg(4326)
    data = np.random.default_rng(0).integers(1, 255, (3, n, n), dtype=np.uint8)
    return write_tif(path, data, Affine(res, 0, west, 0, -res, north), crs)


@pytest.fixture
def inputs(tmp_path):
    (tmp_path / "rasters").mkdir()
    _rgb(tmp_path / "rasters" / "a.tif", 10.0, 50.0)
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(6):
        _jpeg_with_gps(photos / f"p{i}.jpg", 48.0 + 0.3 * i, 11.0 + 0.3 * i)
    _jpeg_with_gps(photos / "far.jpg", -33.5, 151.25)  # outside the raster
    lc = np.full((1, 40, 40), 12, np.uint8)
    lc[0, :20] = 13
    write_tif(tmp_path / "lc.tif", lc, Affine(0.1, 0, 10.0, 0, -0.1, 50.0), CRS.from_epsg(4326), nodata=255)
    return tmp_path


def test_writes_a_config_that_loads(inputs, capsys):
    out = inputs / "mine.toml"
    assert main(["area", "init", "--name", "mine", "--overhead", str(inputs / "rasters"), "--photos",
                 str(inputs / "photos"), "--landcover", str(inputs / "lc.tif"), "--urban-classes", "13",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "7 found, 6 kept" in printed and "1 outside every raster" in printed
    area = load_config(out)
    assert area.name == "mine" and area.layers[0].kind == "rgb" and area.photos.views_per_image == 1
    assert area.patch.size_px == 32 and 9000 < area.patch.res_m < 12000  # 0.1 degree at 48 N
    assert area.checkpoints_dir == PROJECT_ROOT / "checkpoints" / "mine"
    assert area.landcover.groups == {"urban": (13,)}
    assert "# a.tif: EPSG:4326" in out.read_text()
    assert len(out.with_name("mine.photos.csv").read_text().splitlines()) == 7


def test_without_landcover_the_land_cover_commands_say_what_they_need(inputs, capsys):
    out = inputs / "nolc.toml"
    report = init_area("nolc", [inputs / "rasters"], inputs / "photos", out)
    assert any("no --landcover" in n for n in report.notes)
    area = load_config(out)
    assert area.landcover.path is None
    assert main(["evaluate", "--config", str(out), "--json", str(inputs / "e.json")]) == 2
    assert "needs a land-cover raster" in capsys.readouterr().err
    assert main(["data", "summary", "--config", str(out), "--json"]) == 0


def test_bad_inputs_get_one_line_and_nothing_written(inputs):
    out = inputs / "bad.toml"
    write_tif(inputs / "nocrs.tif", np.ones((1, 4, 4), np.uint8), Affine.identity(), None)
    with pytest.raises(CRSMismatchError, match="no CRS or no geotransform"):
        init_area("x", [inputs / "nocrs.tif"], inputs / "photos", out)
    _rgb(inputs / "far.tif", -120.0, 40.0)
    with pytest.raises(ConfigError, match="do not overlap"):
        init_area("x", [inputs / "rasters" / "a.tif", inputs / "far.tif"], inputs / "photos", out)
    nogps = inputs / "nogps"
    nogps.mkdir()
    Image.new("RGB", (8, 8)).save(nogps / "a.jpg")
    with pytest.raises(DataError, match="has EXIF GPS tags; give a CSV"):
        init_area("x", [inputs / "rasters"], nogps, out)
    with pytest.raises(ConfigError, match=r"\[7\] are not in lc.tif"):
        init_area("x", [inputs / "rasters"], inputs / "photos", out, landcover=inputs / "lc.tif", urban_classes=[7])
    with pytest.raises(ConfigError, match="--name"):
        init_area("../x", [inputs / "rasters"], inputs / "photos", out)
    with pytest.raises(DataError, match="none of the"):
        init_area("x", [inputs / "far.tif"], inputs / "photos", out)
    assert not out.exists() and not inputs.joinpath("bad.photos.csv").exists()


def test_rasters_in_other_crss_are_fine(inputs):
    _rgb(inputs / "rasters" / "b_3857.tif", 1_200_000.0, 6_400_000.0, CRS.from_epsg(3857), res=12_000.0)
    report = init_area("two", [inputs / "rasters"], inputs / "photos", inputs / "two.toml")
    assert [r.crs for r in report.rasters] == ["EPSG:4326", "EPSG:3857"]
    assert len(load_config(inputs / "two.toml").layers) == 2
