"""The modern cGAN: mapping network, modulated DCGAN generator, projection discriminator.

Generator: ``w = mapping([z, code])``; a DCGAN transposed-conv backbone (cheap on CPU)
whose every layer is instance-normalised and modulated by ``w`` (AdaIN), so the noise
reaches every scale. Instance norm has no running statistics, so the generator and its EMA
copy behave the same in train and eval mode.

Discriminator: spectral-norm strided convs -> pooled features ``h``; the logit is
``linear(h) + <proj(code), h>`` (a projection discriminator, Miyato & Koyama 2018, with
the class embedding replaced by a learned projection of the overhead code). With
``n_classes > 0`` an auxiliary head predicts the place's land-cover class from ``h`` alone
(AC-GAN, Odena et al. 2017): trained on real views only, it tells the generator what a
view of that land cover looks like, which the projection term alone did not.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from geogan_core.models.encoder import ConditionEncoder


def _unit_rms(x: torch.Tensor) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()


UPSAMPLING = ("transposed", "resize")


def _up(cin: int, cout: int, upsample: str) -> nn.Module:
    """Double the resolution: a stride-2 transposed conv, or nearest resize then a 3x3 conv (no checkerboard)."""
    if upsample == "resize":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1))
    return nn.ConvTranspose2d(cin, cout, 4, 2, 1)


class _ModulatedUp(nn.Module):
    def __init__(self, cin: int, cout: int, w_dim: int, first: bool = False, upsample: str = "transposed") -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 4, 1, 0) if first else _up(cin, cout, upsample)
        self.norm = nn.InstanceNorm2d(cout, affine=False)
        self.style = nn.Linear(w_dim, 2 * cout)
        nn.init.zeros_(self.style.weight)
        nn.init.zeros_(self.style.bias)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.conv(x))
        gamma, beta = self.style(w)[:, :, None, None].chunk(2, dim=1)
        return nn.functional.leaky_relu(x * (1 + gamma) + beta, 0.2)


class ModernGenerator(nn.Module):
    """Mapping network + AdaIN-modulated upsampling convs, 4 -> 64 (or 128) pixels.

    ``upsample``: ``transposed`` (stride-2 transposed convs) or ``resize`` (nearest resize, then
    a 3x3 conv: Odena et al. 2016, against the checkerboard).
    """

    def __init__(self, in_channels: int, z_dim: int = 100, c_dim: int = 100, ngf: int = 64,
                 w_dim: int = 256, image_size: int = 64, upsample: str = "transposed") -> None:
        super().__init__()
        self.z_dim, self.c_dim = z_dim, c_dim
        self.encoder = ConditionEncoder(in_channels, c_dim)
        self.mapping = nn.Sequential(
            nn.Linear(z_dim + c_dim, w_dim), nn.LeakyReLU(0.2),
            nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2),
            nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2),
        )
        n_up = {64: 4, 128: 5}[image_size]
        chans = [ngf * 8, ngf * 4, ngf * 2, ngf, ngf][: n_up]
        self.first = _ModulatedUp(w_dim, chans[0], w_dim, first=True)
        self.blocks = nn.ModuleList(_ModulatedUp(a, b, w_dim, upsample=upsample)
                                    for a, b in zip(chans[:-1], chans[1:], strict=True))
        self.to_rgb = _up(chans[-1], 3, upsample)
        # the condition's weight, ramped in by the training loop (0 = unconditional start); not saved:
        # a trained model runs at its ModelConfig.place_strength (build_gan sets it; 1 unless chosen)
        self.register_buffer("cond_weight", torch.ones(()), persistent=False)

    def embed(self, patch: torch.Tensor) -> torch.Tensor:
        """Condition code of overhead patches."""
        return self.encoder(patch)

    def forward(self, z: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """Generate ``(B, 3, S, S)`` views in [-1, 1]."""
        return self.synthesize(z, self.embed(patch))

    def synthesize(self, z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Generate from noise and an already-computed condition code."""
        return self.from_w(self.to_w(z, code))

    def to_w(self, z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """The mapping network: noise and condition code to the style vector ``w``.

        Both inputs are scaled to unit second moment first (as StyleGAN2-ADA does for its class
        embedding): without it the 100-d noise outweighs a small condition code and the generator
        learns to ignore the place.
        """
        return self.mapping(torch.cat([_unit_rms(z), self.cond_weight * _unit_rms(code)], 1))

    def from_w(self, w: torch.Tensor) -> torch.Tensor:
        """Generate views from style vectors ``w`` (where latent directions are applied)."""
        x = self.first(w[:, :, None, None], w)
        for block in self.blocks:
            x = block(x, w)
        return torch.tanh(self.to_rgb(x))


class ModernDiscriminator(nn.Module):
    """Spectral-norm projection discriminator; also the feature extractor for land cover."""

    def __init__(self, in_channels: int, c_dim: int = 100, ndf: int = 64, image_size: int = 64,
                 n_classes: int = 0) -> None:
        super().__init__()
        self.encoder = ConditionEncoder(in_channels, c_dim, sn=True)
        n_down = {64: 4, 128: 5}[image_size]
        chans = [3, ndf, ndf * 2, ndf * 4, ndf * 8, ndf * 8][: n_down + 1]
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:], strict=True):
            layers += [spectral_norm(nn.Conv2d(a, b, 4, 2, 1)), nn.LeakyReLU(0.2)]
        layers += [spectral_norm(nn.Conv2d(chans[-1], chans[-1], 3, 1, 1)), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.feature_dim = chans[-1]
        self.linear = spectral_norm(nn.Linear(self.feature_dim, 1))
        self.project = spectral_norm(nn.Linear(c_dim, self.feature_dim))
        self.classify = nn.Linear(self.feature_dim, n_classes) if n_classes else None
        self.register_buffer("cond_weight", torch.ones(()), persistent=False)  # as the generator's

    def features(self, img: torch.Tensor, patch: torch.Tensor | None = None) -> torch.Tensor:
        """Pooled image features ``(B, feature_dim)`` (mean over space)."""
        return self.body(img).mean(dim=(2, 3))

    def forward(self, img: torch.Tensor, patch: torch.Tensor,
                aux: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """One real/fake score per image, shape ``(B,)``; with ``aux``, also the land-cover logits."""
        h = self.features(img)
        code = self.encoder(patch)
        score = self.linear(h).flatten() + self.cond_weight * (self.project(code) * h).sum(1)
        if not aux:
            return score
        if self.classify is None:
            raise ValueError("this discriminator has no land-cover head (n_classes = 0)")
        return score, self.classify(h)
