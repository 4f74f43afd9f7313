"""``area init``: a study-area config written from a folder of GeoTIFFs and geotagged photos.

It inspects every raster (CRS, bounds, resolution, bands, dtype, nodata) without reading its
pixels, every photo (a CSV of ``image,lat,lon`` or a folder of JPEGs with EXIF GPS tags), keeps
the photos inside the rasters (duplicates once), proposes the patch from the rasters' resolution,
makes the split that ``data summary`` and ``train`` will make (so the batch fits the training side),
and writes the TOML (with comments) and the photo table it points at, both atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geogan_core.config import SplitConfig
from geogan_core.data.photos import exif_latlon, read_photo_table
from geogan_core.data.splits import MAX_BATCH, SMALL_TRAIN_VIEWS, SPLITS, Split, choose_batch, make_split, region_names
from geogan_core.errors import ConfigError, CRSMismatchError, DataError, DataNotFoundError
from geogan_core.fileio import atomic_write_text, file_digest

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
M_PER_DEG = 111_320.0  # metres per degree of latitude (for sizes of the area)


@dataclass
class RasterInfo:
    """What ``area init`` found in one raster."""

    path: Path
    crs: str
    bands: int
    dtype: str
    nodata: float | None
    width: int
    height: int
    res_m: float  # ground size of a pixel (metres; degrees converted at the raster's centre)
    bounds: tuple[float, float, float, float]  # WGS84 west, south, east, north

    def summary(self) -> dict[str, Any]:
        """Plain-types description for the report."""
        return {"file": str(self.path), "crs": self.crs, "size": [self.width, self.height], "bands": self.bands,
                "dtype": self.dtype, "nodata": self.nodata, "res_m": round(self.res_m, 2),
                "bounds_wgs84": [round(b, 4) for b in self.bounds]}


@dataclass
class AreaReport:
    """What ``area init`` found, kept and skipped."""

    config: Path
    photos_csv: Path
    rasters: list[RasterInfo]
    landcover: RasterInfo | None
    photos_found: int
    photos_kept: int
    skipped: dict[str, int] = field(default_factory=dict)
    patch_px: int = 32
    patch_res_m: float = 0.0
    notes: list[str] = field(default_factory=list)
    split: dict[str, Any] = field(default_factory=dict)  # places and views per side, as `data summary` will say
    batch_size: int = MAX_BATCH

    def summary(self) -> dict[str, Any]:
        """Plain-types report (printed by the command)."""
        return {"config": str(self.config), "photo_table": str(self.photos_csv),
                "overhead": [r.summary() for r in self.rasters],
                "landcover": self.landcover.summary() if self.landcover else None,
                "photos_found": self.photos_found, "photos_kept": self.photos_kept, "skipped": self.skipped,
                "patch": {"size_px": self.patch_px, "res_m": self.patch_res_m}, "split": self.split,
                "batch_size": self.batch_size, "notes": self.notes}


def inspect_raster(path: Path) -> RasterInfo:
    """Metadata of one raster (no pixel is read).

    Raises:
        DataNotFoundError: If the file is missing.
        DataError: If GDAL cannot open it.
        CRSMismatchError: If it has no CRS or no transform.
    """
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.warp import transform_bounds

    if not Path(path).is_file():
        raise DataNotFoundError(f"raster {path} not found")
    try:
        with rasterio.open(path) as src:
            if src.crs is None or src.transform.is_identity:
                raise CRSMismatchError(f"raster {path} has no CRS or no geotransform; assign them (for example "
                                       f"`gdal_edit.py -a_srs EPSG:4326 -a_ullr W N E S {Path(path).name}`)")
            west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
            res = _ground_res_m(src)
            return RasterInfo(Path(path).resolve(), _crs_name(src.crs), src.count, src.dtypes[0], src.nodata,
                              src.width, src.height, float(res), (west, south, east, north))
    except RasterioIOError as e:
        raise DataError(f"cannot open raster {path} ({e}); is it a GeoTIFF?") from e


def _crs_name(crs: Any) -> str:
    """``EPSG:3035`` when the CRS has an authority code, else its short PROJ string (not a page of WKT)."""
    name = crs.to_string()
    return name if ":" in name.split("[")[0] else (crs.to_proj4().replace("=True", "") or name)


def _ground_res_m(src: Any) -> float:
    """Ground size (metres) of the pixel at the raster's centre, in any CRS (Web Mercator included)."""
    from rasterio.warp import transform

    from geogan_core.geo.grid import haversine_km

    c, r = src.width / 2, src.height / 2
    xs, ys = zip(*(src.transform @ (c + dc, r + dr) for dc, dr in ((0, 0), (1, 0), (0, 1))), strict=True)
    lons, lats = transform(src.crs, "EPSG:4326", list(xs), list(ys))
    dx = float(haversine_km(lats[0], lons[0], np.array([lats[1]]), np.array([lons[1]]))[0])
    dy = float(haversine_km(lats[0], lons[0], np.array([lats[2]]), np.array([lons[2]]))[0])
    return 1000 * math.sqrt(dx * dy)


