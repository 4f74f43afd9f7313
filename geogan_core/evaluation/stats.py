"""Statistics shared by the metrics: bootstrap intervals, ROC AUC, Fréchet distance, KID."""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.metrics import roc_auc_score


def balanced_mean(values: np.ndarray, groups: np.ndarray) -> float:
    """The mean of the per-group means (class-balanced: each group counts the same)."""
    values, groups = np.asarray(values, float), np.asarray(groups)
    return float(np.mean([values[groups == g].mean() for g in np.unique(groups)]))


def bootstrap_ci(values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                 groups: np.ndarray | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-unit values (e.g. per place).

    With ``groups``, of ``balanced_mean(values, groups)`` instead (resamples missing a group are skipped).
    """
    values = np.asarray(values, float)
    if len(values) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), (n_boot, len(values)))
    if groups is None:
        means = values[idx].mean(axis=1)
    else:
        groups = np.asarray(groups)
        n_groups = len(np.unique(groups))
        means = np.array([balanced_mean(values[i], groups[i]) for i in idx if len(np.unique(groups[i])) == n_groups])
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def auc_ci(scores: np.ndarray, positive: np.ndarray, n_boot: int = 1000, seed: int = 0,
           level: float = 0.95) -> tuple[float, float, float]:
    """ROC AUC of per-unit scores against binary labels, with a percentile bootstrap interval over units.

    0.5: the scores carry no information about the label; below 0.5: they point the wrong way.
    Resamples holding one class only are skipped.
    """
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(scores), (n_boot, len(scores)))
    boots = [roc_auc_score(positive[i], scores[i]) for i in idx if 0 < positive[i].sum() < len(i)]
    a = (1 - level) / 2
    return float(roc_auc_score(positive, scores)), float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))


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
