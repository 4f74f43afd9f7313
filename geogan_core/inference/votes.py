"""Urban/rural votes of the land-cover methods at one place, from the shipped heads.

``python -m geogan_core evaluate --save-heads`` fits one logistic regression per method on
the train-split places and stores it (with the train places' feature banks for the
interpolation methods) in ``checkpoints/landcover_heads.pt``; this module only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from geogan_core.checkpoint import read_manifest
from geogan_core.geo.grid import haversine_km
from geogan_core.inference.models import load_listed
from geogan_core.models.extract import discriminator_features, image_features

HEADS = "landcover_heads"


def overhead_features(patches: np.ndarray) -> np.ndarray:
    """Per-channel mean and std plus a 4x4 average pool of each channel: ``(P, C * 18)``."""
    p = np.asarray(patches, np.float32)
    n, c, s, _ = p.shape
    pooled = p.reshape(n, c, 4, s // 4, 4, s // 4).mean(axis=(3, 5)).reshape(n, -1)
    return np.concatenate([p.mean(axis=(2, 3)), p.std(axis=(2, 3)), pooled], axis=1)


def idw(lat: np.ndarray, lon: np.ndarray, bank_lat: np.ndarray, bank_lon: np.ndarray, bank: np.ndarray, k: int,
        exclude: np.ndarray | None = None) -> np.ndarray:
    """Inverse-distance-weighted mean of the ``k`` nearest bank rows for each query place.

    Args:
        lat: Query latitudes.
        lon: Query longitudes.
        bank_lat: Latitudes of the places with features.
        bank_lon: Longitudes of the places with features.
        bank: ``(B, D)`` features of those places.
        k: Neighbours used.
        exclude: Per query, a bank index never to use (the query's own photos), or -1.
    """
    out = np.zeros((len(lat), bank.shape[1]), np.float32)
    for i in range(len(lat)):
        d = haversine_km(float(lat[i]), float(lon[i]), bank_lat, bank_lon)
        if exclude is not None and exclude[i] >= 0:
            d[exclude[i]] = np.inf
        nn_idx = np.argsort(d)[:k]
        w = 1.0 / np.maximum(d[nn_idx], 1.0)
        out[i] = (w[:, None] * bank[nn_idx]).sum(0) / w.sum()
    return out


@dataclass
class Vote:
    """One method's answer at a place."""

    method: str
    label: str
    confidence: float  # probability of the voted class


class LandCoverHeads:
    """The fitted per-method classifiers and interpolation banks."""

    def __init__(self, ckpt: dict[str, Any]) -> None:
        """Wrap a loaded ``landcover_heads`` checkpoint."""
        self.classes: list[str] = list(ckpt["classes"])
        self.k: int = int(ckpt["k"])
        self.n_views: int = int(ckpt.get("n_views", 4))  # a cGAN method's features: the mean over this many views
        self.heads = {m: {k: v.float().numpy() for k, v in h.items()} for m, h in ckpt["heads"].items()}
        self.banks = {m: {k: v.float().numpy() for k, v in b.items()} for m, b in ckpt["banks"].items()}

    @classmethod
    def load(cls, folder: Path) -> LandCoverHeads | None:
        """The shipped heads, or None when none are listed in the manifest."""
        if HEADS not in read_manifest(folder):
            return None
        return cls(load_listed(folder, HEADS, HEADS))

    def proba(self, method: str, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``(P, n_classes)`` from a method's features."""
        h = self.heads[method]
        z = ((x - h["mean"]) / h["scale"]) @ h["coef"].T + h["intercept"]
        if z.shape[1] == 1:  # binary logistic regression
            p1 = 1 / (1 + np.exp(-z[:, 0]))
            return np.stack([1 - p1, p1], axis=1)
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def interpolate(self, method: str, lat: float, lon: float) -> np.ndarray:
        """IDW features of a method's bank at one place."""
        b = self.banks[method]
        return idw(np.array([lat]), np.array([lon]), b["lat"], b["lon"], b["feats"], self.k)


def place_votes(heads: LandCoverHeads, lat: float, lon: float, patch: np.ndarray, views: np.ndarray | None,
                D: torch.nn.Module | None, lite0_64: torch.nn.Module | None) -> list[Vote]:
    """Votes of every method that can answer at a place (generated views for the cGAN ones)."""
    feats: dict[str, np.ndarray] = {"overhead_only": overhead_features(patch[None])}
    for method in ("interpolated_features", "unconditional_gan"):
        if method in heads.banks:
            feats[method] = heads.interpolate(method, lat, lon)
    if views is not None and D is not None and "cgan_features" in heads.heads:
        patches = np.repeat(patch[None], len(views), axis=0)
        feats["cgan_features"] = discriminator_features(D, views, patches).mean(0, keepdims=True)
    if views is not None and lite0_64 is not None and "cgan_images" in heads.heads:
        feats["cgan_images"] = image_features(lite0_64, views).mean(0, keepdims=True)
    votes = []
    for method, x in feats.items():
        if method in heads.heads:
            p = heads.proba(method, x)[0]
            k = int(np.argmax(p))
            votes.append(Vote(method, heads.classes[k], float(p[k])))
    return votes
