"""Spatially separated train/val/test splits: whole regions (or grid cells) per side, with a buffer.

Places in one region are correlated (one city, one country's roads), so a split that lets a
region straddle two sides measures memory, not generalisation. ``make_split`` groups places
into regions (a named column of the photo table, or clusters of locations where it is blank),
sends whole regions to train, validation or test (seeded), then drops the training places
within ``buffer_km`` of any validation or test place.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import numpy as np

from geogan_core.config import SplitConfig
from geogan_core.errors import ConfigError
from geogan_core.geo.grid import EARTH_RADIUS_M

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
DROPPED = -1
"""Split code of a training place dropped by the buffer (it belongs to no side)."""


def split_name(code: int) -> str:
    """Name of a split code: ``train``, ``val``, ``test`` or ``dropped`` (by the buffer)."""
    return SPLITS[code] if 0 <= code < len(SPLITS) else "dropped"


@dataclass(frozen=True)
class Split:
    """One split of a set of places."""

    codes: np.ndarray  # int8 per place: 0 train, 1 val, 2 test, DROPPED
    regions: np.ndarray  # region name per place (str)
    kind: str
    n_dropped: int  # training places dropped by the buffer
    n_location_grouped: int  # places without a region name, grouped by location instead
    min_train_test_km: float  # smallest distance between a kept training place and a test place

    def summary(self) -> dict[str, object]:
        """Plain-types description (for ``data summary`` and result files)."""
        sides = {}
        for code, name in enumerate(SPLITS):
            m = self.codes == code
            sides[name] = {"regions": len(set(self.regions[m].tolist())), "places": int(m.sum())}
        return {"kind": self.kind, "regions": len(set(self.regions.tolist())), "sides": sides,
                "dropped_by_buffer": self.n_dropped, "grouped_by_location": self.n_location_grouped,
                "min_train_test_km": round(self.min_train_test_km, 1)}


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)


_MAX_CLUSTER_CELLS = 8000  # keeps the linkage's pairwise distances under half a GB


def location_clusters(lat: np.ndarray, lon: np.ndarray, region_km: float) -> np.ndarray:
    """Cluster places into regions at most about ``region_km`` across.

    Places are snapped to cells of a tenth of that size (coarser if there are very many), and
    the occupied cells are grouped by complete-linkage clustering of their chord distances on
    the unit sphere, cut at ``region_km``: deterministic, and the number of regions grows with
    the area the places cover, not with how many places there are.

    Returns:
        ``int`` cluster index per place.
    """
    from sklearn.cluster import AgglomerativeClustering

    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    if len(lat) == 0:
        return np.zeros(0, int)
    km_per_deg = math.pi * EARTH_RADIUS_M / 1000.0 / 180.0
    step = region_km / 10 / km_per_deg
    while True:
        cells, inverse = np.unique(np.c_[np.floor(lat / step), np.floor(lon / step)], axis=0, return_inverse=True)
        if len(cells) <= _MAX_CLUSTER_CELLS:
            break
        step *= 2
    if len(cells) == 1:
        return np.zeros(len(lat), int)
    centres = np.stack([np.bincount(inverse.reshape(-1), w)[:len(cells)] / np.bincount(inverse.reshape(-1))
                        for w in (lat, lon)], 1)
    chord = 2 * math.sin(min(region_km / (EARTH_RADIUS_M / 1000.0), math.pi) / 2)
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=chord, linkage="complete").fit_predict(
        _unit_xyz(centres[:, 0], centres[:, 1]))
    return labels[inverse.reshape(-1)]


def region_names(raw: np.ndarray, lat: np.ndarray, lon: np.ndarray, cfg: SplitConfig) -> tuple[np.ndarray, int]:
    """Region of every place: from its region column value, else a cluster of locations.

    Args:
        raw: The region column's value per place ("" where missing or blank).
        lat: Latitudes in degrees.
        lon: Longitudes in degrees.
        cfg: The split settings (``region_pattern``, ``region_km``).

    Returns:
        ``(names, n)``: a region name per place, and how many places were grouped by location.
    """
    pattern = re.compile(cfg.region_pattern) if cfg.region_pattern else None
    names = np.empty(len(raw), dtype=object)
    for i, value in enumerate(raw):
        value = str(value).strip()
        if value and pattern is not None:
            m = pattern.search(value)
            value = (m.group(1) if m.groups() else m.group(0)).strip() if m else value
        names[i] = value
    blank = names == ""
    if blank.any():
        clusters = location_clusters(np.asarray(lat)[blank], np.asarray(lon)[blank], cfg.region_km)
        names[blank] = [f"location cluster {c}" for c in clusters]
    return names.astype(str), int(blank.sum())


def cell_names(lat: np.ndarray, lon: np.ndarray, cell_deg: float) -> np.ndarray:
    """Name of the ``cell_deg`` x ``cell_deg`` grid cell of every place (the cell split's regions).

    Names are zero-padded cell numbers, so they sort like the numbers and the cell split stays
    the one every result before the region split used.
    """
    rows = np.floor((np.asarray(lat, float) + 90.0) / cell_deg).astype(np.int64)
    cols = np.floor((np.asarray(lon, float) + 180.0) / cell_deg).astype(np.int64)
    return np.array([f"cell {c:012d}" for c in rows * 100_000 + cols])


def assign_groups(groups: np.ndarray, fractions: tuple[float, ...], seed: int) -> np.ndarray:
    """Send whole groups to sides so that each side's share of places is near its fraction.

    Groups are visited in a seeded random order (of their sorted names, so the result does not
    depend on the order of the places) and each goes to the side furthest below its target.

    Returns:
        ``int8`` side index per place.
    """
    names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(names))
    target = np.asarray(fractions, float) * len(groups)
    filled = np.zeros(len(fractions))
    assign = np.zeros(len(names), np.int8)
    for g in order:
        deficit = np.where(target > 0, (target - filled) / np.maximum(target, 1e-9), -np.inf)
        k = int(np.argmax(deficit))
        assign[g] = k
        filled[k] += counts[g]
    return assign[inverse.reshape(-1)]


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], 1)


def nearest_km(lat: np.ndarray, lon: np.ndarray, to_lat: np.ndarray, to_lon: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from each place to the nearest of another set (inf if it is empty).

    On unit vectors (the chord grows with the arc): all pairs at once for up to 4 M pairs (32 MB; a few
    ms for the demo data), a k-d tree beyond. Opening the data imports neither scikit-learn nor
    SciPy then (1.5 s and 0.4 s of every server start).
    """
    if len(to_lat) == 0:
        return np.full(len(lat), np.inf)
    if len(lat) == 0:
        return np.zeros(0)
    a, b = _unit_vectors(lat, lon), _unit_vectors(to_lat, to_lon)
    if len(a) * len(b) <= 4_000_000:
        chord = np.sqrt(np.maximum(2 - 2 * (a @ b.T).max(axis=1), 0))
    else:
        from scipy.spatial import cKDTree

        chord, _ = cKDTree(b).query(a, k=1)
    return 2 * np.arcsin(np.clip(chord / 2, 0, 1)) * EARTH_RADIUS_M / 1000.0


def buffer_drop(codes: np.ndarray, lat: np.ndarray, lon: np.ndarray, buffer_km: float,
                held_out: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Mark training places (code 0) within ``buffer_km`` of any held-out place as DROPPED."""
    codes = np.asarray(codes).astype(np.int8).copy()
    train, held = codes == 0, np.isin(codes, held_out)
    if buffer_km > 0 and train.any() and held.any():
        d = nearest_km(lat[train], lon[train], lat[held], lon[held])
        idx = np.flatnonzero(train)[d < buffer_km]
        codes[idx] = DROPPED
    return codes


def make_split(cfg: SplitConfig, lat: np.ndarray, lon: np.ndarray, region_raw: np.ndarray) -> Split:
    """Split places into train / val / test by whole regions (or cells), with the buffer.

    Args:
        cfg: The ``[split]`` settings.
        lat: Latitudes in degrees.
        lon: Longitudes in degrees.
        region_raw: The region column's value per place ("" where missing).

    Raises:
        ConfigError: If a side with a positive fraction ends up empty (too few regions, or a
            buffer that drops every training place).
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    if cfg.kind == "cells":
        regions, grouped = cell_names(lat, lon, cfg.cell_deg), 0
    else:
        regions, grouped = region_names(np.asarray(region_raw), lat, lon, cfg)
        if grouped:
            log.warning("%d of %d places have no [split].region_column %r value; they are grouped by location "
                        "(clusters of about %g km)", grouped, len(lat), cfg.region_column, cfg.region_km)
    sides = assign_groups(regions, cfg.fractions, cfg.seed)
    codes = buffer_drop(sides, lat, lon, cfg.buffer_km)
    for code, name in enumerate(SPLITS):
        if cfg.fractions[code] > 0 and len(lat) and not (codes == code).any():
            why = (f"[split].buffer_km = {cfg.buffer_km:g} drops every training place; lower it"
                   if name == "train" and (sides == 0).any() else
                   f"only {len(set(regions.tolist()))} region(s) for three sides; add places or regions, "
                   f"lower [split].region_km, or set that side's [split].fractions to 0")
            raise ConfigError(f"the {name} side of the split is empty: {why}")
    train, test = codes == 0, codes == 2
    d = nearest_km(lat[train], lon[train], lat[test], lon[test])
    return Split(codes, regions, cfg.kind, int((codes == DROPPED).sum()), grouped,
                 float(d.min()) if len(d) else float("inf"))


def region_folds(regions: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Assign whole regions to ``k`` folds of about equal numbers of places.

    Raises:
        ConfigError: If there are fewer regions than folds.
    """
    n = len(set(np.asarray(regions).tolist()))
    if k < 2 or n < k:
        raise ConfigError(f"--folds {k} needs at least {max(k, 2)} regions and k >= 2; this split has {n} region(s)")
    return assign_groups(np.asarray(regions), (1.0 / k,) * k, seed)
