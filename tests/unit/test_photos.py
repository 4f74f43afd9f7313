import logging

import numpy as np
import pytest
from PIL import Image

from geogan_core.data.photos import exif_latlon, load_views, read_photo_table
from geogan_core.errors import DataError, DataNotFoundError


def _jpeg_with_gps(path, lat, lon, color=(10, 200, 30), size=(40, 20)):
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    gps = {1: "N" if lat >= 0 else "S", 2: (abs(int(lat)), int(abs(lat) % 1 * 60), 0.0),
           3: "E" if lon >= 0 else "W", 4: (abs(int(lon)), int(abs(lon) % 1 * 60), 0.0)}
    exif[0x8825] = gps
    img.save(path, exif=exif)


class TestPhotoTable:
    def test_skips_bad_rows_with_reasons(self, tiny_area):
        table = read_photo_table(tiny_area.photos.csv)
        assert len(table.records) == 17  # 16 places + the corrupt jpeg (decoded later)
        reasons = " | ".join(r for _, r in table.skipped)
        assert "missing file" in reasons and "no lat/lon and no EXIF GPS" in reasons and "latitude 95" in reasons
        assert table.records[0].pano_id == "pano0" and table.records[0].extra["query"] == "test place 0"

    def test_one_summary_warning(self, tiny_area, caplog):
        table = read_photo_table(tiny_area.photos.csv)
        with caplog.at_level(logging.WARNING):
            table.warn_skipped("photos.csv")
        assert len(caplog.records) == 1 and "skipped 3 row(s)" in caplog.text

    def test_exif_fallback(self, tmp_path):
        _jpeg_with_gps(tmp_path / "a.jpg", -33.5, 151.25)
        (tmp_path / "p.csv").write_text("image,lat,lon\na.jpg,,\n")
        rec = read_photo_table(tmp_path / "p.csv").records[0]
        assert rec.lat == pytest.approx(-33.5) and rec.lon == pytest.approx(151.25)
        assert exif_latlon(tmp_path / "a.jpg") is not None

    def test_missing_csv_and_column(self, tmp_path):
        with pytest.raises(DataNotFoundError):
            read_photo_table(tmp_path / "none.csv")
        (tmp_path / "x.csv").write_text("path,lat,lon\n")
        with pytest.raises(DataError, match="'image' column"):
            read_photo_table(tmp_path / "x.csv")


class TestLoadViews:
    def test_panorama_split_keeps_heading_order(self, tmp_path):
        strip = np.zeros((16, 64, 3), np.uint8)
        for k in range(4):
            strip[:, k * 16:(k + 1) * 16] = k * 60
        Image.fromarray(strip).save(tmp_path / "s.png")
        views = load_views(tmp_path / "s.png", 4, 8)
        assert views.shape == (4, 8, 8, 3)
        assert [round(float(v.mean())) for v in views] == [0, 60, 120, 180]

    def test_single_photo_centre_crop(self, tmp_path):
        img = np.zeros((20, 40, 3), np.uint8)
        img[:, 10:30] = 255
        Image.fromarray(img).save(tmp_path / "w.png")
        assert load_views(tmp_path / "w.png", 1, 10).min() > 200

    def test_a_photo_tagged_rotated_is_shown_upright(self, tmp_path):
        # stored landscape (top half red, bottom half blue); EXIF orientation 6: turn 90 degrees clockwise to view,
        # so upright it is a portrait photo whose left half is blue and right half red
        img = np.zeros((20, 40, 3), np.uint8)
        img[:10] = (255, 0, 0)
        img[10:] = (0, 0, 255)
        exif = Image.Exif()
        exif[0x0112] = 6
        Image.fromarray(img).save(tmp_path / "r.jpg", exif=exif, quality=95)
        (view,) = load_views(tmp_path / "r.jpg", 1, 20)
        assert view[:, :8, 2].mean() > 200 and view[:, :8, 0].mean() < 60  # left: blue
        assert view[:, -8:, 0].mean() > 200 and view[:, -8:, 2].mean() < 60  # right: red

    def test_portrait_photo_centre_crop(self, tmp_path):
        img = np.zeros((40, 20, 3), np.uint8)
        img[10:30] = 255
        Image.fromarray(img).save(tmp_path / "p.png")
        assert load_views(tmp_path / "p.png", 1, 10).min() > 200

    def test_corrupt(self, tmp_path):
        (tmp_path / "c.jpg").write_bytes(b"\xff\xd8broken")
        with pytest.raises(DataError, match="c.jpg"):
            load_views(tmp_path / "c.jpg", 4, 8)
