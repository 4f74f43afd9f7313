"""The independent judge: a small CNN trained from scratch on real views for the land-cover groups.

No pretrained weights: a generator trained against EfficientNet-Lite features can please any
judge built on that family (Kynkäänniemi et al., ICLR 2023), so the views' land cover and
their realism are also judged by a network that has never seen ImageNet nor the GANs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

JUDGE_SIZE = 64  # the judge reads 64-pixel views; larger views are downsampled (antialiased)


class Judge(nn.Module):
    """Four conv-BN-ReLU-pool blocks (64 -> 4 pixels), global average pool, dropout, linear.

    Args:
        n_classes: Land-cover groups (label order of the study area).
        width: Channels of the first block (doubled twice).
    """

    def __init__(self, n_classes: int = 2, width: int = 32) -> None:
        super().__init__()
        chans = [3, width, 2 * width, 4 * width, 4 * width]
        blocks: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-1], chans[1:], strict=True):
            blocks += [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
        self.body = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(chans[-1], n_classes)
        self.feature_dim = chans[-1]
        self.n_classes, self.width = n_classes, width

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` views in [-1, 1] to ``(B, feature_dim)`` pooled features."""
        if x.shape[-1] != JUDGE_SIZE:
            x = F.interpolate(x, size=(JUDGE_SIZE, JUDGE_SIZE), mode="bilinear", antialias=True, align_corners=False)
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Land-cover logits ``(B, n_classes)``."""
        return self.head(self.drop(self.features(x)))
