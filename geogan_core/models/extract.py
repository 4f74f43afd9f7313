"""Image features for any batch of views: EfficientNet-Lite0, GAN discriminators, the judge (pure compute)."""

from __future__ import annotations

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


@torch.no_grad()
def judge_probs(judge: nn.Module, images: np.ndarray, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The judge's class probabilities ``(N, C)`` and pooled features ``(N, D)`` of uint8 views (any size)."""
    judge.eval()
    probs, feats = [], []
    for s in range(0, len(images), batch):
        f = judge.features(uint8_to_tensor(images[s: s + batch]))
        feats.append(f.numpy())
        probs.append(judge.head(f).softmax(1).numpy())
    if not probs:
        return np.zeros((0, judge.n_classes), np.float32), np.zeros((0, judge.feature_dim), np.float32)
    return np.concatenate(probs), np.concatenate(feats)