def expand_rasters(paths: list[Path]) -> list[Path]:
    """Files as given, folders as the rasters inside them (sorted).

    Raises:
        DataNotFoundError: If a path is missing or a folder holds no raster.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in RASTER_SUFFIXES)
            if not found:
                raise DataNotFoundError(f"no raster ({', '.join(RASTER_SUFFIXES)}) in folder {p}")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise DataNotFoundError(f"overhead path {p} not found")
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(info: RasterInfo, lat: float, lon: float) -> bool:
    w, s, e, n = info.bounds
    return s <= lat <= n and w <= lon <= e


def _photo_rows(photos: Path) -> tuple[list[tuple[Path, float, float]], dict[str, int], int]:
    """``(image, lat, lon)`` of every usable photo, the counts skipped by reason, and how many were found."""
    skipped: dict[str, int] = {}
    if photos.is_dir():
        files = sorted(f for f in photos.rglob("*") if f.suffix.lower() in PHOTO_SUFFIXES)
        if not files:
            raise DataNotFoundError(f"no photo ({', '.join(PHOTO_SUFFIXES)}) in folder {photos}; put the geotagged "
                                    f"JPEGs there, or give a CSV with image,lat,lon (--photos table.csv)")
        rows = []
        for f in files:
            found = exif_latlon(f)
            if found is None:
                skipped["no EXIF GPS"] = skipped.get("no EXIF GPS", 0) + 1
            else:
                rows.append((f.resolve(), *found))
        if not rows:
            raise DataError(f"none of the {len(files)} photos in {photos} has EXIF GPS tags; give a CSV with "
                            f"image,lat,lon instead (--photos table.csv)")
        return rows, skipped, len(files)
    if not photos.is_file():
        raise DataNotFoundError(f"photos {photos} not found; give a CSV (image,lat,lon) or a folder of JPEGs")
    table = read_photo_table(photos)
    for _, why in table.skipped:
        reason = "missing file" if why.startswith("missing file") else why
        skipped[reason] = skipped.get(reason, 0) + 1
    return [(r.image, r.lat, r.lon) for r in table.records], skipped, len(table.records) + len(table.skipped)


def propose_patch(rasters: list[RasterInfo], size_px: int | None, res_m: float | None) -> tuple[int, float]:
    """Patch settings: given ones, else 32 pixels at the coarsest raster's resolution (never finer)."""
    res = res_m or max(r.res_m for r in rasters)
    return int(size_px or 32), float(round(res, 3))


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def init_area(name: str, overhead: list[Path], photos: Path, out: Path, landcover: Path | None = None,
              urban_classes: list[int] | None = None, patch_px: int | None = None, patch_res_m: float | None = None,
              views_per_image: int = 1) -> AreaReport:
    """Inspect the inputs and write ``out`` (the TOML) and its photo table ``<out stem>.photos.csv``.

    Raises:
        ConfigError: For a bad name or settings, rasters that do not overlap, or urban classes not
            in the land-cover raster.
        DataNotFoundError, DataError, CRSMismatchError: For missing or unusable inputs.
    """
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ConfigError(f"--name {name!r}: use letters, digits, - and _ (it names the cache and checkpoint folders)")
    if views_per_image < 1 or (patch_px is not None and patch_px < 4) or (patch_res_m is not None and patch_res_m <= 0):
        raise ConfigError("--views-per-image must be >= 1, --patch-px >= 4 and --patch-res-m > 0")
    rasters = [inspect_raster(p) for p in expand_rasters(overhead)]
    for r in rasters[1:]:
        if not _overlap(rasters[0].bounds, r.bounds):
            a, b = rasters[0].summary()["bounds_wgs84"], r.summary()["bounds_wgs84"]
            raise ConfigError(f"rasters {rasters[0].path.name} and {r.path.name} do not overlap (WGS84 bounds {a} "
                              f"and {b}); give rasters of one area")
    lc = inspect_raster(landcover) if landcover else None
    notes = []
    if lc is not None:
        classes = _classes(lc.path)
        missing = sorted(set(urban_classes or []) - set(classes))
        if missing:
            raise ConfigError(f"--urban-classes {missing} are not in {lc.path.name} (classes found: {classes}); "
                              f"name classes the raster has")
        if not urban_classes:
            notes.append(f"no --urban-classes: every land class counts as 'rural'; classes found: {classes}")
    else:
        notes.append("no --landcover: generation, features and the Latent page work; the land-cover methods "
                     "(evaluate, dense, the judge) need a land-cover raster")
    rows, skipped, found = _photo_rows(Path(photos))
    kept, first_of = [], {}
    for image, lat, lon in rows:
        if not any(_inside(r, lat, lon) for r in rasters):
            skipped["outside every raster"] = skipped.get("outside every raster", 0) + 1
            continue
        digest = file_digest(image)
        if digest in first_of:
            skipped["duplicate photo"] = skipped.get("duplicate photo", 0) + 1
            if skipped["duplicate photo"] <= 3:
                notes.append(f"{image.name} is the same photo as {first_of[digest].name}: kept once")
            continue
        first_of[digest] = image
        kept.append((image, float(f"{lat:.7f}"), float(f"{lon:.7f}")))  # as the photo table will read them
    if not rows:
        raise DataError(f"no usable photo in {photos} ({_skipped_text(skipped)}); give rows with image,lat,lon and "
                        f"existing images")
    if not kept:
        raise DataError(f"none of the {found} photos lies inside the rasters ({_skipped_text(skipped)}): the photos "
                        f"span {_box(*_photos_box(rows))}, the rasters {_box(*_union(rasters))}; give rasters that "
                        f"cover the photos, or check the photos' coordinates")
    size_px, res_m = propose_patch(rasters, patch_px, patch_res_m)
    split_cfg, split = plan_split(np.array([k[1] for k in kept]), np.array([k[2] for k in kept]),
                                  _region_km(rasters), size_px * res_m / 1000, found, skipped)
    sides = _sides(split, views_per_image)
    batch = choose_batch(sides["train"]["views"])
    said = [_split_line(split, sides), f"batch_size = {batch}: the largest power of two up to {MAX_BATCH} that is at "
            f"most half the {sides['train']['views']} training views"]
    notes += _small_warning(sides["train"]["views"]) + said
    out = Path(out).resolve()
    csv_path = out.with_name(out.stem + ".photos.csv")
    report = AreaReport(out, csv_path, rasters, lc, found, len(kept), skipped, size_px, res_m, notes,
                        {**split.summary(), "sides": sides}, batch)
    lines = ["image,lat,lon,pano_id,region"]
    for image, lat, lon in kept:
        rel = Path(_relpath(image, csv_path.parent)).as_posix()
        lines.append(f"{_csv(rel)},{lat:.7f},{lon:.7f},{hashlib.sha1(rel.encode()).hexdigest()[:10]},")
    text = _config_text(name, rasters, lc, urban_classes or [], csv_path, out, size_px, res_m, views_per_image,
                        len(kept), split_cfg, said, batch)
    atomic_write_text(csv_path, "\n".join(lines) + "\n")
    try:
        atomic_write_text(out, text)
    except OSError:
        csv_path.unlink(missing_ok=True)
        raise
    return report


