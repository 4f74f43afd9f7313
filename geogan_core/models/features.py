"""Feature caches on disk: real-view features computed once per dataset and reused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from torch import nn

from geogan_core.fileio import atomic_path
from geogan_core.models.extract import image_features
from geogan_core.progress import ProgressFn


def cached_features(cache_dir: Path, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """Load ``cache_dir/features-<key>.npy`` or compute and store it atomically."""
    path = Path(cache_dir) / f"features-{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    arr = np.asarray(compute(), np.float32)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, arr, allow_pickle=False)
    return arr


def real_view_features(cache_dir: Path, data_key: str, views: np.ndarray, net: Callable[[], nn.Module], size: int,
                       progress: ProgressFn | None = None) -> np.ndarray:
    """EfficientNet-Lite0 features of all real views (64 or 128 px) read at ``size`` px, cached by data key and sizes.

    ``net()`` must be Lite0 at that size (``checkpoint.load_image_features(size)``).
    """
    source = "" if views.shape[1] == 64 else str(views.shape[1])  # 64-px views keep their earlier cache name
    return cached_features(cache_dir, f"lite0-real{source}-{size}px-{data_key}",
                           lambda: image_features(net(), views, progress=progress, desc="real view features"))
