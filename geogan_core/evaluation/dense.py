"""Dense land-cover maps: urban probability for every land cell of the study area's grid.

Each method's shipped head (``checkpoints/landcover_heads.pt``) is applied to every land
cell (the land-cover class at the cell centre is not water/nodata); the result is a float32
GeoTIFF (NaN off land; tiled, compressed, with overviews; WGS84 for a global area, the area's
own CRS and box otherwise) cached under the study area's cache folder, and scored against the
land cover over all land cells (balanced accuracy: urban cells are rare).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from geogan_core.config import PROJECT_ROOT
from geogan_core.errors import CheckpointError, DataNotFoundError
from geogan_core.fileio import atomic_write_text, file_digest
from geogan_core.geo.raster import WGS84, Raster, atomic_write_geotiff, warp_transform
from geogan_core.imaging import probability_colors
from geogan_core.inference.generate import Explorer
from geogan_core.inference.votes import idw, overhead_features
from geogan_core.models.extract import discriminator_features
from geogan_core.models.noise import latents
from geogan_core.progress import ProgressFn, track

DENSE_METHODS = ("interpolated_features", "cgan_features", "overhead_only")


@dataclass
class DenseGrid:
    """The cells of a dense map: the land cells' centres and labels, and the grid they sit in."""

    lat: np.ndarray
    lon: np.ndarray
    label: np.ndarray  # land-cover group per land cell
    index: np.ndarray  # flat index of each land cell in the (h, w) grid
    shape: tuple[int, int]
    transform: Affine
    crs: CRS


def land_cells(explorer: Explorer, res_deg: float) -> DenseGrid:
    """The land cells (a land-cover group at the centre) of the study area's grid.

    A global area gets a WGS84 grid of ``res_deg`` degrees; a regional one a grid in its first
    layer's own CRS over that layer's box, with cells of about ``res_deg`` degrees (``res_deg *
    111.32`` km in a projected CRS), so the GeoTIFFs open in place in QGIS or GDAL.
    """
    stack = explorer.stack
    ref = stack.reference
    if ref.is_global_lonlat:
        crs, cell, (left, bottom, right, top) = WGS84, res_deg, (-180.0, -90.0, 180.0, 90.0)
    else:
        from rasterio.transform import array_bounds

        crs = ref.crs
        cell = res_deg if crs.is_geographic else res_deg * 111_320.0
        left, bottom, right, top = array_bounds(ref.shape[1], ref.shape[2], ref.transform)
    h, w = max(1, int(round((top - bottom) / cell))), max(1, int(round((right - left) / cell)))
    gx, gy = np.meshgrid(left + (np.arange(w) + 0.5) * cell, top - (np.arange(h) + 0.5) * cell)
    if crs == WGS84:
        glon, glat = gx.ravel(), gy.ravel()
    else:
        tx, ty = warp_transform(crs, WGS84, gx.ravel().tolist(), gy.ravel().tolist())
        glon, glat = np.asarray(tx), np.asarray(ty)
    cls = explorer.landcover.classes_at(glat, glon)
    cfg = explorer.area.landcover
    label = np.array([cfg.group_names.index(g) if (g := cfg.group_of(int(c))) else -1 for c in cls])
    land = np.flatnonzero(label >= 0)
    return DenseGrid(glat[land], glon[land], label[land], land, (h, w), Affine(cell, 0, left, 0, -cell, top), crs)


def _key(explorer: Explorer, res_deg: float, n_views: int) -> str:
    heads = explorer.checkpoints / "landcover_heads.pt"
    parts = [explorer.data.key, res_deg, n_views, file_digest(heads) if heads.exists() else 0,
             [explorer.gan(n).sha256 for n in explorer.available()]]
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:12]