def plan_split(lat: np.ndarray, lon: np.ndarray, region_km: float, patch_km: float, found: int,
               skipped: dict[str, int]) -> tuple[SplitConfig, Split]:
    """The ``[split]`` settings ``area init`` writes and the split they make of these places.

    Places are grouped as ``data summary`` will group them (:func:`region_names`: at most
    ``region_km``, finer when that makes too few groups); the buffer is one patch across, at most
    half a group, so that no test place has a training photo inside its patch.

    Raises:
        DataError: If there are fewer photos than the three sides need.
        ConfigError: If the split leaves a side empty (every photo in one place, say).
    """
    cfg = SplitConfig(kind="regions", region_column="region", region_km=region_km)
    n_sides = sum(f > 0 for f in cfg.fractions)
    if len(lat) < n_sides:
        raise DataError(f"only {len(lat)} usable photo(s) of the {found} found ({_skipped_text(skipped)}), and a "
                        f"split needs at least {n_sides} places apart (one per side; 20 or more to train well); "
                        f"add photos")
    scale = region_names(np.full(len(lat), ""), lat, lon, cfg).km
    cfg = dataclasses.replace(cfg, buffer_km=max(round(min(patch_km, scale / 2), 1), 0.1))
    return cfg, make_split(cfg, lat, lon, np.full(len(lat), ""), warn=False)  # the notes say it


