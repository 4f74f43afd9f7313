"""An own study area end to end, built from the demo data in a temporary folder.

Western and central Europe as a user would bring it: the summer true colour in EPSG:3035 with a
nodata border, night lights in Web Mercator, the MODIS land cover in UTM 32N, and the photos as
separate JPEG files with only EXIF GPS tags (no CSV). Then the five commands: ``area init``,
``data summary``, ``train``, ``export``, ``generate``; and the Map page on that area (a click
generates views).
"""

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image
from rasterio.crs import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject
from streamlit.testing.v1 import AppTest

from geogan_core.cli import main
from geogan_core.config import load_config

ROOT = Path(__file__).resolve().parents[2]
WEST, SOUTH, EAST, NORTH = -5.0, 40.0, 20.0, 56.0


def _globe_crop(path: Path, mode: str) -> tuple[np.ndarray, Affine]:
    """The region of a plate carree globe image, bands first, with its EPSG:4326 transform."""
    with Image.open(path) as im:
        arr = np.asarray(im.convert(mode))
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    h, w = arr.shape[1:]
    c0, c1 = int((WEST + 180) / 360 * w), int((EAST + 180) / 360 * w)
    r0, r1 = int((90 - NORTH) / 180 * h), int((90 - SOUTH) / 180 * h)
    return arr[:, r0:r1, c0:c1].copy(), Affine(360 / w, 0, -180 + c0 * 360 / w, 0, -180 / h, 90 - r0 * 180 / h)


def _warp(arr: np.ndarray, transform: Affine, dst_crs: str, res: float, out: Path, nodata: int,
          resampling: Resampling, border: int = 0) -> Path:
    """Reproject ``arr`` into ``dst_crs`` at ``res`` units per pixel and write a GeoTIFF (nodata border)."""
    src_crs = CRS.from_epsg(4326)
    h, w = arr.shape[1:]
    left, top = transform.c, transform.f
    right, bottom = left + w * transform.a, top + h * transform.e
    dst_t, dw, dh = calculate_default_transform(src_crs, dst_crs, w, h, left, bottom, right, top, resolution=res)
    dst = np.full((arr.shape[0], dh, dw), nodata, arr.dtype)
    reproject(arr, dst, src_transform=transform, src_crs=src_crs, dst_transform=dst_t, dst_crs=dst_crs,
              resampling=resampling, src_nodata=None, dst_nodata=nodata)
    if border:
        dst[:, :border], dst[:, -border:], dst[:, :, :border], dst[:, :, -border:] = nodata, nodata, nodata, nodata
    with rasterio.open(out, "w", driver="GTiff", width=dw, height=dh, count=dst.shape[0], dtype=dst.dtype,
                       crs=dst_crs, transform=dst_t, nodata=nodata) as f:
        f.write(dst)
    return out


def _dms(v: float) -> tuple[float, float, float]:
    d = int(v)
    m = int((v - d) * 60)
    return float(d), float(m), round(((v - d) * 60 - m) * 60, 4)


@pytest.fixture(scope="module")
def own_area(shared_data, tmp_path_factory):
    """The user's folder: rasters/ (two CRSs), landcover.tif (a third), photos/ (EXIF GPS only)."""
    root = tmp_path_factory.mktemp("europe")
    (root / "rasters").mkdir()
    overhead = shared_data / "world" / "overhead"
    summer, t = _globe_crop(overhead / "blue_marble_summer_4096x2048.jpg", "RGB")
    summer = np.maximum(summer, 1)  # 0 is nodata
    _warp(summer, t, "EPSG:3035", 8000.0, root / "rasters" / "summer_laea.tif", 0, Resampling.bilinear, border=4)
    lights, t = _globe_crop(overhead / "night_lights_5400x2700.jpg", "L")
    _warp(lights, t, "EPSG:3857", 9000.0, root / "rasters" / "night_lights_merc.tif", 255, Resampling.bilinear)
    area = load_config(ROOT / "configs" / "world.toml")
    with rasterio.open(area.landcover.path) as src:
        win = rasterio.windows.from_bounds(WEST, SOUTH, EAST, NORTH, src.transform).round_offsets().round_lengths()
        lc, lc_t = src.read(window=win), src.window_transform(win)
    _warp(lc, lc_t, "EPSG:32632", 5000.0, root / "landcover_utm32.tif", 255, Resampling.nearest)
    photos = root / "photos"
    photos.mkdir()
    table = shared_data / "world" / "streetview" / "metadata.csv"
    n = 0
    for row in csv.DictReader(table.open()):
        lat, lon = float(row["lat"]), float(row["lon"])
        if WEST + 1 <= lon <= EAST - 1 and SOUTH + 1 <= lat <= NORTH - 1:
            with Image.open(table.parent / row["image"]) as im:
                exif = Image.Exif()
                exif[0x8825] = {1: "N", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(abs(lon))}
                im.convert("RGB").save(photos / f"{row['pano_id']}.jpg", exif=exif, quality=90)
            n += 1
    Image.new("RGB", (64, 64), (90, 90, 90)).save(photos / "no_gps.jpg")  # a photo without EXIF GPS
    first = sorted(photos.glob("*.jpg"))[0]
    (photos / "copy.jpg").write_bytes(first.read_bytes())  # the same photo twice
    return root, n


