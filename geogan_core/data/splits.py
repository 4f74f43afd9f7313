"""Spatially separated train/val/test splits: whole regions (or grid cells) per side, with a buffer.

Places in one region are correlated (one city, one country's roads), so a split that lets a
region straddle two sides measures memory, not generalisation. ``make_split`` groups places
into regions (a named column of the photo table, or clusters of locations where it is blank),
sends whole regions to train, validation or test (seeded), then drops the training places
within ``buffer_km`` of any validation or test place. Places without a region name are grouped at
the area's own scale: ``region_km`` at most, finer when that makes too few groups for the split
to come near its fractions (a city's photos, a country's).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from geogan_core.config import SplitConfig
from geogan_core.errors import ConfigError
from geogan_core.geo.grid import EARTH_RADIUS_M

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
DROPPED = -1
"""Split code of a training place dropped by the buffer (it belongs to no side)."""
TARGET_GROUPS = 12
"""Groups the location grouping aims for (one a place when there are fewer places): 0.7 / 0.15 / 0.15 of
12 equal groups is 8 / 2 / 2, so each side's share of places can come near its fraction (with 3 groups
one side gets a third or nothing). On 40 seeded clumpy areas of 12 photos this put the sides 0.07 from
their fractions in all (0.34 with two places a group at the least); of 20 photos 0.12 (0.15)."""
MIN_TRAIN_VIEWS = 4
"""Fewest training views ``train`` accepts: the modern cGAN's generator step splits a batch into three groups
(its own noise, a second noise, a second place) of a view each at the least, and every batch ``area init``
writes is a power of two: 4 is the smallest such batch."""
SMALL_TRAIN_VIEWS = 32
"""Training sides of fewer views are too small to train a GAN (``area init`` warns). Measured on the demo's
views (4 a panorama): the modern cGAN at the width ``area init`` writes (32), 300 steps of batch 8 on N training
views, then the AUC of its discriminator's scores on those views against 128 held-out real views (0.5: it has
not learnt them by heart) and how much its views differ from place to place (mean L1, over that of real views).
N = 8: AUC 0.87, places 0.22 (learnt by heart); 16: 0.59, 0.58; 32: 0.50, 0.42; 64: 0.46, 0.66; 128: 0.45,
0.71; 512: 0.43, 0.79. From 32 views on the discriminator no longer tells the training views from others."""
MAX_BATCH = 64
"""The batch ``area init`` writes when the training side holds plenty of views."""


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
    location_km: float = 0.0  # the location groups are at most about this wide (0: none)
    location_why: str = ""  # why that scale (for data summary and area init)

    def summary(self) -> dict[str, object]:
        """Plain-types description (for ``data summary`` and result files)."""
        sides = {}
        for code, name in enumerate(SPLITS):
            m = self.codes == code
            sides[name] = {"regions": len(set(self.regions[m].tolist())), "places": int(m.sum())}
        out = {"kind": self.kind, "regions": len(set(self.regions.tolist())), "sides": sides,
               "dropped_by_buffer": self.n_dropped, "grouped_by_location": self.n_location_grouped,
               "min_train_test_km": round(self.min_train_test_km, 1)}
        if self.n_location_grouped:
            out["location_scale_km"] = round(self.location_km, 3)
            out["location_scale"] = self.location_why
        return out


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)


_MAX_CLUSTER_CELLS = 8000  # keeps the linkage's pairwise distances under half a GB
_EARTH_KM = EARTH_RADIUS_M / 1000.0
_KM_PER_DEG = math.pi * _EARTH_KM / 180.0


def _cells(lat: np.ndarray, lon: np.ndarray, step_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Occupied cells of about ``step_km`` (coarser if very many): their centres' unit vectors, each place's cell."""
    step = step_km / _KM_PER_DEG
    while True:
        cells, inverse = np.unique(np.c_[np.floor(lat / step), np.floor(lon / step)], axis=0, return_inverse=True)
        if len(cells) <= _MAX_CLUSTER_CELLS:
            break
        step *= 2
    inverse = inverse.reshape(-1)
    centres = np.stack([np.bincount(inverse, w)[:len(cells)] / np.bincount(inverse) for w in (lat, lon)], 1)
    return _unit_xyz(centres[:, 0], centres[:, 1]), inverse


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
    xyz, inverse = _cells(lat, lon, region_km / 10)
    if len(xyz) == 1:
        return np.zeros(len(lat), int)
    chord = 2 * math.sin(min(region_km / _EARTH_KM, math.pi) / 2)
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=chord, linkage="complete").fit_predict(xyz)
    return labels[inverse]


