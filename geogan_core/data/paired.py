"""The paired dataset: overhead patch, ground views, land cover, place, split.

Built once from the photo table and the geo layer and cached as compact arrays
(uint8 views at 64 and 128 pixels, float16 patches) so training never decodes a
JPEG again. The cache folder is keyed by a hash of its inputs and written to a
temporary folder first, then renamed, so it is never half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geogan_core.config import StudyArea, require_file
from geogan_core.data.photos import load_views, read_photo_table
from geogan_core.data.splits import SPLITS, Split, make_split
from geogan_core.errors import DataError
from geogan_core.fileio import file_digest
from geogan_core.geo.grid import haversine_km
from geogan_core.progress import ProgressFn, track

if TYPE_CHECKING:  # rasterio stays out of the import of this module: a pack trains without it
    from geogan_core.geo.stack import LandCover, OverheadStack

log = logging.getLogger(__name__)
CACHE_VERSION = 2
VIEW_SIZES = (64, 128)


@dataclass
class PairedData:
    """All places (``loc_*``, one per photo/panorama) and their views (``view_*``)."""

    loc_lat: np.ndarray
    loc_lon: np.ndarray
    loc_pano: np.ndarray
    loc_image: np.ndarray
    loc_class: np.ndarray
    loc_label: np.ndarray  # index into group_names, -1 (geo.stack.NO_LABEL) without one
    loc_label_source: np.ndarray  # "point", "neighbourhood", or why there is no label
    loc_region_raw: np.ndarray  # the photo table's [split].region_column value ("" where blank)
    patches: np.ndarray  # (L, C, S, S) float16
    view_loc: np.ndarray
    view_heading: np.ndarray
    views64: np.ndarray  # (N, 64, 64, 3) uint8
    views128: np.ndarray  # (N, 128, 128, 3) uint8
    group_names: list[str]
    channel_names: list[str]
    skipped: list[tuple[int, str]]
    key: str  # names the arrays and the split: results that depend on the split are keyed by it
    arrays_key: str  # names the arrays only: per-view features of all views are keyed by it
    split: Split  # computed at load from the [split] settings (not cached: it is cheap)

    @property
    def loc_split(self) -> np.ndarray:
        """Split code per place (0 train, 1 val, 2 test, -1 dropped by the buffer)."""
        return self.split.codes

    @property
    def loc_region(self) -> np.ndarray:
        """Region name per place (the unit of the split and of the intervals)."""
        return self.split.regions

    @property
    def n_locations(self) -> int:
        """Number of places."""
        return len(self.loc_lat)

    def views(self, size: int) -> np.ndarray:
        """Views at 64 or 128 pixels."""
        if size not in VIEW_SIZES:
            raise DataError(f"views are cached at {VIEW_SIZES} pixels, not {size}")
        return self.views64 if size == 64 else self.views128

    def place_views(self, i: int, size: int = 128) -> np.ndarray:
        """The views of place ``i`` at 64 or 128 pixels: a slice of the cached array, not a copy."""
        lo, hi = np.searchsorted(self.view_loc, [i, i + 1])  # a place's views are contiguous (build())
        return self.views(size)[lo:hi]

    def split_mask(self, split: str) -> np.ndarray:
        """Boolean mask over places of one split (``train``, ``val`` or ``test``)."""
        return self.loc_split == SPLITS.index(split)

    def nearest(self, lat: float, lon: float, k: int = 3,
                exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and great-circle distances (km) of the ``k`` nearest places.

        Args:
            lat: Latitude in degrees.
            lon: Longitude in degrees.
            k: How many places.
            exclude: Boolean mask of places to leave out.
        """
        d = haversine_km(lat, lon, self.loc_lat, self.loc_lon)
        if exclude is not None:
            d = np.where(exclude, np.inf, d)
        idx = np.argsort(d)[:k]
        idx = idx[np.isfinite(d[idx])]
        return idx, d[idx]

    def view_mask(self, split: str) -> np.ndarray:
        """Boolean mask over views whose place is in one split."""
        return self.split_mask(split)[self.view_loc]


ARRAYS = (  # the cached arrays, one .npy each
    "loc_lat", "loc_lon", "loc_pano", "loc_image", "loc_class", "loc_label", "loc_label_source",
    "loc_region_raw", "patches", "view_loc", "view_heading", "views64", "views128")


def cache_key(area: StudyArea) -> str:
    """Hash of everything the paired cache depends on: content hashes, never modification times.

    The split is not part of it (it is computed at load), so changing ``[split]`` costs no rebuild.

    Raises:
        DataNotFoundError: If the photo table is missing.
    """
    csv = require_file(area, area.photos.csv, "photo table", "[photos].csv")
    cfg = area.to_dict()
    layers = [{**lyr, "path": file_digest(Path(lyr["path"])) if Path(lyr["path"]).is_file() else lyr["path"]}
              for lyr in cfg["layers"]]
    lc = cfg["landcover"]
    lc = {**lc, "path": file_digest(Path(lc["path"])) if lc["path"] and Path(lc["path"]).is_file() else lc["path"]}
    parts = {"v": CACHE_VERSION, "csv": file_digest(csv), "patch": cfg["patch"], "layers": layers,
             "landcover": lc, "region_column": area.split.region_column, "views": area.photos.views_per_image}
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _cache_dir(area: StudyArea) -> Path:
    return area.cache_dir / f"paired-{cache_key(area)}"


def data_key(arrays_key: str, area: StudyArea) -> str:
    """The data key: names the cached arrays *and* the split, so every result keyed by it changes with either."""
    return hashlib.sha1(json.dumps([arrays_key, area.to_dict()["split"]], sort_keys=True).encode()).hexdigest()[:16]


