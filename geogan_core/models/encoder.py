"""The overhead-condition encoder: a small CNN from a (C, S, S) patch to a vector."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class ConditionEncoder(nn.Module):
    """Encode an overhead patch into a ``c_dim`` vector (strided convs, global pool, linear).

    Args:
        in_channels: Channels of the overhead patch.
        c_dim: Size of the output vector.
        width: Channels of the first conv (doubled twice).
        sn: Wrap layers in spectral norm (for discriminators).
    """

    def __init__(self, in_channels: int, c_dim: int, width: int = 32, sn: bool = False) -> None:
        super().__init__()
        wrap = spectral_norm if sn else (lambda m: m)
        w = width
        self.net = nn.Sequential(
            wrap(nn.Conv2d(in_channels, w, 3, 2, 1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(w, 2 * w, 3, 2, 1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(2 * w, 4 * w, 3, 2, 1)), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            wrap(nn.Linear(4 * w, c_dim)),
        )

    def forward(self, patch: torch.Tensor) -> torch.Tensor:
        """Map ``(B, C, S, S)`` patches in [0, 1] to ``(B, c_dim)``."""
        return self.net(patch * 2 - 1)
