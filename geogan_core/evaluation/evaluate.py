"""``python -m geogan_core evaluate``: the paper's table on our data, honestly.

Urban vs rural (MODIS groups from the config) at the test places of the region split (or at
the places of any photo CSV). For each method a logistic regression is fitted on the
train-split places only; GAN methods are repeated over several generation seeds; 95%
intervals are cluster bootstraps over test regions (whole regions resampled), and paired
differences between methods resample the same regions for both. ``folds=K`` also scores the
methods that need no GAN training over K region folds, so their numbers rest on every region.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, confusion_matrix
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from geogan_core.checkpoint import read_manifest, save_checkpoint, sha256, update_manifest
from geogan_core.data.photos import load_views, read_photo_table
from geogan_core.data.splits import DROPPED, buffer_drop, cell_names, region_folds, region_names
from geogan_core.errors import DataError, DataNotFoundError
from geogan_core.evaluation.bench import machine
from geogan_core.evaluation.methods import (
    CHEAP,
    GENERATED,
    INTERPOLATED,
    METHODS,
    FeatureMaker,
    Places,
    places_at,
    project_places,
)
from geogan_core.evaluation.report import PAPER, RESULTS
from geogan_core.evaluation.stats import bootstrap_ci, resamples
from geogan_core.fileio import atomic_write_text, file_digest
from geogan_core.inference.generate import Explorer
from geogan_core.inference.votes import HEADS
from geogan_core.progress import ProgressFn

__all__ = ["METHODS", "evaluate", "fit_classifier", "run_evaluation", "save_heads"]


def fit_classifier(x: np.ndarray, y: np.ndarray) -> Pipeline:
    """Standardise, then a class-balanced L2 logistic regression."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000, class_weight="balanced")).fit(x, y)


def _csv_places(explorer: Explorer, csv: Path) -> tuple[Places, np.ndarray, str]:
    if not csv.is_file():
        raise DataNotFoundError(f"--test-photos {csv} not found; give a CSV with the columns of metadata.csv")
    table = read_photo_table(csv)
    table.warn_skipped(str(csv))
    area = explorer.area
    vpi = area.photos.views_per_image
    keep, views, labels = [], [], []
    for rec in table.records:
        lab = explorer.land(rec.lat, rec.lon)
        if lab.group is None:
            continue
        try:
            views.append(load_views(rec.image, vpi, 64))
        except DataError:
            continue
        keep.append(rec)
        labels.append(area.landcover.group_names.index(lab.group))
    if not keep:
        raise DataError(f"no usable labelled place in {csv}; it needs image,lat,lon rows on land")
    lat, lon = np.array([r.lat for r in keep]), np.array([r.lon for r in keep])
    raw = np.array([(r.extra.get(area.split.region_column) or "").strip() for r in keep], dtype=str)
    regions = (cell_names(lat, lon, area.split.cell_deg) if area.split.kind == "cells"
               else region_names(raw, lat, lon, area.split)[0])
    places = Places(lat, lon, explorer.stack.patches(lat, lon), regions, views=np.stack(views))
    return places, np.asarray(labels), f"csv-{file_digest(csv)[:12]}"


def available_methods(explorer: Explorer, names: tuple[str, ...] = METHODS) -> list[str]:
    """Methods (of ``names``) whose models are shipped."""
    have = set(explorer.available()) | ({"retrieval"} if "retrieval" in read_manifest(explorer.checkpoints) else set())
    out = []
    for m in names:
        model = GENERATED[m][0] if m in GENERATED else {"unconditional_gan": "ugan",
                                                         "retrieved_views": "retrieval"}.get(m)
        if model is None or model in have:
            out.append(m)
    return out


def _summary(correct: np.ndarray, preds: list[np.ndarray], y: np.ndarray, regions: np.ndarray) -> dict[str, Any]:
    """Accuracy and balanced accuracy of ``runs x places`` results, with region-level (cluster bootstrap) CIs."""
    per_place = correct.mean(0)
    return {
        "accuracy": round(float(per_place.mean()), 4),
        "ci95": [round(v, 4) for v in bootstrap_ci(per_place, clusters=regions)],
        "balanced_accuracy": round(float(np.mean([balanced_accuracy_score(y, p) for p in preds])), 4),
        "balanced_ci95": _balanced_bootstrap(y, np.stack(preds), regions),
        "seed_std": round(float(correct.mean(1).std()), 4), "runs": len(preds), "n": int(len(y)),
        "regions": len(set(np.asarray(regions).tolist())),
        "confusion": confusion_matrix(y, preds[0], labels=[0, 1]).tolist(),
    }