def dense_maps(explorer: Explorer, res_deg: float = 0.5, n_views: int = 1, chunk: int = 2048,
               progress: ProgressFn | None = None, rebuild: bool = False, folder: Path | None = None) -> dict[str, Any]:
    """Compute (or read from cache) the dense maps and their accuracy against MODIS.

    GeoTIFFs go to ``folder`` (default: the study area's cache); paths inside the project are
    recorded relative to it, so a committed ``results/`` folder works from any clone.

    Returns:
        ``{"methods": {name: {"file", "balanced_accuracy", "accuracy", "urban_recall", ...}}, ...}``

    Raises:
        CheckpointError: If no land-cover heads are shipped.
    """
    from sklearn.metrics import balanced_accuracy_score  # only to score: the Baselines page reads stored maps

    heads = explorer.heads
    if heads is None:
        raise CheckpointError("no land-cover heads in checkpoints/; run `python -m geogan_core evaluate "
                              "--json results/evaluate.json --save-heads` first")
    key = _key(explorer, res_deg, n_views)
    folder = Path(folder) if folder else explorer.area.cache_dir / "dense"
    summary_path = folder / f"summary-{key}.json"
    if summary_path.is_file() and not rebuild:
        return dict(json.loads(summary_path.read_text()))
    t0 = time.time()
    cells = land_cells(explorer, res_deg)
    lat, lon, label, (h, w) = cells.lat, cells.lon, cells.label, cells.shape
    methods = [m for m in DENSE_METHODS if m in heads.heads]
    probs = {m: np.zeros(len(lat), np.float32) for m in methods}
    gan = explorer.gan("modern") if "cgan_features" in methods else None
    for s in track(range(0, len(lat), chunk), -(-len(lat) // chunk), "dense land-cover maps", progress):
        la, lo = lat[s: s + chunk], lon[s: s + chunk]
        patches = explorer.stack.patches(la, lo)
        feats: dict[str, np.ndarray] = {"overhead_only": overhead_features(patches)}
        if "interpolated_features" in methods:
            b = heads.banks["interpolated_features"]
            feats["interpolated_features"] = idw(la, lo, b["lat"], b["lon"], b["feats"], heads.k)
        if gan is not None:
            z = latents(len(la) * n_views, s, gan.G.z_dim)
            reps = np.repeat(patches, n_views, axis=0)
            imgs, _ = explorer.render("modern", z, reps)
            feats["cgan_features"] = discriminator_features(gan.D, imgs, reps).reshape(len(la), n_views, -1).mean(1)
        urban = heads.classes.index("urban") if "urban" in heads.classes else 1
        for m in methods:
            probs[m][s: s + chunk] = heads.proba(m, feats[m])[:, urban]
    out: dict[str, Any] = {"res_deg": res_deg, "crs": cells.crs.to_string(), "land_cells": int(len(lat)),
                           "n_views": n_views, "urban_cells": int((label == urban).sum()), "methods": {}}
    for m in methods:
        grid = np.full(h * w, np.nan, np.float32)
        grid[cells.index] = probs[m]
        path = folder / f"{m}-{key}.tif"
        atomic_write_geotiff(path, grid.reshape(1, h, w), cells.transform, cells.crs, nodata=float("nan"))
        pred = (probs[m] >= 0.5).astype(int)
        truth = (label == urban).astype(int)
        out["methods"][m] = {"file": _relative(path),
                             "balanced_accuracy": round(float(balanced_accuracy_score(truth, pred)), 4),
                             "accuracy": round(float((pred == truth).mean()), 4),
                             "urban_recall": _mean(pred[truth == 1]), "rural_recall": _mean(1 - pred[truth == 0])}
    out["seconds"] = round(time.time() - t0, 1)
    atomic_write_text(summary_path, json.dumps(out, indent=2))
    return out


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _mean(x: np.ndarray) -> float | None:
    return round(float(x.mean()), 4) if len(x) else None


def dense_map_image(path: str | Path) -> np.ndarray:
    """An RGB picture of a dense map (rural green to urban red; grey off land).

    Raises:
        DataNotFoundError: If the GeoTIFF is missing (rebuild it with ``python -m geogan_core dense``).
    """
    full = PROJECT_ROOT / path
    if not full.is_file():
        raise DataNotFoundError(f"dense map {full} not found; rebuild it with `python -m geogan_core dense "
                                f"--json results/dense.json --rebuild`")
    rgba = probability_colors(Raster.open(full).data[0])
    rgb = rgba[..., :3].copy()
    rgb[rgba[..., 3] == 0] = 60  # grey off land
    return rgb
