"""Generated views as the independent judge sees them (``models.judge``: a CNN trained from scratch).

For each GAN at the test regions' places: the land cover its views carry (place-level ROC AUC
beside the judge's AUC on the real views there, and balanced consistency); the paired-versus-
shuffled test (does the judge agree more with the label of the view's own place than with the
label of a random test place? a generator that ignores its condition scores 0); KID, precision
and recall (Kynkäänniemi et al. 2019, k = 3) in the judge's features; a classifier two-sample
test (a fresh logistic regression, real vs generated, trained on half of the test regions and
scored on the other half: 50% = indistinguishable to it); nearest-neighbour distances to the
training views (memorisation: generated views much closer to training views than real
held-out views are); within-place diversity and place distance. Every interval is a 95%
cluster bootstrap over test regions. Needs numpy, scikit-learn and torch only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from geogan_core.data.paired import PairedData
from geogan_core.evaluation.stats import (
    auc_ci,
    balanced_mean,
    bootstrap_ci,
    kernel_inception_distance,
    mean_pairwise_distance,
)
from geogan_core.imaging import to_uint8
from geogan_core.models.extract import judge_probs
from geogan_core.models.noise import latents
from geogan_core.progress import ProgressFn, track

PLACE_NOISES = 4  # noises shared by all places for the place-distance metric
SHUFFLES = 20  # random pairings of views with other places' labels, averaged

Render = Callable[[torch.Tensor, np.ndarray], np.ndarray]  # (noise, patches) -> uint8 views


def _r(x: float) -> float:
    return float(f"{x:.4g}")


def _ci(lo_hi: tuple[float, float]) -> list[float]:
    return [_r(v) for v in lo_hi]


@dataclass
class JudgeContext:
    """The judge and what it says of the real views: test places (labelled) and training views."""

    judge: nn.Module
    places: np.ndarray  # labelled places of the side scored (test, or val to choose models)
    labels: np.ndarray
    regions: np.ndarray
    views_per_place: int
    real_prob: np.ndarray  # (P * vpi, C), place-major
    real_feats: np.ndarray  # (P * vpi, D)
    train_feats: np.ndarray  # unit-normalised features of the training views


def judge_context(judge: nn.Module, data: PairedData, side: str = "test") -> JudgeContext:
    """Run the judge once over the real views of one side (``test``, or ``val`` to choose models) and training."""
    places = np.flatnonzero(data.split_mask(side) & (data.loc_label >= 0))
    views = data.views(64)
    test_v = np.flatnonzero(np.isin(data.view_loc, places))
    prob, feats = judge_probs(judge, views[test_v])
    _, train = judge_probs(judge, views[np.flatnonzero(data.view_mask("train"))])
    return JudgeContext(judge=judge, places=places, labels=data.loc_label[places].astype(int),
                        regions=data.loc_region[places], views_per_place=len(test_v) // max(len(places), 1),
                        real_prob=prob, real_feats=feats, train_feats=_unit(train))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)


def _nn_distance(a: np.ndarray, b_unit: np.ndarray) -> np.ndarray:
    """Distance from each row of ``a`` (normalised here) to its nearest row of ``b_unit``."""
    return np.sqrt(np.clip(2 - 2 * (_unit(a) @ b_unit.T).max(1), 0, None))


def _label_scores(ctx: JudgeContext, prob: np.ndarray, per_place: int) -> dict[str, Any]:
    """AUC (two groups) and balanced consistency of per-view probabilities, place by place."""
    place_prob = prob.reshape(len(ctx.places), per_place, -1).mean(1)
    agree = (prob.argmax(1) == np.repeat(ctx.labels, per_place)).reshape(len(ctx.places), per_place).mean(1)
    out: dict[str, Any] = {"balanced_consistency": _r(balanced_mean(agree, ctx.labels)),
                           "balanced_consistency_ci95": _ci(bootstrap_ci(agree, groups=ctx.labels,
                                                                        clusters=ctx.regions))}
    if prob.shape[1] == 2 and len(np.unique(ctx.labels)) == 2:
        auc, lo, hi = auc_ci(place_prob[:, 1], ctx.labels == 1, clusters=ctx.regions)
        out.update(auc=_r(auc), auc_ci95=[_r(lo), _r(hi)])
    return out


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019): k-NN balls around each set's samples.

    Precision: share of generated samples inside some real sample's ball (its distance to its
    k-th nearest real neighbour); recall: share of real samples inside some generated sample's ball.
    """
    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        sq = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T
        return np.sqrt(np.clip(sq, 0, None))

    def radii(x: np.ndarray) -> np.ndarray:
        return np.sort(dist(x, x), axis=1)[:, min(k, len(x) - 1)]  # column 0 is the sample itself

    def covered(points: np.ndarray, centres: np.ndarray, r: np.ndarray) -> float:
        return float((dist(points, centres) <= r[None]).any(1).mean())

    return covered(fake, real, radii(real)), covered(real, fake, radii(fake))