def paired_accuracy_difference(a: np.ndarray, b: np.ndarray, regions: np.ndarray) -> dict[str, Any]:
    """Accuracy of method a minus method b at the same places, with a paired cluster-bootstrap CI.

    Both methods' per-place scores are resampled together, region by region, so the interval is
    the difference's own (narrower than two overlapping intervals suggest, and honest about regions).
    """
    diff = np.asarray(a, float) - np.asarray(b, float)
    lo, hi = bootstrap_ci(diff, clusters=regions)
    return {"difference": round(float(diff.mean()), 4), "ci95": [round(lo, 4), round(hi, 4)]}


PAIRS = (("cgan_features", "interpolated_features"), ("cgan_features_paper", "interpolated_features"),
         ("overhead_plus_cgan", "overhead_only"), ("cgan_images", "interpolated_features"),
         ("cgan_features", "retrieved_views"), ("cgan_images", "retrieved_views"))
"""Paired differences reported: the paper's claim for both cGANs, whether views add to the overhead, and
whether generation beats retrieval (real views of alike places, which also need only the overhead patch)."""


def _score(maker: FeatureMaker, method: str, train: Places, y_train: np.ndarray, test: Places, y_test: np.ndarray,
           keys: tuple[str, str], runs: int, k: int, n_views: int,
           bank: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fit one method on ``train``, predict ``test``, ``runs`` times (generation seeds): correctness, predictions."""
    correct, preds = np.zeros((runs, len(y_test))), []
    for s in range(runs):
        xtr = maker.features(method, train, keys[0], k=k, n_views=n_views, seed=s, bank=bank)
        xte = maker.features(method, test, keys[1], k=k, n_views=n_views, seed=1000 + s, bank=bank)
        pred = fit_classifier(xtr, y_train).predict(xte)
        correct[s] = pred == y_test
        preds.append(pred)
    return correct, preds


def evaluate(explorer: Explorer, k: int = 8, n_views: int = 4, seeds: int = 5, test_photos: Path | None = None,
             folds: int = 0, k_grid: tuple[int, ...] = (1, 4, 8, 16, 32),
             progress: ProgressFn | None = None) -> dict[str, Any]:
    """Score every available method; see the module docstring.

    Raises:
        DataError: If a test CSV has no usable labelled place.
        ConfigError: If ``folds`` exceeds the number of regions.
        CheckpointError: If a shipped model is unusable.
    """
    t0 = time.time()
    if folds:  # a bad --folds fails before the long part, not after it
        d = explorer.data
        region_folds(d.loc_region[d.loc_label >= 0], folds, explorer.area.split.seed)
    maker = FeatureMaker(explorer, progress)
    key = explorer.data.key
    train, y_train, _ = project_places(explorer, "train")
    if test_photos is None:
        test, y_test, _ = project_places(explorer, "test")
        test_key, split = f"test-{key}", f"test side of the split ({explorer.area.split.rule})"
    else:
        test, y_test, test_key = _csv_places(explorer, Path(test_photos))
        split = f"places of {test_photos}"
    keys = (f"train-{key}", test_key)
    methods = available_methods(explorer)
    results: dict[str, Any] = {}
    per_place: dict[str, np.ndarray] = {}
    for method in methods:
        correct, preds = _score(maker, method, train, y_train, test, y_test, keys,
                                seeds if method in GENERATED else 1, k, n_views)
        results[method] = _summary(correct, preds, y_test, test.regions)
        per_place[method] = correct.mean(0)
    paired = {f"{a} - {b}": paired_accuracy_difference(per_place[a], per_place[b], test.regions)
              for a, b in PAIRS if a in per_place and b in per_place}
    sensitivity = {}
    for kk in k_grid:
        row = {}
        for method in (m for m in INTERPOLATED if m in methods):
            correct, _ = _score(maker, method, train, y_train, test, y_test, keys, 1, kk, n_views)
            row[method] = round(float(correct.mean()), 4)
        sensitivity[str(kk)] = row
    n_regions = len(set(test.regions.tolist()))
    out = {
        "task": "urban_vs_rural", "classes": explorer.area.landcover.group_names, "split": split,
        "split_summary": explorer.data.split.summary(),
        "intervals": f"95% cluster bootstrap over the {n_regions} test regions (1000 resamples of whole regions)",
        "n_train_places": int(len(y_train)), "n_test_places": int(len(y_test)), "n_test_regions": n_regions,
        "test_label_counts": {g: int((y_test == i).sum()) for i, g in enumerate(explorer.area.landcover.group_names)},
        "settings": {"k": k, "n_views": n_views, "seeds": seeds, "classifier": "standardised logistic regression, "
                     "C=0.1, class-balanced", "generated_view_features": "EfficientNet-Lite0 at 64 px"},
        "methods": results, "paired": paired, "k_sensitivity": sensitivity, "paper_reported": PAPER,
        "models": {name: explorer.gan(name).label for name in explorer.available()},
    }
    if folds:
        out["folds"] = fold_evaluation(explorer, maker, folds, k=k)
    out.update(machine=machine(), date=time.strftime("%Y-%m-%d"), seconds=round(time.time() - t0, 1))
    return out


def run_evaluation(explorer: Explorer, path: Path | None = None, progress: ProgressFn | None = None,
                   **kwargs: Any) -> dict[str, Any]:
    """Run ``evaluate`` and write its JSON atomically to ``path`` (default ``results/evaluate.json``)."""
    result = evaluate(explorer, progress=progress, **kwargs)
    atomic_write_text(Path(path or RESULTS / "evaluate.json"), json.dumps(result, indent=2) + "\n")
    return result


def fold_evaluation(explorer: Explorer, maker: FeatureMaker, folds: int, k: int = 8) -> dict[str, Any]:
    """The methods that need no GAN training over ``folds`` region folds: every region is a test region once.

    In each fold the other folds' places are the training places (and the interpolation bank),
    less those within ``[split].buffer_km`` of a test place.

    Raises:
        ConfigError: If there are fewer regions than folds.
    """
    d, cfg = explorer.data, explorer.area.split
    lab = np.flatnonzero(d.loc_label >= 0)
    fold_of = region_folds(d.loc_region[lab], folds, cfg.seed)
    y = d.loc_label[lab].astype(int)
    methods = available_methods(explorer, CHEAP)
    correct = {m: np.zeros(len(lab)) for m in methods}
    preds = {m: np.zeros(len(lab), int) for m in methods}
    dropped = 0
    for f in range(folds):
        codes = buffer_drop(np.where(fold_of == f, 2, 0), d.loc_lat[lab], d.loc_lon[lab], cfg.buffer_km)
        tr, te = codes == 0, fold_of == f
        dropped += int((codes == DROPPED).sum())
        bank = lab[tr]
        train, test = places_at(explorer, lab[tr], bank), places_at(explorer, lab[te], bank)
        keys = (f"fold{f}of{folds}-train-{d.key}", f"fold{f}of{folds}-test-{d.key}")
        for m in methods:
            c, p = _score(maker, m, train, y[tr], test, y[te], keys, 1, k, 4, bank=bank)
            correct[m][te], preds[m][te] = c[0], p[0]
    regions = d.loc_region[lab]
    return {"folds": folds, "places": int(len(lab)), "regions": len(set(regions.tolist())),
            "dropped_by_buffer": dropped,
            "methods": {m: _summary(correct[m][None], [preds[m]], y, regions) for m in methods}}


def _balanced_bootstrap(y: np.ndarray, preds: np.ndarray, regions: np.ndarray | None = None,
                        n_boot: int = 1000, seed: int = 0) -> list[float]:
    vals = [np.mean([balanced_accuracy_score(y[idx], p[idx]) for p in preds])
            for idx in resamples(len(y), n_boot, seed, regions) if len(np.unique(y[idx])) == 2]
    if not vals:
        return [float("nan"), float("nan")]
    return [round(float(np.quantile(vals, 0.025)), 4), round(float(np.quantile(vals, 0.975)), 4)]


def save_heads(explorer: Explorer, k: int = 8, n_views: int = 4, progress: ProgressFn | None = None) -> Path:
    """Fit the per-click methods on all train places and ship them as ``checkpoints/landcover_heads.pt``."""
    maker = FeatureMaker(explorer, progress)
    train, y, _ = project_places(explorer, "train")
    key = f"train-{explorer.data.key}"
    heads, banks = {}, {}
    for method in ("overhead_only", "interpolated_features", "unconditional_gan", "cgan_images", "cgan_features"):
        if method not in available_methods(explorer):
            continue
        clf = fit_classifier(maker.features(method, train, key, k=k, n_views=n_views, seed=0), y)
        scaler, lr = clf.named_steps["standardscaler"], clf.named_steps["logisticregression"]
        arrays = {"mean": scaler.mean_, "scale": scaler.scale_, "coef": lr.coef_, "intercept": lr.intercept_}
        heads[method] = {name: torch.from_numpy(np.asarray(a)).float() for name, a in arrays.items()}
        if method in INTERPOLATED:
            blat, blon, bank = maker.bank(method)
            banks[method] = {"lat": torch.from_numpy(blat).double(), "lon": torch.from_numpy(blon).double(),
                             "feats": torch.from_numpy(bank).half()}
    path = explorer.checkpoints / f"{HEADS}.pt"
    save_checkpoint(path, {"kind": HEADS, "classes": explorer.area.landcover.group_names, "k": k, "heads": heads,
                           "banks": banks, "n_views": n_views,
                           "models": {n: explorer.gan(n).label for n in explorer.available()}})
    update_manifest(explorer.checkpoints, HEADS, {"file": path.name, "sha256": sha256(path), "kind": HEADS,
                                                  "bytes": path.stat().st_size, "methods": sorted(heads),
                                                  "train_places": int(len(y)), "k": k, "n_views": n_views})
    return path