def load_paired(area: StudyArea, stack: OverheadStack | None = None, landcover: LandCover | None = None,
                progress: ProgressFn | None = None) -> PairedData:
    """Load the paired dataset, building its cache first when missing or stale.

    Raises:
        DataNotFoundError: If the photo table, a layer or the land cover is missing.
        DataError: If no photo could be used, or the cache cannot be written.
    """
    from geogan_core.geo.stack import LandCover, OverheadStack

    folder = _cache_dir(area)
    if not (folder / "meta.json").is_file():
        if landcover is None and area.landcover.path is not None:
            require_file(area, area.landcover.path, "land-cover raster", "[landcover].path")
        _build(area, folder, stack or OverheadStack(area), landcover or LandCover(area.landcover), progress)
    meta = json.loads((folder / "meta.json").read_text())
    arrays = {k: np.load(folder / f"{k}.npy", mmap_mode="r" if k.startswith("views") else None,
                         allow_pickle=False) for k in ARRAYS}
    split = make_split(area.split, arrays["loc_lat"], arrays["loc_lon"], arrays["loc_region_raw"])
    return PairedData(**arrays, group_names=meta["group_names"], channel_names=meta["channel_names"],
                      skipped=[tuple(s) for s in meta["skipped"]], key=data_key(meta["key"], area),
                      arrays_key=meta["key"],
                      split=split)


def photo_places(area: StudyArea) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of every place, read from the cache alone (built first when missing).

    For the Map page's first drawing: two small arrays, no patches, views or split.

    Raises:
        DataNotFoundError: If the photo table, a layer or the land cover is missing.
        DataError: If no photo could be used, or the cache cannot be written.
    """
    folder = _cache_dir(area)
    if not (folder / "meta.json").is_file():
        data = load_paired(area)
        return data.loc_lat, data.loc_lon
    return (np.load(folder / "loc_lat.npy", allow_pickle=False), np.load(folder / "loc_lon.npy", allow_pickle=False))


def _build(area: StudyArea, folder: Path, stack: OverheadStack, landcover: LandCover,
           progress: ProgressFn | None) -> None:
    from geogan_core.geo.stack import NO_LABEL

    table = read_photo_table(area.photos.csv)
    skipped = list(table.skipped)
    vpi = area.photos.views_per_image
    locs: list[dict[str, object]] = []
    views = {s: [] for s in VIEW_SIZES}  # type: dict[int, list[np.ndarray]]
    for rec in track(table.records, len(table.records), "decoding photos", progress):
        try:
            v128 = load_views(rec.image, vpi, 128)
        except DataError:
            name = os.path.relpath(rec.image, area.photos.csv.parent)
            skipped.append((rec.row or -1, f"cannot decode image {name} (corrupt or not an image)"))
            continue
        views[128].append(v128)
        views[64].append(np.stack([np.asarray(downscale(v, 64)) for v in v128]))
        lab = landcover.label(rec.lat, rec.lon)
        locs.append({"lat": rec.lat, "lon": rec.lon, "pano": rec.pano_id, "image": str(rec.image),
                     "region": (rec.extra.get(area.split.region_column) or "").strip(),
                     "cls": lab.cls, "source": lab.source,
                     "label": area.landcover.group_names.index(lab.group) if lab.group else NO_LABEL})
    if not locs:
        raise DataError(f"no usable photo in {area.photos.csv} ({len(skipped)} rows skipped); "
                        f"first problem: {skipped[0][1] if skipped else 'empty table'}")
    skipped.sort(key=lambda s: s[0])
    table.skipped = skipped
    table.warn_skipped(str(area.photos.csv))
    lat = np.array([x["lat"] for x in locs], np.float64)
    lon = np.array([x["lon"] for x in locs], np.float64)
    arrays = {
        "loc_lat": lat, "loc_lon": lon,
        "loc_pano": np.array([x["pano"] for x in locs], dtype=str),
        "loc_image": np.array([x["image"] for x in locs], dtype=str),
        "loc_class": np.array([x["cls"] for x in locs], np.int16),
        "loc_label": np.array([x["label"] for x in locs], np.int8),
        "loc_label_source": np.array([x["source"] for x in locs], dtype=str),
        "loc_region_raw": np.array([x["region"] for x in locs], dtype=str),
        "patches": stack.patches(lat, lon).astype(np.float16),
        "view_loc": np.repeat(np.arange(len(locs)), vpi).astype(np.int32),
        "view_heading": np.tile(np.arange(vpi), len(locs)).astype(np.int8),
        "views64": np.concatenate(views[64]), "views128": np.concatenate(views[128]),
    }
    meta = {"key": cache_key(area), "group_names": area.landcover.group_names,
            "channel_names": stack.channel_names, "skipped": skipped}
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".paired-", dir=folder.parent))
    except OSError as e:
        raise DataError(f"cannot create the data cache in {folder.parent} ({e.strerror or e}); make it "
                        f"writable or point GEOGAN_CACHE at a writable folder") from e
    try:
        for k, v in arrays.items():
            np.save(tmp / f"{k}.npy", v, allow_pickle=False)
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished the same build first: keep its copy
            if not (folder / "meta.json").is_file():
                raise
    except OSError as e:
        raise DataError(f"cannot write the data cache {folder} ({e.strerror or e}); free some disk space or "
                        f"point GEOGAN_CACHE at another folder, then retry (nothing half-written was kept)") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def downscale(view: np.ndarray, size: int) -> np.ndarray:
    """One uint8 view resized to ``size`` x ``size`` (Lanczos): how the 64-pixel views are made."""
    from PIL import Image

    return np.asarray(Image.fromarray(view).resize((size, size), Image.Resampling.LANCZOS))