def two_sample_test(real: np.ndarray, real_regions: np.ndarray, fake: np.ndarray,
                    fake_regions: np.ndarray) -> dict[str, Any]:
    """A fresh real-vs-generated classifier, fitted on half of the regions and scored on the other half."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = sorted(set(real_regions.tolist()) | set(fake_regions.tolist()))
    half = {r: i % 2 for i, r in enumerate(names)}
    x = np.concatenate([real, fake])
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    fold = np.array([half[r] for r in np.r_[real_regions, fake_regions]])
    region = np.r_[real_regions, fake_regions]
    correct = np.zeros(len(x), bool)
    for f in (0, 1):
        if len(np.unique(y[fold != f])) < 2 or not (fold == f).any():
            return {"accuracy": float("nan"), "note": "too few regions for a two-fold test"}
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        clf.fit(x[fold != f], y[fold != f])
        correct[fold == f] = clf.predict(x[fold == f]) == y[fold == f]
    return {"accuracy": _r(correct.mean()), "accuracy_ci95": _ci(bootstrap_ci(correct, clusters=region))}


def real_scores(ctx: JudgeContext) -> dict[str, Any]:
    """The judge on the real test views: its own AUC (the ceiling for generated views), diversity."""
    vpi = ctx.views_per_place
    out = _label_scores(ctx, ctx.real_prob, vpi)
    if vpi > 1:
        groups = ctx.real_feats.reshape(len(ctx.places), vpi, -1)
        out["diversity"] = _r(mean_pairwise_distance(groups).mean())
        out["place_distance"] = _r(mean_pairwise_distance(groups.transpose(1, 0, 2)).mean())
    out["nn_train_distance_median"] = _r(np.median(_nn_distance(ctx.real_feats, ctx.train_feats)))
    return out


def model_scores(ctx: JudgeContext, fake: np.ndarray, same_noise: np.ndarray, per_place: int,
                 seed: int = 0, exemplars: np.ndarray | None = None) -> dict[str, Any]:
    """Judge one GAN from its views at the test places.

    Args:
        ctx: From :func:`judge_context`.
        fake: ``(P * per_place, H, W, 3)`` uint8, place-major, at ``ctx.places``.
        same_noise: ``(P * PLACE_NOISES, H, W, 3)``: the same ``PLACE_NOISES`` noises at every place.
        per_place: Views per place in ``fake``.
        seed: Seed of the KID subsets and the shuffles.
        exemplars: For a generator that edits real views: the view each of ``fake`` was edited from;
            adds the median distance from a view to its own exemplar (``exemplar_distance_vs_real``,
            in units of the real views' nearest-neighbour distance to training views: a copy scores 0).
    """
    prob, feats = judge_probs(ctx.judge, fake)
    out = _label_scores(ctx, prob, per_place)
    real = real_scores(ctx)
    if "auc" in out and "auc" in real:
        out["auc_vs_real"] = _r(out["auc"] / real["auc"])
    # paired vs shuffled: agreement with the own place's label minus with a random test place's
    own = prob[np.arange(len(prob)), np.repeat(ctx.labels, per_place)].reshape(len(ctx.places), per_place).mean(1)
    rng = np.random.default_rng(seed)
    shuffled = np.mean([prob[np.arange(len(prob)), np.repeat(ctx.labels[rng.permutation(len(ctx.places))],
                                                             per_place)].reshape(len(ctx.places), per_place).mean(1)
                        for _ in range(SHUFFLES)], axis=0)
    diff = own - shuffled
    out["paired_vs_shuffled"] = _r(diff.mean())
    out["paired_vs_shuffled_ci95"] = _ci(bootstrap_ci(diff, clusters=ctx.regions))
    kid, kid_std = kernel_inception_distance(ctx.real_feats, feats, seed=seed)
    precision, recall = precision_recall(ctx.real_feats, feats)
    out.update(kid=_r(kid), kid_std=_r(kid_std), precision=_r(precision), recall=_r(recall))
    vpi = ctx.views_per_place
    out["two_sample"] = two_sample_test(ctx.real_feats, np.repeat(ctx.regions, vpi), feats,
                                        np.repeat(ctx.regions, per_place))
    nn_fake = np.median(_nn_distance(feats, ctx.train_feats))
    out["nn_train_distance_median"] = _r(nn_fake)
    out["nn_train_distance_vs_real"] = _r(nn_fake / max(real["nn_train_distance_median"], 1e-12))
    if exemplars is not None:
        ex = np.linalg.norm(_unit(feats) - _unit(judge_probs(ctx.judge, exemplars)[1]), axis=1)
        out["exemplar_distance_vs_real"] = _r(np.median(ex) / max(real["nn_train_distance_median"], 1e-12))
    div = mean_pairwise_distance(feats.reshape(len(ctx.places), per_place, -1))
    _, same = judge_probs(ctx.judge, same_noise)
    place_dist = mean_pairwise_distance(same.reshape(len(ctx.places), PLACE_NOISES, -1).transpose(1, 0, 2)).mean()
    out.update(diversity=_r(div.mean()), place_distance=_r(place_dist))
    if "diversity" in real:
        out["diversity_vs_real"] = _r(div.mean() / real["diversity"])
        out["place_distance_vs_real"] = _r(place_dist / real["place_distance"])
    return out


def scoring_views(render: Render, z_dim: int, patches: np.ndarray, per_place: int, seed: int,
                  progress: ProgressFn | None = None, desc: str = "generating") -> tuple[np.ndarray, np.ndarray]:
    """The views every metric scores: ``per_place`` seeded noises per place, and PLACE_NOISES shared ones.

    Args:
        render: Runs the generator: ``(noise, patches) -> uint8 views``.
        z_dim: The generator's noise size.
        patches: ``(P, C, S, S)`` float32 conditions of the places.
        per_place: Views per place.
        seed: Noise seed (the shared noises use ``seed + 1``).
        progress: Optional progress callback.
        desc: Its label.
    """
    z = latents(len(patches) * per_place, seed, z_dim)
    rep = np.repeat(patches, per_place, axis=0)
    chunks = [render(z[s: s + 256], rep[s: s + 256])
              for s in track(range(0, len(z), 256), -(-len(z) // 256), desc, progress)]
    shared = latents(PLACE_NOISES, seed + 1, z_dim).repeat(len(patches), 1)
    same = render(shared, np.repeat(patches, PLACE_NOISES, axis=0))
    return (np.concatenate(chunks) if chunks else np.zeros((0, 64, 64, 3), np.uint8)), same


def generator_render(G: nn.Module) -> Render:
    """A :data:`Render` for a bare generator (eval mode, on its own device)."""
    device = next(G.parameters()).device

    @torch.no_grad()
    def render(z: torch.Tensor, patches: np.ndarray) -> np.ndarray:
        return to_uint8(G(z.to(device), torch.as_tensor(patches, dtype=torch.float32, device=device)).float().cpu())

    return render


def score_generators(data: PairedData, judge: nn.Module, generators: dict[str, nn.Module], per_place: int = 4,
                     seed: int = 0, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Judge-only scores of bare generators at the test places (no study area, no Lite0: a pack suffices)."""
    ctx = judge_context(judge, data)
    patches = data.patches[ctx.places].astype(np.float32)
    out: dict[str, Any] = {"places": int(len(ctx.places)), "regions": len(set(ctx.regions.tolist())),
                           "views_per_place": per_place, "seed": seed, "real": real_scores(ctx), "models": {}}
    for name, G in generators.items():
        fake, same = scoring_views(generator_render(G.eval()), G.z_dim, patches, per_place, seed, progress,
                                   f"generating ({name})")
        out["models"][name] = model_scores(ctx, fake, same, per_place, seed)
    return out
