"""An own study area built from the demo data, as a user would bring it (shared by the tests).

Western and central Europe: the summer true colour in EPSG:3035 with a nodata border, night
lights in Web Mercator, the MODIS land cover in UTM 32N, and the photos as separate JPEG files
with only EXIF GPS tags (no CSV).
"""

import csv
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from PIL import Image
from rasterio.crs import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geogan_core.config import load_config

ROOT = Path(__file__).resolve().parents[1]
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
