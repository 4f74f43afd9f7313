"""Statistics shared by the metrics: bootstrap intervals, ROC AUC, Fréchet distance, KID.

Every interval is a percentile bootstrap. With ``clusters`` (a region per place) it is the
cluster bootstrap: whole regions are drawn with replacement, each bringing all its places,
because places in one region are correlated and resampling them one by one would make the
interval too narrow. Paired differences bootstrap the per-place difference, so both methods
always see the same resampled regions.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import linalg
from sklearn.metrics import roc_auc_score


def balanced_mean(values: np.ndarray, groups: np.ndarray) -> float:
    """The mean of the per-group means (class-balanced: each group counts the same)."""
    values, groups = np.asarray(values, float), np.asarray(groups)
    return float(np.mean([values[groups == g].mean() for g in np.unique(groups)]))


def resamples(n: int, n_boot: int = 1000, seed: int = 0, clusters: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Bootstrap index sets over ``n`` places: places with replacement, or whole clusters with replacement.

    Args:
        n: Number of places.
        n_boot: Number of resamples.
        seed: Seed (same seed, same resamples).
        clusters: Optional cluster (region) of each place.
    """
    rng = np.random.default_rng(seed)
    if clusters is None:
        for _ in range(n_boot):
            yield rng.integers(0, n, n)
        return
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    members = [np.flatnonzero(inverse == c) for c in range(inverse.max() + 1)] if n else []
    for _ in range(n_boot):
        yield np.concatenate([members[c] for c in rng.integers(0, len(members), len(members))])


def _interval(boots: list[float] | np.ndarray, level: float) -> tuple[float, float]:
    if len(boots) == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    return float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))


def bootstrap_ci(values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                 groups: np.ndarray | None = None, clusters: np.ndarray | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-unit values (e.g. per place).

    With ``groups``, of ``balanced_mean(values, groups)`` instead (resamples missing a group are skipped).
    With ``clusters``, whole clusters (regions) are resampled (the cluster bootstrap).
    """
    values = np.asarray(values, float)
    if len(values) == 0:
        return float("nan"), float("nan")
    boots = []
    n_groups = len(np.unique(groups)) if groups is not None else 0
    for i in resamples(len(values), n_boot, seed, clusters):
        if groups is None:
            boots.append(values[i].mean())
        elif len(np.unique(np.asarray(groups)[i])) == n_groups:
            boots.append(balanced_mean(values[i], np.asarray(groups)[i]))
    return _interval(boots, level)


def auc_ci(scores: np.ndarray, positive: np.ndarray, n_boot: int = 1000, seed: int = 0,
           level: float = 0.95, clusters: np.ndarray | None = None) -> tuple[float, float, float]:
    """ROC AUC of per-unit scores against binary labels, with a percentile bootstrap interval.

    0.5: the scores carry no information about the label; below 0.5: they point the wrong way.
    Resamples holding one class only are skipped; with ``clusters``, whole clusters are resampled.
    """
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    boots = [roc_auc_score(positive[i], scores[i]) for i in resamples(len(scores), n_boot, seed, clusters)
             if 0 < positive[i].sum() < len(i)]
    return (float(roc_auc_score(positive, scores)), *_interval(boots, level))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(s1)) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * np.real(covmean)))


def kernel_inception_distance(a: np.ndarray, b: np.ndarray, subsets: int = 20, size: int = 200,
                              seed: int = 0) -> tuple[float, float]:
    """KID (unbiased MMD^2, cubic polynomial kernel) as mean and std over random subsets."""
    rng = np.random.default_rng(seed)
    d = a.shape[1]
    m = min(size, len(a), len(b))
    vals = []
    for _ in range(subsets):
        x, y = a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        mmd = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.mean()
        vals.append(mmd)
    return float(np.mean(vals)), float(np.std(vals))


def mean_pairwise_distance(groups: np.ndarray) -> np.ndarray:
    """Per group, the mean L2 distance between its members' unit-normalised features.

    Args:
        groups: ``(G, K, D)``: G groups (places) of K feature vectors.

    Returns:
        ``(G,)`` mean pairwise distances.
    """
    x = groups / (np.linalg.norm(groups, axis=-1, keepdims=True) + 1e-12)
    gram = np.einsum("gkd,gld->gkl", x, x)  # |a - b|^2 = 2 - 2 a.b for unit vectors
    diff = np.sqrt(np.clip(2 - 2 * gram, 0, None))
    idx = np.arange(groups.shape[1])
    diff[:, idx, idx] = 0
    k = groups.shape[1]
    return diff.sum(axis=(1, 2)) / (k * (k - 1))
