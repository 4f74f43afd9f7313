"""Dense land-cover maps: urban probability for every land cell of the study area's grid.

Each method's shipped head (``checkpoints/landcover_heads.pt``) is applied to every land
cell (MODIS class at the cell centre is not water/nodata); the result is a float32 GeoTIFF
(NaN off land) cached under the study area's cache folder, and scored against MODIS over all
land cells (balanced accuracy: urban cells are rare).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from sklearn.metrics import balanced_accuracy_score

from geogan_core.config import PROJECT_ROOT
from geogan_core.errors import CheckpointError, DataNotFoundError
from geogan_core.fileio import atomic_write_text, file_digest
from geogan_core.geo.raster import WGS84, Raster, atomic_write_geotiff
from geogan_core.imaging import probability_colors
from geogan_core.inference.generate import Explorer
from geogan_core.inference.votes import idw, overhead_features
from geogan_core.models.extract import discriminator_features
from geogan_core.models.noise import latents
from geogan_core.progress import ProgressFn, track

DENSE_METHODS = ("interpolated_features", "cgan_features", "overhead_only")


def land_cells(explorer: Explorer, res_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Centres of the land cells of a global grid and their MODIS group label (-1 none)."""
    h, w = int(round(180 / res_deg)), int(round(360 / res_deg))
    lats = 90 - (np.arange(h) + 0.5) * res_deg
    lons = -180 + (np.arange(w) + 0.5) * res_deg
    glon, glat = np.meshgrid(lons, lats)
    cls = explorer.landcover.classes_at(glat.ravel(), glon.ravel())
    cfg = explorer.area.landcover
    label = np.array([cfg.group_names.index(g) if (g := cfg.group_of(int(c))) else -1 for c in cls])
    land = label >= 0
    return glat.ravel()[land], glon.ravel()[land], label[land], (h, w)


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
    lat, lon, label, (h, w) = land_cells(explorer, res_deg)
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
    rows = np.round((90 - lat) / res_deg - 0.5).astype(int)
    cols = np.round((lon + 180) / res_deg - 0.5).astype(int)
    out: dict[str, Any] = {"res_deg": res_deg, "land_cells": int(len(lat)), "n_views": n_views,
                           "urban_cells": int((label == urban).sum()), "methods": {}}
    for m in methods:
        grid = np.full((1, h, w), np.nan, np.float32)
        grid[0, rows, cols] = probs[m]
        path = folder / f"{m}-{key}.tif"
        atomic_write_geotiff(path, grid, Affine(res_deg, 0, -180, 0, -res_deg, 90), WGS84, nodata=float("nan"))
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
