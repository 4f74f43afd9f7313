"""``python -m geogan_core evaluate``: the paper's table on our data, honestly.

Urban vs rural (MODIS groups from the config) at the held-out places of the spatially
blocked split (or at the places of any photo CSV). For each method a logistic regression is
fitted on the train-split places only; GAN methods are repeated over several generation
seeds; 95% intervals are percentile bootstraps over places.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, confusion_matrix
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from geogan_core.checkpoint import save_checkpoint, sha256, update_manifest
from geogan_core.data.photos import load_views, read_photo_table
from geogan_core.errors import DataError, DataNotFoundError
from geogan_core.evaluation.bench import machine
from geogan_core.evaluation.methods import GENERATED, INTERPOLATED, METHODS, FeatureMaker, Places, project_places
from geogan_core.evaluation.stats import bootstrap_ci
from geogan_core.inference.generate import Explorer
from geogan_core.inference.votes import HEADS
from geogan_core.progress import ProgressFn

__all__ = ["METHODS", "PAPER", "evaluate", "fit_classifier", "save_heads"]

PAPER = {"interpolated_features": 0.65, "unconditional_gan": 0.68, "cgan_images": 0.70, "cgan_features": 0.73}
"""Accuracies the paper reported (urban vs rural, a UK region, its own data): not comparable numbers."""


def fit_classifier(x: np.ndarray, y: np.ndarray) -> Pipeline:
    """Standardise, then a class-balanced L2 logistic regression."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000, class_weight="balanced")).fit(x, y)


def _csv_places(explorer: Explorer, csv: Path) -> tuple[Places, np.ndarray, str]:
    if not csv.is_file():
        raise DataNotFoundError(f"--test-photos {csv} not found; give a CSV with the columns of metadata.csv")
    table = read_photo_table(csv)
    table.warn_skipped(str(csv))
    vpi = explorer.area.photos.views_per_image
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
        labels.append(explorer.area.landcover.group_names.index(lab.group))
    if not keep:
        raise DataError(f"no usable labelled place in {csv}; it needs image,lat,lon rows on land")
    lat, lon = np.array([r.lat for r in keep]), np.array([r.lon for r in keep])
    st = csv.stat()
    key = hashlib.sha1(f"{csv.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    places = Places(lat, lon, explorer.stack.patches(lat, lon), np.stack(views), None)
    return places, np.asarray(labels), f"csv-{key}"


def available_methods(explorer: Explorer) -> list[str]:
    """Methods whose models are shipped."""
    have = set(explorer.available())
    out = []
    for m in METHODS:
        model = GENERATED[m][0] if m in GENERATED else ("ugan" if m == "unconditional_gan" else None)
        if model is None or model in have:
            out.append(m)
    return out


def evaluate(explorer: Explorer, k: int = 8, n_views: int = 4, seeds: int = 5, test_photos: Path | None = None,
             k_grid: tuple[int, ...] = (1, 4, 8, 16, 32), progress: ProgressFn | None = None) -> dict[str, Any]:
    """Score every available method; see the module docstring.

    Raises:
        DataError: If a test CSV has no usable labelled place.
        CheckpointError: If a shipped model is unusable.
    """
    t0 = time.time()
    maker = FeatureMaker(explorer, progress)
    train, y_train, _ = project_places(explorer, "train")
    if test_photos is None:
        test, y_test, _ = project_places(explorer, "test")
        test_key, split = f"test-{explorer.data.key}", "test (spatially blocked 10-degree cells)"
    else:
        test, y_test, test_key = _csv_places(explorer, Path(test_photos))
        split = f"places of {test_photos}"
    train_key = f"train-{explorer.data.key}"
    methods = available_methods(explorer)
    results: dict[str, Any] = {}
    for method in methods:
        runs = seeds if method in GENERATED else 1
        correct = np.zeros((runs, len(y_test)))
        bal, preds = [], []
        for s in range(runs):
            xtr = maker.features(method, train, train_key, k=k, n_views=n_views, seed=s)
            xte = maker.features(method, test, test_key, k=k, n_views=n_views, seed=1000 + s)
            pred = fit_classifier(xtr, y_train).predict(xte)
            correct[s] = pred == y_test
            bal.append(balanced_accuracy_score(y_test, pred))
            preds.append(pred)
        per_place = correct.mean(0)
        bal_boot = _balanced_bootstrap(y_test, np.stack(preds))
        results[method] = {
            "accuracy": round(float(per_place.mean()), 4), "ci95": [round(v, 4) for v in bootstrap_ci(per_place)],
            "balanced_accuracy": round(float(np.mean(bal)), 4), "balanced_ci95": bal_boot,
            "seed_std": round(float(correct.mean(1).std()), 4), "runs": runs, "n": int(len(y_test)),
            "confusion": confusion_matrix(y_test, preds[0], labels=[0, 1]).tolist(),
        }
    sensitivity = {}
    for kk in k_grid:
        row = {}
        for method in (m for m in INTERPOLATED if m in methods):
            xtr = maker.features(method, train, train_key, k=kk)
            xte = maker.features(method, test, test_key, k=kk)
            row[method] = round(float((fit_classifier(xtr, y_train).predict(xte) == y_test).mean()), 4)
        sensitivity[str(kk)] = row
    return {
        "task": "urban_vs_rural", "classes": explorer.area.landcover.group_names, "split": split,
        "n_train_places": int(len(y_train)), "n_test_places": int(len(y_test)),
        "test_label_counts": {g: int((y_test == i).sum()) for i, g in enumerate(explorer.area.landcover.group_names)},
        "settings": {"k": k, "n_views": n_views, "seeds": seeds, "classifier": "standardised logistic regression, "
                     "C=0.1, class-balanced", "generated_view_features": "EfficientNet-Lite0 at 64 px"},
        "methods": results, "k_sensitivity": sensitivity, "paper_reported": PAPER,
        "models": {name: explorer.gan(name).label for name in explorer.available()},
        "machine": machine(), "date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - t0, 1),
    }


def _balanced_bootstrap(y: np.ndarray, preds: np.ndarray, n_boot: int = 1000, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        if len(np.unique(y[idx])) < 2:
            continue
        vals.append(np.mean([balanced_accuracy_score(y[idx], p[idx]) for p in preds]))
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
