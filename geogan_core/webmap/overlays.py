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
from geogan_core.fileio import file_digest
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


def _mercator_grid(width: int, height: int, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    lon = -180 + (np.arange(width) + 0.5) * 360 / width
    y = np.arange(height)[rows] + 0.5
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1 - 2 * y / height))))
    return np.meshgrid(lon, lat)


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def render_overlays(area: StudyArea, static_dir: Path, width: int = 2048,
                    progress: ProgressFn | None = None) -> list[Overlay]:
    """Render each overhead layer and the land cover as Web Mercator PNGs (cached by a key).

    Args:
        area: The study area.
        static_dir: The app's static folder (served at ``/app/static``).
        width: Pixel width (and height) of each square Mercator image.
        progress: Optional progress callback.

    Returns:
        One ``Overlay`` per overhead layer, then the land cover.
    """
    key = hashlib.sha1(json.dumps([area.to_dict()["layers"], area.to_dict()["landcover"], width,
                                   OVERLAY_VERSION], sort_keys=True).encode()).hexdigest()[:12]
    folder = Path(static_dir) / "overlays" / f"{area.name}-{key}"
    bounds = ((-MAX_MERCATOR_LAT, -180.0), (MAX_MERCATOR_LAT, 180.0))
    names = [layer.name for layer in area.layers] + ["landcover"]
    titles = [layer.title or layer.name for layer in area.layers] + ["Land cover (MODIS IGBP)"]
    files = {n: f"{n}.png" if n == "landcover" else f"{n}.jpg" for n in names}  # JPEG: 5x smaller
    overlays = [Overlay(n, t, f"/app/static/overlays/{folder.name}/{files[n]}", bounds)
                for n, t in zip(names, titles, strict=True)]
    if all((folder / f).is_file() for f in files.values()):
        return overlays
    stack, landcover = OverheadStack(area), LandCover(area.landcover)
    chunk = 256
    layers: dict[str, list[np.ndarray]] = {n: [] for n in names}
    palette = np.zeros((256, 4), np.uint8)
    for cls, color in area.landcover.class_colors.items():
        if 0 <= cls < 256 and area.landcover.group_of(cls) is not None:
            palette[cls] = (*_hex_rgb(color), 200)
    for start in track(range(0, width, chunk), -(-width // chunk), "rendering map overlays", progress):
        lons, lats = _mercator_grid(width, width, slice(start, start + chunk))
        values, _ = stack.sample(lons, lats)
        for name, img in layer_images(values, stack.layer_configs).items():
            layers[name].append(img)
        cls = landcover.classes_at(lats.ravel(), lons.ravel()).reshape(lats.shape)
        layers["landcover"].append(palette[np.clip(cls, 0, 255)])
    for name, parts in layers.items():
        write_png(np.concatenate(parts), folder / files[name])
    return overlays


def dense_overlays(summary: dict[str, Any], static_dir: Path, width: int = 1024) -> list[Overlay]:
    """Dense land-cover maps (``results/dense.json``) as Web Mercator PNG overlays, rendered once each."""
    out = []
    for method, info in summary.get("methods", {}).items():
        src = PROJECT_ROOT / info["file"]
        if not src.is_file():
            continue
        key = hashlib.sha1(f"{file_digest(src)}|{width}".encode()).hexdigest()[:12]
        path = Path(static_dir) / "overlays" / f"dense-{method}-{key}.png"
        if not path.is_file():
            raster = Raster.open(src)
            lons, lats = _mercator_grid(width, width, slice(0, width))
            values, _ = raster.sample(lons, lats, "nearest")
            write_png(probability_colors(values[0]), path)
        bounds = ((-MAX_MERCATOR_LAT, -180.0), (MAX_MERCATOR_LAT, 180.0))
        out.append(Overlay(f"dense:{method}", f"Predicted urban probability: {method}",
                           f"/app/static/overlays/{path.name}", bounds))
    return out
