"""Image features for any batch of views: EfficientNet-Lite0 and GAN discriminators."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from geogan_core.progress import ProgressFn, track


def uint8_to_tensor(images: np.ndarray) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 -> ``(N, 3, H, W)`` float in [-1, 1]."""
    return torch.tensor(np.asarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1  # copies: inputs may be mmap


@torch.no_grad()
def image_features(net: nn.Module, images: np.ndarray, batch: int = 64,
                   progress: ProgressFn | None = None, desc: str = "image features") -> np.ndarray:
    """EfficientNet-Lite0 (or any image -> vector net) features of uint8 images: ``(N, D)`` float32."""
    starts = range(0, len(images), batch)
    out = [net(uint8_to_tensor(images[s: s + batch])).numpy() for s in track(starts, len(starts), desc, progress)]
    return np.concatenate(out) if out else np.zeros((0, getattr(net, "feature_dim", 0)), np.float32)


@torch.no_grad()
def discriminator_features(D: nn.Module, images: np.ndarray, patches: np.ndarray, batch: int = 128,
                           progress: ProgressFn | None = None) -> np.ndarray:
    """A discriminator's pooled features of images with their overhead condition: ``(N, D)``."""
    starts = range(0, len(images), batch)
    out = [D.features(uint8_to_tensor(images[s: s + batch]), torch.tensor(
        np.asarray(patches[s: s + batch], np.float32))).numpy()
        for s in track(starts, len(starts), "discriminator features", progress)]
    return np.concatenate(out) if out else np.zeros((0, D.feature_dim), np.float32)


def cached_features(cache_dir: Path, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Load ``cache_dir/features-<key>.npy`` or compute and store it atomically."""
    path = Path(cache_dir) / f"features-{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    arr = np.asarray(compute(), np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".npy.part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return arr


def real_view_features(cache_dir: Path, data_key: str, views: np.ndarray, net: Callable[[], nn.Module],
                       progress: ProgressFn | None = None) -> np.ndarray:
    """EfficientNet-Lite0 features of all real 64x64 views, cached by the paired-data key."""
    return cached_features(cache_dir, f"lite0-real-{data_key}",
                           lambda: image_features(net(), views, progress=progress, desc="real view features"))
