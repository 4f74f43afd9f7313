"""GAN losses, the land-cover class loss, DiffAugment and the mode-seeking regulariser."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def d_loss(real: torch.Tensor, fake: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Discriminator loss terms ``(on real, on fake)`` for ``bce`` or ``hinge``."""
    if kind == "hinge":
        return F.relu(1 - real).mean(), F.relu(1 + fake).mean()
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real)),
            F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def g_loss(fake: torch.Tensor, kind: str) -> torch.Tensor:
    """Generator adversarial loss (non-saturating BCE, or hinge)."""
    if kind == "hinge":
        return -fake.mean()
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def mode_seeking(fake_a: torch.Tensor, fake_b: torch.Tensor, in_a: torch.Tensor, in_b: torch.Tensor) -> torch.Tensor:
    """MSGAN regulariser (Mao et al. 2019): penalise images that change less than their inputs.

    The inputs are the noise (mode seeking) or the overhead patches (place seeking); pairs with
    equal inputs (two views of one place) are left out. 0 when no pair is left.
    """
    d_in = (in_a - in_b).abs().flatten(1).mean(dim=1)
    keep = d_in > 1e-6
    if not bool(keep.any()):
        return fake_a.sum() * 0.0
    ratio = (fake_a - fake_b)[keep].abs().mean(dim=(1, 2, 3)) / d_in[keep]
    return (1.0 / (ratio + 1e-5)).mean()


def class_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the targets that exist (``-1``: no class); 0 when none does."""
    valid = target >= 0
    if not bool(valid.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[valid], target[valid])


def diff_augment(x: torch.Tensor, policy: tuple[str, ...]) -> torch.Tensor:
    """Differentiable augmentation (Zhao et al. 2020) applied to real and fake alike."""
    for p in policy:
        x = _AUGMENTS[p](x)
    return x


def _color(x: torch.Tensor) -> torch.Tensor:
    b = x.shape[0]
    x = x + (torch.rand(b, 1, 1, 1, device=x.device) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(b, 1, 1, 1, device=x.device) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(b, 1, 1, 1, device=x.device) + 0.5) + mean


def _translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    b, _, h, w = x.shape
    m = int(h * ratio + 0.5)
    shift = torch.randint(-m, m + 1, (b, 2), device=x.device).float()
    theta = torch.zeros(b, 2, 3, device=x.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2], theta[:, 1, 2] = shift[:, 0] * 2 / w, shift[:, 1] * 2 / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    y0 = torch.randint(0, h - ch + 1, (b, 1, 1), device=x.device)
    x0 = torch.randint(0, w - cw + 1, (b, 1, 1), device=x.device)
    ys = torch.arange(h, device=x.device)[None, :, None]
    xs = torch.arange(w, device=x.device)[None, None, :]
    hole = (ys >= y0) & (ys < y0 + ch) & (xs >= x0) & (xs < x0 + cw)
    return x * (~hole)[:, None].to(x.dtype)


_AUGMENTS = {"color": _color, "translation": _translation, "cutout": _cutout}