def _sides(split: Split, views_per_image: int) -> dict[str, dict[str, int]]:
    return {name: {"places": int((split.codes == code).sum()),
                   "views": int((split.codes == code).sum()) * views_per_image} for code, name in enumerate(SPLITS)}


def _split_line(split: Split, sides: dict[str, dict[str, int]]) -> str:
    where = ", ".join(f"{n} {s['places']} places / {s['views']} views" for n, s in sides.items())
    dropped = f", {split.n_dropped} dropped by the buffer" if split.n_dropped else ""
    return f"split: {where}{dropped}; grouped at {split.location_why}"


def _small_warning(train_views: int) -> list[str]:
    """A warning, with what to do, when the training side is too small to train a GAN."""
    if train_views >= SMALL_TRAIN_VIEWS:
        return []
    return [f"warning: only {train_views} training views: under {SMALL_TRAIN_VIEWS} the discriminator learns them by "
            f"heart (README, Your own study area); add photos (about {-(-SMALL_TRAIN_VIEWS * 10 // 7)} views in all, "
            f"70% of them train), or cut panorama strips into views (--views-per-image 4)"]


def _skipped_text(skipped: dict[str, int]) -> str:
    return "skipped: " + (", ".join(f"{n} {why}" for why, n in skipped.items()) or "none")


def _photos_box(rows: list[tuple[Path, float, float]]) -> tuple[float, float, float, float]:
    lats, lons = [r[1] for r in rows], [r[2] for r in rows]
    return min(lons), min(lats), max(lons), max(lats)


def _union(rasters: list[RasterInfo]) -> tuple[float, float, float, float]:
    """West, south, east, north of all the rasters together (WGS84)."""
    return (min(r.bounds[0] for r in rasters), min(r.bounds[1] for r in rasters),
            max(r.bounds[2] for r in rasters), max(r.bounds[3] for r in rasters))


def _box(west: float, south: float, east: float, north: float) -> str:
    return f"lat {south:.4g}..{north:.4g}, lon {west:.4g}..{east:.4g}"


def _csv(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ',"\n') else value


def _relpath(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)


