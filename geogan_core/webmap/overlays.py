"""Map overlays pre-rendered once into the app's static folder, already in Web Mercator.

Leaflet's ``ImageOverlay`` stretches an image linearly between its corner coordinates on
screen, so a globe image must be resampled to Web Mercator first. Doing that once and
serving the PNG by URL keeps the map HTML small (no base64 images) and every rerun cheap.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geogan_core.config import PROJECT_ROOT, StudyArea
from geogan_core.fileio import atomic_write_text, file_digest
from geogan_core.geo.raster import Raster
from geogan_core.geo.stack import LandCover, OverheadStack, layer_images
from geogan_core.imaging import probability_colors, write_png
from geogan_core.progress import ProgressFn, track

MAX_MERCATOR_LAT = 85.0511287798
OVERLAY_VERSION = 1


@dataclass(frozen=True)
class Overlay:
    """A PNG served by URL and the lat/lon box it covers: ``[[south, west], [north, east]]``."""

    name: str
    title: str
    url: str
    bounds: tuple[tuple[float, float], tuple[float, float]]


GLOBE = ((-MAX_MERCATOR_LAT, -180.0), (MAX_MERCATOR_LAT, 180.0))


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _mercator_grid(width: int, height: int, rows: slice,
                   bounds: tuple[tuple[float, float], tuple[float, float]] = GLOBE) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre lon/lat of a Web Mercator image covering ``bounds`` (``((s, w), (n, e))``)."""
    (south, west), (north, east) = bounds
    lon = west + (np.arange(width) + 0.5) * (east - west) / width
    y_n, y_s = _merc_y(north), _merc_y(south)
    y = y_n - (np.arange(height)[rows] + 0.5) * (y_n - y_s) / height
    return np.meshgrid(lon, np.degrees(np.arctan(np.sinh(y))))


def _clip_bounds(bounds: tuple[tuple[float, float], tuple[float, float]]) -> tuple[tuple[float, float],
                                                                                   tuple[float, float]]:
    (s, w), (n, e) = bounds
    return (max(s, -MAX_MERCATOR_LAT), max(w, -180.0)), (min(n, MAX_MERCATOR_LAT), min(e, 180.0))


def _mercator_height(bounds: tuple[tuple[float, float], tuple[float, float]], width: int) -> int:
    """Pixel height of a Web Mercator image of ``bounds`` that is ``width`` pixels across (square pixels)."""
    (s, w), (n, e) = bounds
    return int(np.clip(round(width * (_merc_y(n) - _merc_y(s)) / max(math.radians(e - w), 1e-9)), 16, 2 * width))


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def render_overlays(area: StudyArea, static_dir: Path, width: int = 2048,
                    progress: ProgressFn | None = None) -> list[Overlay]:
    """Render each overhead layer and the land cover as Web Mercator PNGs (cached by a key).

    A global area gives square images of the globe; a regional one images of the box its layers
    cover (``OverheadStack.bounds``), so the map shows it at full detail.

    Args:
        area: The study area.
        static_dir: The app's static folder (served at ``/app/static``).
        width: Pixel width of each Mercator image (its height follows the box).
        progress: Optional progress callback.

    Returns:
        One ``Overlay`` per overhead layer, then the land cover (when the area has one).
    """
    key = hashlib.sha1(json.dumps([area.to_dict()["layers"], area.to_dict()["landcover"], width,
                                   OVERLAY_VERSION], sort_keys=True).encode()).hexdigest()[:12]
    folder = Path(static_dir) / "overlays" / f"{area.name}-{key}"
    has_lc = area.landcover.path is not None
    names = [layer.name for layer in area.layers] + (["landcover"] if has_lc else [])
    titles = [layer.title or layer.name for layer in area.layers] + (["Land cover"] if has_lc else [])
    files = {n: f"{n}.png" if n == "landcover" else f"{n}.jpg" for n in names}  # JPEG: 5x smaller
    box = folder / "bounds.json"
    if box.is_file() and all((folder / f).is_file() for f in files.values()):
        bounds = tuple(tuple(b) for b in json.loads(box.read_text()))
        return [Overlay(n, t, f"/app/static/overlays/{folder.name}/{files[n]}", bounds)  # type: ignore[arg-type]
                for n, t in zip(names, titles, strict=True)]
    stack, landcover = OverheadStack(area), LandCover(area.landcover)
    bounds = _clip_bounds(stack.bounds())
    height = _mercator_height(bounds, width)
    chunk = 256
    layers: dict[str, list[np.ndarray]] = {n: [] for n in names}
    palette = np.zeros((256, 4), np.uint8)
    for cls, color in area.landcover.class_colors.items():
        if 0 <= cls < 256 and area.landcover.group_of(cls) is not None:
            palette[cls] = (*_hex_rgb(color), 200)
    for start in track(range(0, height, chunk), -(-height // chunk), "rendering map overlays", progress):
        lons, lats = _mercator_grid(width, height, slice(start, start + chunk), bounds)
        values, _ = stack.sample(lons, lats)
        for name, img in layer_images(values, stack.layer_configs).items():
            layers[name].append(img)
        if has_lc:
            cls = landcover.classes_at(lats.ravel(), lons.ravel()).reshape(lats.shape)
            layers["landcover"].append(palette[np.clip(cls, 0, 255)])
    for name, parts in layers.items():
        write_png(np.concatenate(parts), folder / files[name])
    atomic_write_text(box, json.dumps(bounds))
    return [Overlay(n, t, f"/app/static/overlays/{folder.name}/{files[n]}", bounds)
            for n, t in zip(names, titles, strict=True)]


def dense_overlays(summary: dict[str, Any], static_dir: Path, width: int = 1024) -> list[Overlay]:
    """Dense land-cover maps (``results/dense.json``) as Web Mercator PNG overlays, rendered once each.

    Each covers its GeoTIFF's own box: the globe for the world's maps, the area's box (in its first
    layer's CRS) for a regional area's, at ``width`` pixels across and the height that box has.
    """
    out = []
    for method, info in summary.get("methods", {}).items():
        src = PROJECT_ROOT / info["file"]
        if not src.is_file():
            continue
        raster = Raster.open(src)
        west, south, east, north = raster.bounds_wgs84()
        bounds = _clip_bounds(((south, west), (north, east)))
        height = _mercator_height(bounds, width)
        key = hashlib.sha1(f"{file_digest(src)}|{width}|{bounds}".encode()).hexdigest()[:12]
        path = Path(static_dir) / "overlays" / f"dense-{method}-{key}.png"
        if not path.is_file():
            lons, lats = _mercator_grid(width, height, slice(0, height), bounds)
            values, _ = raster.sample(lons, lats, "nearest")
            write_png(probability_colors(values[0]), path)
        out.append(Overlay(f"dense:{method}", f"Predicted urban probability: {method}",
                           f"/app/static/overlays/{path.name}", bounds))
    return out