def _run(capsys, *argv) -> tuple[str, float]:
    t0 = time.time()
    rc = main(list(argv))
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out, time.time() - t0


def test_five_commands_then_the_map_page(own_area, tmp_path, capsys, monkeypatch):
    root, n_photos = own_area
    cfg = tmp_path / "europe.toml"
    ckpt = tmp_path / "checkpoints"
    monkeypatch.setenv("GEOGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(ckpt))
    times = {}
    out, times["area init"] = _run(capsys, "area", "init", "--name", "europe", "--overhead", str(root / "rasters"),
                                   "--photos", str(root / "photos"), "--landcover", str(root / "landcover_utm32.tif"),
                                   "--urban-classes", "13", "--views-per-image", "4", "--out", str(cfg))
    assert "EPSG:3035" in out and "EPSG:3857" in out and "EPSG:32632" in out
    assert f"{n_photos + 2} found, {n_photos} kept" in out
    assert "1 no EXIF GPS" in out and "1 duplicate photo" in out
    area = load_config(cfg)
    assert area.name == "europe" and [layer.kind for layer in area.layers] == ["gray", "rgb"]
    assert 7000 < area.patch.res_m < 9000 and area.landcover.groups == {"urban": (13,)}
    assert area.checkpoints_dir == ROOT / "checkpoints" / "europe"  # GEOGAN_CHECKPOINTS overrides it here

    out, times["data summary"] = _run(capsys, "data", "summary", "--config", str(cfg), "--json")
    summary = json.loads(out)
    assert summary["panoramas"] == n_photos and summary["views"] == 4 * n_photos
    assert set(summary["label_counts"]) == {"rural", "urban"}

    out, times["train"] = _run(capsys, "train", "cgan", "--config", str(cfg), "--max-steps", "2", "--width", "8",
                               "--batch-size", "8", "--device", "cpu", "--run-dir", str(tmp_path / "runs" / "modern"))
    out, times["export"] = _run(capsys, "export", "modern", "--config", str(cfg), "--runs", str(tmp_path / "runs"))
    assert (ckpt / "cgan-modern.pt").is_file() and "modern: cgan-modern.pt" in out
    grid = tmp_path / "grid.png"
    out, times["generate"] = _run(capsys, "generate", "--config", str(cfg), "--lat", "48.85", "--lon", "2.35",
                                  "-n", "4", "--out", str(grid), "--json")
    assert json.loads(out)["n"] == 4 and Image.open(grid).size[0] > 64
    print(json.dumps({k: round(v, 2) for k, v in times.items()}))

    # the world's checkpoints are refused here, naming both areas
    rc = main(["generate", "--config", str(cfg), "--lat", "48.85", "--lon", "2.35", "--checkpoints",
               str(ROOT / "checkpoints"), "--out", str(tmp_path / "x.png")])
    assert rc == 2 and "trained on study area 'world', not 'europe'" in capsys.readouterr().err

    # the Map page on this area: a click generates views
    import streamlit as st

    import ui.click_map

    def fake_click_map(drawing, marker, center, height, key, on_change):
        value = {"lat": 48.85, "lng": 2.35}
        if st.session_state.get(key) != value:
            st.session_state[key] = value
            on_change()
            st.rerun()
        return value

    monkeypatch.setattr(ui.click_map, "click_map", fake_click_map)
    monkeypatch.setenv("GEOGAN_CONFIG", str(cfg))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "1_Map.py"), default_timeout=240).run()
        assert not at.exception, at.exception
        assert any("generated ground views" in m.value for m in at.markdown)
        images = [img.caption for el in at.get("image") for img in el.proto.imgs]
        assert len(images) >= 2 + 16 and {"night_lights_merc", "summer_laea"} <= set(images), images
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
