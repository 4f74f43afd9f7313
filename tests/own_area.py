"""Own study areas as a user would bring them (shared by the tests).

``build_own_area``: from the demo data, western and central Europe: the summer true colour in
EPSG:3035 with a nodata border, night lights in Web Mercator, the MODIS land cover in UTM 32N, and
the photos as separate JPEG files with only EXIF GPS tags (no CSV).

``build_synthetic_area``: no demo data at all: a seeded area of any size and scale (a city, a
country, a continent) with overhead rasters in EPSG:3035 and Web Mercator, a land cover in a
geographic CRS on the Clarke 1866 ellipsoid, and panorama strips or single photos (several sizes
and aspect ratios, portrait ones, some stored rotated with an EXIF orientation tag) whose only
coordinates are their EXIF GPS tags.
"""

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from PIL import Image
from rasterio.crs import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geogan_core.config import load_config

ROOT = Path(__file__).resolve().parents[1]
MAP_PAGE = ROOT / "pages" / "1_Map.py"
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


def build_own_area(shared_data: Path, root: Path) -> int:
    """Write the user's folder under ``root``: rasters/ (two CRSs), landcover_utm32.tif (a third),
    photos/ (EXIF GPS only, one without, one duplicate); returns the number of usable photos."""
    (root / "rasters").mkdir(parents=True)
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
    return n


@dataclass(frozen=True)
class Scale:
    """One synthetic area: how many photos, where, how far apart, and at what ground resolution."""

    name: str
    n_photos: int
    lat: float  # centre
    lon: float
    spread_km: float  # photos lie within about this distance across
    res_m: float  # overhead pixel size
    single: bool  # single photos (views_per_image 1) rather than panorama strips (4)


def _exif_gps(lat: float, lon: float) -> Image.Exif:
    exif = Image.Exif()
    exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)), 3: "E" if lon >= 0 else "W", 4: _dms(abs(lon))}
    return exif


# (width, height) of the single photos: landscape, portrait and square, in turn
PHOTO_SIZES = ((96, 64), (64, 96), (80, 80), (120, 68), (60, 90))
ROTATED = 6  # EXIF orientation: stored turned a quarter, shown upright after a quarter turn clockwise


def _scene(rng: np.random.Generator, urban: bool, w: int, h: int) -> np.ndarray:
    """A ground view: sky over grey blocks (urban) or green fields (rural), with a little noise."""
    img = np.empty((h, w, 3), np.float32)
    horizon = int(h * rng.uniform(0.35, 0.55))
    img[:horizon] = (120, 160, 230)
    img[horizon:] = (110, 110, 115) if urban else (70, 140, 60)
    if urban:
        for _ in range(3):
            x0, top = int(rng.integers(0, max(w - 12, 1))), int(horizon * rng.uniform(0.2, 0.8))
            img[top:horizon + 2, x0:x0 + int(rng.integers(6, 14))] = rng.uniform(60, 200)
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def build_synthetic_area(root: Path, scale: Scale, seed: int = 0) -> int:
    """Write a user's folder under ``root`` for ``scale``: rasters/ (EPSG:3035 RGB, Web Mercator gray),
    landcover.tif (classes 12 rural, 13 urban; geographic on the Clarke 1866 ellipsoid) and photos/ (JPEGs
    with EXIF GPS only; single photos in :data:`PHOTO_SIZES`, every fourth stored rotated, or 4-view
    panorama strips); returns the number of photos."""
    rng = np.random.default_rng(seed)
    km_lat = 111.32
    km_lon = km_lat * math.cos(math.radians(scale.lat))
    half_lat, half_lon = scale.spread_km / 2 / km_lat, scale.spread_km / 2 / km_lon
    margin_lat, margin_lon = half_lat * 0.25 + 0.05, half_lon * 0.25 + 0.05
    west, east = scale.lon - half_lon - margin_lon, scale.lon + half_lon + margin_lon
    south, north = scale.lat - half_lat - margin_lat, scale.lat + half_lat + margin_lat
    # land cover: a coarse grid of urban (13) and rural (12) cells, in degrees on Clarke 1866
    n_lc = 48
    lc = np.where(rng.random((1, n_lc, n_lc)) < 0.35, 13, 12).astype(np.uint8)
    lc_t = Affine((east - west) / n_lc, 0, west, 0, -(north - south) / n_lc, north)
    with rasterio.open(root / "landcover.tif", "w", driver="GTiff", width=n_lc, height=n_lc, count=1, dtype="uint8",
                       crs=CRS.from_proj4("+proj=longlat +ellps=clrk66 +no_defs"), transform=lc_t, nodata=255) as f:
        f.write(lc)
    # overhead: urban cells bright and grey, rural ones green, then warped into two projected CRSs
    up = 4
    rgb = np.where(np.repeat(np.repeat(lc, up, 1), up, 2) == 13, 1, 0).astype(np.float32)
    rgb = np.concatenate([170 * rgb + 40, 150 - 40 * rgb, 170 * rgb + 30])
    rgb = np.clip(rgb + rng.normal(0, 10, rgb.shape), 1, 255).astype(np.uint8)
    t = Affine((east - west) / (n_lc * up), 0, west, 0, -(north - south) / (n_lc * up), north)
    (root / "rasters").mkdir(parents=True)
    _warp(rgb, t, "EPSG:3035", scale.res_m, root / "rasters" / "true_colour_laea.tif", 0, Resampling.bilinear)
    _warp(rgb[1:2], t, "EPSG:3857", scale.res_m * 1.2, root / "rasters" / "green_merc.tif", 0, Resampling.bilinear)
    photos = root / "photos"
    photos.mkdir()
    for i in range(scale.n_photos):
        lat = scale.lat + rng.uniform(-half_lat, half_lat)
        lon = scale.lon + rng.uniform(-half_lon, half_lon)
        r = int((north - lat) / (north - south) * n_lc)
        c = int((lon - west) / (east - west) * n_lc)
        urban = bool(lc[0, min(r, n_lc - 1), min(c, n_lc - 1)] == 13)
        exif = _exif_gps(lat, lon)
        if scale.single:
            w, h = PHOTO_SIZES[i % len(PHOTO_SIZES)]
            img = Image.fromarray(_scene(rng, urban, w, h))
            if i % 4 == 3:  # stored a quarter turn anticlockwise; the tag says to turn it back
                img = img.transpose(Image.Transpose.ROTATE_90)
                exif[0x0112] = ROTATED
        else:
            img = Image.fromarray(np.concatenate([_scene(rng, urban, 64, 64) for _ in range(4)], axis=1))
        img.save(photos / f"IMG_{i:04d}.jpg", exif=exif, quality=85)
    return scale.n_photos


def map_page_after_a_click(config: Path, monkeypatch, lat: float, lon: float):
    """The Map page (AppTest) on the study area ``config`` after a click at ``lat, lon``; it must show
    generated views without an exception."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import ui.click_map

    def fake_click_map(drawing, marker, center, height, key, on_change):
        value = {"lat": lat, "lng": lon}
        if st.session_state.get(key) != value:
            st.session_state[key] = value
            on_change()
            st.rerun()
        return value

    monkeypatch.setattr(ui.click_map, "click_map", fake_click_map)
    monkeypatch.setenv("GEOGAN_CONFIG", str(config))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(MAP_PAGE), default_timeout=240).run()
        assert not at.exception, at.exception
        assert any("generated ground views" in m.value for m in at.markdown)
        return at
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
