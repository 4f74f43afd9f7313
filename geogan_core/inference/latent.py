"""Latent editing: physical edits of the overhead condition, named directions, interpolation.

- ``edit_condition`` changes the overhead patch in a geographer's terms ("more water",
  "more night lights", "higher ground", "greener", "browner", "snow") and leaves it bit for
  bit unchanged at strength 0.
- Directions live in the modern generator's ``w`` space (the mapping network's output):
  named ones fitted InterFaceGAN-style on scene-classifier scores, unsupervised ones from a
  PCA of ``w`` (GANSpace-style). ``python -m geogan_core directions`` fits and ships them.
- ``slerp`` interpolates noise on the sphere; conditions interpolate linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from geogan_core.errors import InvalidRequestError

# colours (summer/winter true colour, 0..1) that an edit blends toward
_WATER_RGB = np.array([0.05, 0.12, 0.25], np.float32)
_GREEN_RGB = np.array([0.10, 0.30, 0.08], np.float32)
_BROWN_RGB = np.array([0.45, 0.35, 0.20], np.float32)
_SNOW_RGB = np.array([0.92, 0.94, 0.97], np.float32)

PHYSICAL_EDITS = {
    "water": "More water",
    "night_lights": "More night lights (urbanisation)",
    "elevation": "Higher ground",
    "green": "Greener",
    "brown": "Browner (drier)",
    "snow": "Snow",
}


def _rgb_groups(channel_names: list[str]) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(channel_names):
        layer, _, band = name.partition(".")
        if band in ("r", "g", "b"):
            groups.setdefault(layer, []).append(i)
    return [idx for idx in groups.values() if len(idx) == 3]


def edit_condition(patch: np.ndarray, channel_names: list[str], edits: dict[str, float]) -> np.ndarray:
    """Apply physical edits to a ``(C, S, S)`` overhead patch in [0, 1].

    Args:
        patch: The condition.
        channel_names: Names of its channels (``summer.r``, ``night_lights``, ``water`` ...).
        edits: Strength in [-1, 1] per edit in ``PHYSICAL_EDITS`` (negative means less).

    Returns:
        The edited patch (the input itself when every strength is 0).

    Raises:
        InvalidRequestError: For an unknown edit or a strength outside [-1, 1].
    """
    if all(v == 0 for v in edits.values()):
        return patch
    out = np.array(patch, np.float32, copy=True)
    rgb = _rgb_groups(channel_names)
    for name, s in edits.items():
        if name not in PHYSICAL_EDITS:
            raise InvalidRequestError(f"unknown edit {name!r}; choose from {sorted(PHYSICAL_EDITS)}")
        if not -1 <= s <= 1:
            raise InvalidRequestError(f"edit strength for {name!r} must be in [-1, 1], got {s}")
        if s == 0:
            continue
        if name in ("water", "night_lights", "elevation") and name in channel_names:
            c = channel_names.index(name)
            out[c] = out[c] + s * (1 - out[c]) if s > 0 else out[c] * (1 + s)
        target = {"water": _WATER_RGB, "green": _GREEN_RGB, "brown": _BROWN_RGB, "snow": _SNOW_RGB}.get(name)
        if target is not None and s > 0:
            for idx in rgb:
                out[idx] = out[idx] * (1 - s) + target[:, None, None] * s
    return np.clip(out, 0, 1)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between two noise vectors (``t=0`` gives ``a``, ``t=1`` gives ``b``)."""
    if t == 0:
        return a.clone()
    if t == 1:
        return b.clone()
    an, bn = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.arccos((an * bn).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b


@dataclass
class Directions:
    """Unit directions in ``w`` space with the spread of ``w`` along each (its sigma)."""

    names: list[str]
    vectors: np.ndarray  # (K, w_dim), unit rows
    sigma: np.ndarray  # (K,) std of w projected on each direction
    kind: list[str]  # "semantic" or "pca"

    def offset(self, strengths: dict[str, float], keep_others: bool = False) -> np.ndarray:
        """Sum of ``strength * sigma * direction`` over the chosen directions.

        With ``keep_others`` each direction is first made orthogonal to the other directions of its
        kind (conditional manipulation: moving "forest" tries not to move "coast").
        """
        out = np.zeros(self.vectors.shape[1], np.float32)
        for name, s in strengths.items():
            if s == 0:
                continue
            if name not in self.names:
                raise InvalidRequestError(f"unknown direction {name!r}; choose from {self.names}")
            i = self.names.index(name)
            v = self.vectors[i]
            if keep_others:
                others = [j for j, k in enumerate(self.kind) if k == self.kind[i] and j != i]
                v = project_out(v, self.vectors[others])
            out += s * self.sigma[i] * v
        return out


def project_out(v: np.ndarray, others: np.ndarray) -> np.ndarray:
    """``v`` with its components along the span of ``others`` removed, renormalised."""
    if len(others) == 0:
        return v
    q, _ = np.linalg.qr(others.T)
    r = v - q @ (q.T @ v)
    n = np.linalg.norm(r)
    return r / n if n > 1e-8 else v


def fit_direction(w: np.ndarray, scores: np.ndarray, quantile: float = 0.3) -> np.ndarray:
    """InterFaceGAN-style boundary in ``w`` space; returns its unit normal toward higher scores.

    A logistic regression separates the top and bottom ``quantile`` of the samples by score.
    """
    from sklearn.linear_model import LogisticRegression

    lo, hi = np.quantile(scores, [quantile, 1 - quantile])
    sel = (scores <= lo) | (scores >= hi)
    y = (scores[sel] >= hi).astype(int)
    # fit on centred raw w: dividing by per-dimension spread would tilt the normal towards the
    # directions in which w barely varies, where a slider then does nothing
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(w[sel] - w.mean(0), y)
    n = clf.coef_[0]
    return (n / np.linalg.norm(n)).astype(np.float32)


def pca_directions(w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` principal directions of ``w`` samples and their standard deviations."""
    centred = w - w.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    return vt[:k].astype(np.float32), (s[:k] / np.sqrt(len(w) - 1)).astype(np.float32)