def spread_km(lat: np.ndarray, lon: np.ndarray) -> float:
    """About how far apart the places lie: twice the greatest distance from their centre (km)."""
    xyz = _unit_xyz(np.asarray(lat, float), np.asarray(lon, float))
    centre = xyz.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    if len(xyz) == 0 or norm < 1e-9:
        return math.pi * _EARTH_KM
    cos = np.clip(xyz @ (centre / norm), -1.0, 1.0)
    return float(min(2 * np.arccos(cos).max() * _EARTH_KM, math.pi * _EARTH_KM))


def area_clusters(lat: np.ndarray, lon: np.ndarray, n_groups: int) -> tuple[np.ndarray, float]:
    """Cluster places into ``n_groups`` regions at the scale of the area they cover.

    The same complete linkage as :func:`location_clusters`, on cells a tenth of the size that
    ``n_groups`` groups have over the places' spread, with its tree cut into ``n_groups``
    clusters instead of at a fixed width (fewer when there are fewer distinct cells).

    Returns:
        ``(labels, km)``: cluster index per place, and about how wide the widest cluster is.
    """
    from sklearn.cluster import AgglomerativeClustering

    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    step_km = max(spread_km(lat, lon) / math.sqrt(max(n_groups, 1)) / 10, 0.001)
    xyz, inverse = _cells(lat, lon, step_km)
    if len(xyz) <= n_groups:
        return inverse.astype(int), step_km
    model = AgglomerativeClustering(n_clusters=n_groups, linkage="complete", compute_distances=True).fit(xyz)
    height = float(np.sort(model.distances_)[len(xyz) - n_groups - 1])  # the last merge made (a chord)
    return model.labels_[inverse].astype(int), 2 * math.asin(min(height / 2, 1.0)) * _EARTH_KM + step_km


class Regions(NamedTuple):
    """The region of every place, and how the places without a region name were grouped."""

    names: np.ndarray  # region name per place (str)
    n_grouped: int  # places grouped by location (no region name)
    km: float  # the location groups are at most about this wide (0 when none)
    why: str  # which scale, and why


def target_groups(n_places: int, n_sides: int = 3) -> int:
    """Groups to aim for: :data:`TARGET_GROUPS`, or one a place when there are fewer (one a side at least)."""
    return min(TARGET_GROUPS, max(n_places, n_sides))


def region_names(raw: np.ndarray, lat: np.ndarray, lon: np.ndarray, cfg: SplitConfig) -> Regions:
    """Region of every place: from its region column value, else a group of locations.

    Places without a name are clustered at ``[split].region_km``; when the places then make fewer
    groups than :func:`target_groups` (the region_km of a world-wide area on a city's photos), they
    are grouped at the area's own scale instead (:func:`area_clusters`).

    Args:
        raw: The region column's value per place ("" where missing or blank).
        lat: Latitudes in degrees.
        lon: Longitudes in degrees.
        cfg: The split settings (``region_pattern``, ``region_km``, ``fractions``).
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
    km, why = 0.0, ""
    if blank.any():
        lat_b, lon_b = np.asarray(lat, float)[blank], np.asarray(lon, float)[blank]
        want = target_groups(len(names), sum(f > 0 for f in cfg.fractions)) - len(set(names[~blank].tolist()))
        clusters, km = location_clusters(lat_b, lon_b, cfg.region_km), cfg.region_km
        n = int(clusters.max()) + 1
        why = f"[split].region_km = {cfg.region_km:g} km: {n} group(s)"
        if n < want:
            clusters, km = area_clusters(lat_b, lon_b, want)
            why = (f"the area's own scale: at [split].region_km = {cfg.region_km:g} km the {len(lat_b)} places make "
                   f"only {n} group(s), too few for the split to come near its fractions; {int(clusters.max()) + 1} "
                   f"groups of at most about {km:.3g} km instead (aiming at {want})")
        names[blank] = [f"location cluster {c}" for c in clusters]
    return Regions(names.astype(str), int(blank.sum()), km, why)


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


def make_split(cfg: SplitConfig, lat: np.ndarray, lon: np.ndarray, region_raw: np.ndarray, warn: bool = True) -> Split:
    """Split places into train / val / test by whole regions (or cells), with the buffer.

    Args:
        cfg: The ``[split]`` settings.
        lat: Latitudes in degrees.
        lon: Longitudes in degrees.
        region_raw: The region column's value per place ("" where missing).
        warn: Log one warning when places are grouped by location (its scale and why).

    Raises:
        ConfigError: If a side with a positive fraction ends up empty (too few regions, or a
            buffer that drops every training place).
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    if cfg.kind == "cells":
        found = Regions(cell_names(lat, lon, cfg.cell_deg), 0, 0.0, "")
    else:
        found = region_names(np.asarray(region_raw), lat, lon, cfg)
        if found.n_grouped and warn:
            log.warning("%d of %d places have no [split].region_column %r value; they are grouped by location "
                        "(%s)", found.n_grouped, len(lat), cfg.region_column, found.why)
    regions = found.names
    sides = assign_groups(regions, cfg.fractions, cfg.seed)
    codes = buffer_drop(sides, lat, lon, cfg.buffer_km)
    for code, name in enumerate(SPLITS):
        if cfg.fractions[code] > 0 and len(lat) and not (codes == code).any():
            raise ConfigError(f"the {name} side of the split is empty: {_why_empty(cfg, lat, lon, found, sides)}")
    train, test = codes == 0, codes == 2
    d = nearest_km(lat[train], lon[train], lat[test], lon[test])
    return Split(codes, regions, cfg.kind, int((codes == DROPPED).sum()), found.n_grouped,
                 float(d.min()) if len(d) else float("inf"), found.km, found.why)


