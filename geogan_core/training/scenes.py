"""Train the scene classifier: a linear head on EfficientNet-Lite0 features of the 8 scene classes."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from geogan_core.checkpoint import load_image_features, save_checkpoint
from geogan_core.errors import DataError, DataNotFoundError
from geogan_core.models.extract import image_features
from geogan_core.models.scenes import SCENE_CLASSES, SceneClassifier

log = logging.getLogger(__name__)


def load_scene_photos(root: Path, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, size, size, 3)`` uint8 and class indices from ``root/<class>/*.jpg``."""
    if not root.is_dir():
        raise DataNotFoundError(f"scene photo folder {root} not found; check [scenes].root")
    images, labels = [], []
    for k, name in enumerate(SCENE_CLASSES):
        for p in sorted((root / name).glob("*.jpg")):
            with Image.open(p) as im:
                images.append(np.asarray(im.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)))
            labels.append(k)
    if not images:
        raise DataError(f"no scene photos under {root}/<{'|'.join(SCENE_CLASSES)}>/*.jpg")
    return np.stack(images), np.asarray(labels)


def _stratified_split(labels: np.ndarray, test_frac: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), bool)
    for k in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == k))
        test[idx[: int(round(len(idx) * test_frac))]] = True
    return test


def scene_features(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Lite0 features ``(N, D)`` of the scene photos under ``root`` and their class indices."""
    images, labels = load_scene_photos(root)
    return image_features(load_image_features(), images, desc="scene features"), labels


def train_scenes(root: Path, run_dir: Path, seed: int = 0, epochs: int = 300) -> Path:
    """Fit the head on the scene photos under ``root`` (see :func:`train_scene_features`)."""
    feats, labels = scene_features(root)
    return train_scene_features(feats, labels, run_dir, seed, epochs, {"root": str(root), "images": len(labels)})


def train_scene_features(features: np.ndarray, labels: np.ndarray, run_dir: Path, seed: int = 0,
                         epochs: int = 300, source: dict[str, object] | None = None) -> Path:
    """Fit the head on 80% of the photos' features (stratified, seeded), report accuracy on the other 20%."""
    t0 = time.time()
    torch.manual_seed(seed)
    feats = torch.from_numpy(np.asarray(features, np.float32))
    labels = np.asarray(labels)
    test = _stratified_split(labels, 0.2, seed)
    y = torch.from_numpy(labels)
    mean, std = feats[~test].mean(0), feats[~test].std(0) + 1e-6
    x = (feats - mean) / std
    head = SceneClassifier(x.shape[1], len(SCENE_CLASSES))
    opt = torch.optim.AdamW(head.parameters(), 1e-2, weight_decay=0.05)
    tr = torch.from_numpy(~test)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(x[tr]), y[tr])
        loss.backward()
        opt.step()
    # fold the standardisation into the linear layer so the head takes raw features
    with torch.no_grad():
        head.head.bias -= (head.head.weight * (mean / std)).sum(1)
        head.head.weight /= std
        pred = head(feats).argmax(1).numpy()
    acc = float((pred[test] == labels[test]).mean())
    per_class = {name: float((pred[test & (labels == k)] == k).mean()) for k, name in enumerate(SCENE_CLASSES)}
    log.info("scene classifier held-out accuracy %.3f", acc)
    path = Path(run_dir) / "latest.pt"
    save_checkpoint(path, {"kind": "scenes", "head": head.state_dict(), "classes": list(SCENE_CLASSES),
                           "feature_dim": int(x.shape[1]), "feature_size": 128,
                           "metrics": {"heldout_accuracy": acc, "per_class_accuracy": per_class,
                                       "n_train": int((~test).sum()), "n_test": int(test.sum())},
                           "train_seconds": time.time() - t0, "seed": seed, "data": source or {}})
    return path