def _classes(path: Path) -> list[int]:
    """Classes of a categorical raster, from a decimated read (overviews when it has them)."""
    import rasterio

    with rasterio.open(path) as src:
        f = max(1, int(max(src.width, src.height) / 2048))
        arr = src.read(1, out_shape=(max(1, src.height // f), max(1, src.width // f)))
        nodata = src.nodata
    values = np.unique(arr)
    return [int(v) for v in values if nodata is None or v != nodata]


def _config_text(name: str, rasters: list[RasterInfo], lc: RasterInfo | None, urban: list[int], csv_path: Path,
                 out: Path, size_px: int, res_m: float, views_per_image: int, n_photos: int, split: SplitConfig,
                 said: list[str], batch: int) -> str:
    """The TOML with comments; paths relative to the config's folder."""
    base = out.parent
    lines = [f"# Study area {name!r}, written by `python -m geogan_core area init`.",
             "# Paths are relative to data_root (this file's folder); ${VAR:-default} reads the environment.",
             "", "[area]", f"name = {_toml_str(name)}", 'data_root = "."',
             f'cache_dir = "${{GEOGAN_CACHE:-{_relpath(Path(__file__).resolve().parents[2] / ".cache", base)}}}"', "",
             "[patch]",
             f"# The overhead condition: size_px x size_px pixels of res_m metres around each photo"
             f" ({size_px * res_m / 1000:.3g} km across).",
             "# Coarsest raster: " + f"{max(r.res_m for r in rasters):.3g} m/pixel. For 10 m imagery (Sentinel-2) "
             "32 px at 10 m sees 320 m; for 1 m aerial photos 64 px at 2 m; for 5 km globes 32 px at 5000 m.",
             f"size_px = {size_px}", f"res_m = {res_m}", ""]
    names: list[str] = []
    for i, r in enumerate(rasters):
        kind = "rgb" if r.bands >= 3 else "gray"
        layer = _layer_name(r.path, i)
        names.append(layer if layer not in names else f"{layer}_{i + 1}")
        lines += [f"# {r.path.name}: {r.crs}, {r.width}x{r.height} px, {r.bands} band(s) {r.dtype}, "
                  f"{r.res_m:.3g} m/pixel, nodata {r.nodata}",
                  "[[overhead]]", f"name = {_toml_str(names[-1])}", f"title = {_toml_str(r.path.stem)}",
                  f"path = {_toml_str(_relpath(r.path, base))}", 'georef = "file"', f'kind = "{kind}"', ""]
    lines += ["[photos]", f"# {n_photos} photos inside the rasters (image,lat,lon; paths relative to the CSV).",
              f"csv = {_toml_str(_relpath(csv_path, base))}",
              "# 1: each photo is centre-cropped to one view; 4: panorama strips cut into 4 views.",
              f"views_per_image = {views_per_image}", ""]
    if lc is not None:
        lines += ["[landcover]", f"# {lc.path.name}: {lc.crs}, {lc.res_m:.3g} m/pixel (nearest class at each place).",
                  f"path = {_toml_str(_relpath(lc.path, base))}",
                  f"nodata = [{int(lc.nodata) if lc.nodata is not None else 255}]", "water = []",
                  'default_group = "rural"', "[landcover.groups]",
                  f"urban = [{', '.join(str(c) for c in urban)}]", ""]
    lines += ["[split]", "# Whole regions per side (groups of places about region_km across at most, finer when that",
              "# makes too few groups for the fractions), and a buffer_km gap between training and test places",
              "# (one patch across, at most half a group). What area init computed:",
              *[f"# {line}" for line in said],
              'kind = "regions"', f"region_column = {_toml_str(split.region_column)}",
              f"region_km = {split.region_km}", f"buffer_km = {split.buffer_km}",
              f"fractions = [{', '.join(f'{f:g}' for f in split.fractions)}]", f"seed = {split.seed}", ""]
    lines += ["[model]", "# Width 32 trains in well under an hour on 2 CPU cores (64: the paper's, 4x the work).",
              "ngf = 32", "ndf = 32", "",
              "[train]", "# Defaults for `train` (flags override); `train` makes a batch too big for the training",
              "# side smaller, with a note.",
              f"batch_size = {batch}", ""]
    return "\n".join(lines) + "\n"


def _region_km(rasters: list[RasterInfo]) -> float:
    """About a fifth of the rasters' width: the widest a group of places may be (finer when too few groups)."""
    w, s, e, n = _union(rasters)
    width_km = max((e - w) * M_PER_DEG / 1000 * math.cos(math.radians((s + n) / 2)), (n - s) * M_PER_DEG / 1000)
    return float(max(round(width_km / 5, 1), 1.0))


def _layer_name(path: Path, i: int) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in path.stem).strip("_") or f"layer{i + 1}"
    return f"{stem}_{i + 1}" if stem[0].isdigit() else stem
