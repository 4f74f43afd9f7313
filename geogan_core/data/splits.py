"""Spatially blocked train/val/test splits."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "val", "test")


def blocked_split(lats: np.ndarray, lons: np.ndarray, cell_deg: float,
                  fractions: tuple[float, float, float], seed: int) -> np.ndarray:
    """Assign places to train (0), val (1) or test (2) by whole grid cells.

    All places in one ``cell_deg`` x ``cell_deg`` cell land on the same side, so the views of
    a panorama and of its near neighbours never straddle the split. Cells are visited in a
    seeded random order and each goes to the split furthest below its target share.

    Args:
        lats: Latitudes in degrees.
        lons: Longitudes in degrees.
        cell_deg: Cell size in degrees.
        fractions: Target shares of places for train, val and test.
        seed: Seed of the cell order (same seed, same split).

    Returns:
        ``int8`` split index per place.
    """
    lats, lons = np.asarray(lats, float), np.asarray(lons, float)
    rows = np.floor((lats + 90.0) / cell_deg).astype(np.int64)
    cols = np.floor((lons + 180.0) / cell_deg).astype(np.int64)
    cell = rows * 100_000 + cols
    cells, inverse, counts = np.unique(cell, return_inverse=True, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(cells))
    target = np.asarray(fractions, float) * len(lats)
    filled = np.zeros(3)
    assign = np.zeros(len(cells), np.int8)
    for c in order:
        deficit = np.where(target > 0, (target - filled) / np.maximum(target, 1e-9), -np.inf)
        k = int(np.argmax(deficit))
        assign[c] = k
        filled[k] += counts[c]
    return assign[inverse]
