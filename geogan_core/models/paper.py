"""The paper's cGAN (Deng, Zhu, Newsam 2018) and, with ``c_dim = 0``, its unconditional GAN.

Generator: [100-d condition code, 100-d noise] -> DCGAN transposed convs 4->8->16->32->64
with BatchNorm and tanh. Discriminator: the 64x64 view with the condition code tiled to
64x64 as extra channels -> DCGAN strided convs -> one logit. Trained with BCE.
"""

from __future__ import annotations

import torch
from torch import nn

from geogan_core.models.encoder import ConditionEncoder


class PaperGenerator(nn.Module):
    """DCGAN generator conditioned on an encoded overhead patch (unconditional when c_dim=0)."""

    def __init__(self, in_channels: int, z_dim: int = 100, c_dim: int = 100, ngf: int = 64) -> None:
        super().__init__()
        self.z_dim, self.c_dim = z_dim, c_dim
        self.encoder = ConditionEncoder(in_channels, c_dim) if c_dim else None

        def up(cin: int, cout: int) -> list[nn.Module]:
            return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim + c_dim, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            *up(ngf * 8, ngf * 4), *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def embed(self, patch: torch.Tensor) -> torch.Tensor:
        """Condition code of overhead patches (an empty vector when unconditional)."""
        if self.encoder is None:
            return patch.new_zeros(patch.shape[0], 0)
        return self.encoder(patch)

    def forward(self, z: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """Generate ``(B, 3, 64, 64)`` views in [-1, 1]."""
        return self.synthesize(z, self.embed(patch))

    def synthesize(self, z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Generate from noise and an already-computed condition code."""
        return self.net(torch.cat([z, code], 1)[:, :, None, None])


class TiledConditionConv(nn.Module):
    """``Conv2d(k=4, s=2, p=1)`` over ``[image, code tiled to the image size]``, computed cheaply.

    The result equals the plain convolution of the concatenated tensor (a unit test checks
    it), but the tiled part costs ``O(c_dim)`` per output pixel instead of a 64x64 convolution
    over ``c_dim`` channels: a constant input convolved with zero padding only depends on
    which kernel taps fall inside the image.
    """

    def __init__(self, img_channels: int, c_dim: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(img_channels + c_dim, out_channels, 4, 2, 1, bias=False)
        self.img_channels = img_channels
        self._valid: dict[tuple[int, int], torch.Tensor] = {}

    def _taps(self, h: int, w: int, device: torch.device) -> torch.Tensor:
        key = (h, w)
        if key not in self._valid:
            ones = torch.ones(1, 1, h, w)
            eye = torch.eye(16).view(16, 1, 4, 4)
            self._valid[key] = nn.functional.conv2d(ones, eye, stride=2, padding=1)[0]  # (16, h/2, w/2)
        return self._valid[key].to(device)

    def forward(self, img: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """``img`` (B, C, H, W) and ``code`` (B, c_dim) -> (B, out, H/2, W/2)."""
        w_img, w_code = self.conv.weight[:, : self.img_channels], self.conv.weight[:, self.img_channels:]
        out = nn.functional.conv2d(img, w_img, stride=2, padding=1)
        per_tap = torch.einsum("ockl,bc->bokl", w_code, code).flatten(2)  # (B, out, 16)
        taps = self._taps(img.shape[2], img.shape[3], img.device)
        return out + torch.einsum("bot,tij->boij", per_tap, taps)


class PaperDiscriminator(nn.Module):
    """DCGAN discriminator; the condition code is tiled to 64x64 and stacked on the image."""

    def __init__(self, in_channels: int, c_dim: int = 100, ndf: int = 64) -> None:
        super().__init__()
        self.c_dim = c_dim
        self.encoder = ConditionEncoder(in_channels, c_dim) if c_dim else None

        def down(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True)]

        self.stem = TiledConditionConv(3, c_dim, ndf)
        self.body = nn.Sequential(
            nn.LeakyReLU(0.2, True), *down(ndf, ndf * 2), *down(ndf * 2, ndf * 4), *down(ndf * 4, ndf * 8),
        )
        self.head = nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False)
        self.feature_dim = ndf * 8

    def _body(self, img: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        code = self.encoder(patch) if self.encoder is not None else img.new_zeros(img.shape[0], 0)
        return self.body(self.stem(img, code))

    def forward(self, img: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """One real/fake logit per image, shape ``(B,)``."""
        return self.head(self._body(img, patch)).flatten()

    def features(self, img: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """Penultimate features, spatially averaged: ``(B, 8 * ndf)``."""
        return self._body(img, patch).mean(dim=(2, 3))
