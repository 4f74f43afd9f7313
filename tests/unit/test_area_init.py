"""``area init`` on tiny rasters and photos: what it writes, and each bad input's one-line message."""

import numpy as np
import pytest
from affine import Affine
from PIL import Image
from rasterio.crs import CRS

from geogan_core.cli import main
from geogan_core.config import PROJECT_ROOT, load_config
from geogan_core.data.area_init import init_area
from geogan_core.data.photos import read_photo_table
from geogan_core.data.splits import choose_batch, make_split
from geogan_core.errors import ConfigError, CRSMismatchError, DataError, DataNotFoundError
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
    for i in range(20):  # a 5 x 4 grid over the raster, about 400 x 270 km
        _jpeg_with_gps(photos / f"p{i}.jpg", 46.5 + 0.8 * (i % 4), 10.5 + 0.7 * (i // 4))
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
    assert "21 found, 20 kept" in printed and "1 outside every raster" in printed
    area = load_config(out)
    assert area.name == "mine" and area.layers[0].kind == "rgb" and area.photos.views_per_image == 1
    assert area.patch.size_px == 32 and 9000 < area.patch.res_m < 12000  # 0.1 degree at 48 N
    assert area.checkpoints_dir == PROJECT_ROOT / "checkpoints" / "mine"
    assert area.landcover.groups == {"urban": (13,)}
    assert "# a.tif: EPSG:4326" in out.read_text()
    assert len(out.with_name("mine.photos.csv").read_text().splitlines()) == 21


def test_the_split_and_batch_it_writes_are_the_ones_data_summary_makes(inputs, capsys):
    out = inputs / "mine.toml"
    report = init_area("mine", [inputs / "rasters"], inputs / "photos", out, views_per_image=4)
    area = load_config(out)
    table = read_photo_table(area.photos.csv)
    lat, lon = np.array([r.lat for r in table.records]), np.array([r.lon for r in table.records])
    split = make_split(area.split, lat, lon, np.array([r.extra["region"] for r in table.records]))
    sides = report.split["sides"]
    for code, name in enumerate(("train", "val", "test")):
        places = sides[name]["places"]
        assert places == (split.codes == code).sum() and sides[name]["views"] == 4 * places
    assert sides["train"]["places"] >= 10 and sides["val"]["places"] >= 2 and sides["test"]["places"] >= 2
    assert report.batch_size == choose_batch(sides["train"]["views"])
    assert f"batch_size = {report.batch_size}" in out.read_text()
    assert report.split["regions"] >= 10 and "region_km" in report.split["location_scale"]
    text = out.read_text()
    assert "# split: train" in text and f"train {sides['train']['places']} places" in text


def test_a_small_training_side_gets_a_warning_with_what_to_do(inputs):
    report = init_area("small", [inputs / "rasters"], inputs / "photos", inputs / "small.toml")
    assert report.split["sides"]["train"]["views"] < 20
    (warning,) = [n for n in report.notes if n.startswith("warning:")]
    assert "training views" in warning and "add photos" in warning


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


def test_bad_photo_folders_get_one_line_and_nothing_written(inputs):
    out = inputs / "bad.toml"
    (inputs / "few").mkdir()
    for i in range(2):
        _jpeg_with_gps(inputs / "few" / f"f{i}.jpg", 47.0 + i, 11.0 + i)
    with pytest.raises(DataError, match=r"only 2 usable photo\(s\) of the 2 found .* a split needs at least 3 places"):
        init_area("x", [inputs / "rasters"], inputs / "few", out)
    (inputs / "one_place").mkdir()
    for i in range(8):  # different photos, one GPS position
        _jpeg_with_gps(inputs / "one_place" / f"o{i}.jpg", 47.5, 11.5, color=(30 * i, 0, 0))
    with pytest.raises(ConfigError, match=r"all 8 photos lie within about .* km of each other.*add photos taken"):
        init_area("x", [inputs / "rasters"], inputs / "one_place", out)
    (inputs / "dups").mkdir()
    for i in range(5):  # one photo under five names
        _jpeg_with_gps(inputs / "dups" / f"d{i}.jpg", 47.5, 11.5)
    with pytest.raises(DataError, match=r"only 1 usable photo\(s\) of the 5 found \(skipped: 4 duplicate photo\)"):
        init_area("x", [inputs / "rasters"], inputs / "dups", out)
    (inputs / "far").mkdir()
    _jpeg_with_gps(inputs / "far" / "a.jpg", -33.5, 151.25)
    with pytest.raises(DataError, match=r"none of the 1 photos lies inside the rasters .*photos span lat -33.5"):
        init_area("x", [inputs / "rasters"], inputs / "far", out)
    (inputs / "bad.csv").write_text("image,lat,lon\nmissing.jpg,47.5,11.5\n")
    with pytest.raises(DataError, match=r"no usable photo in .*bad.csv \(skipped: 1 missing file\)"):
        init_area("x", [inputs / "rasters"], inputs / "bad.csv", out)
    (inputs / "empty").mkdir()
    (inputs / "empty" / "notes.txt").write_text("no photos here")
    with pytest.raises(DataNotFoundError, match=r"no photo .* in folder .*; put the geotagged JPEGs there"):
        init_area("x", [inputs / "rasters"], inputs / "empty", out)
    assert not out.exists() and not inputs.joinpath("bad.photos.csv").exists()


def test_duplicates_under_other_names_are_named(inputs):
    (inputs / "photos" / "p3_copy.jpg").write_bytes((inputs / "photos" / "p3.jpg").read_bytes())
    report = init_area("d", [inputs / "rasters"], inputs / "photos", inputs / "d.toml")
    assert report.skipped["duplicate photo"] == 1 and report.photos_kept == 20
    assert "p3_copy.jpg is the same photo as p3.jpg: kept once" in report.notes


def test_rasters_in_other_crss_are_fine(inputs):
    _rgb(inputs / "rasters" / "b_3857.tif", 1_200_000.0, 6_400_000.0, CRS.from_epsg(3857), res=12_000.0)
    report = init_area("two", [inputs / "rasters"], inputs / "photos", inputs / "two.toml")
    assert [r.crs for r in report.rasters] == ["EPSG:4326", "EPSG:3857"]
    assert len(load_config(inputs / "two.toml").layers) == 2