def _why_empty(cfg: SplitConfig, lat: np.ndarray, lon: np.ndarray, found: Regions, sides: np.ndarray) -> str:
    """What made a side of the split empty, and what to do."""
    n_sides = sum(f > 0 for f in cfg.fractions)
    n_regions = len(set(found.names.tolist()))
    if (sides == 0).any() and n_regions >= n_sides:
        return f"[split].buffer_km = {cfg.buffer_km:g} drops every training place; lower it"
    if len(lat) < n_sides:
        return (f"only {len(lat)} photo(s), and a split needs at least {n_sides} places apart (one per side; "
                f"{TARGET_GROUPS} or more to come near its fractions); add photos")
    if found.n_grouped == len(lat) and n_regions == 1:
        return (f"all {len(lat)} photos lie within about {max(spread_km(lat, lon), 0.001):.2g} km of each other, and "
                f"one place cannot be split into train, validation and test; add photos taken elsewhere in the area")
    if found.n_grouped == len(lat):
        return (f"the {len(lat)} photos lie at only {n_regions} places apart, and a split needs {n_sides}; add photos "
                f"taken elsewhere in the area")
    return (f"only {n_regions} region(s) for {n_sides} sides; add places or regions, lower [split].region_km, "
            f"or set that side's [split].fractions to 0")


def choose_batch(train_views: int, largest: int = MAX_BATCH) -> int:
    """The batch for a training side of ``train_views`` views (what ``area init`` writes and ``train`` falls back to).

    The largest power of two up to ``largest`` that is at most half of them (two steps an epoch at
    least), and :data:`MIN_TRAIN_VIEWS` at the least.

    Raises:
        ConfigError: If there are fewer than :data:`MIN_TRAIN_VIEWS` training views: too little to train at all.
    """
    if train_views < MIN_TRAIN_VIEWS:
        raise ConfigError(f"only {train_views} training view(s), and a GAN step needs at least {MIN_TRAIN_VIEWS}; "
                          f"add photos, or raise the train side's share in [split].fractions")
    return int(min(max(1 << int(math.log2(max(train_views // 2, 1))), MIN_TRAIN_VIEWS), largest))


def region_folds(regions: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Assign whole regions to ``k`` folds of about equal numbers of places.

    Raises:
        ConfigError: If there are fewer regions than folds.
    """
    n = len(set(np.asarray(regions).tolist()))
    if k < 2 or n < k:
        raise ConfigError(f"--folds {k} needs at least {max(k, 2)} regions and k >= 2; this split has {n} region(s)")
    return assign_groups(np.asarray(regions), (1.0 / k,) * k, seed)
