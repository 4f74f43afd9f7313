"""The exemplar cGAN: a U-Net that edits a real view of an alike training place under the place's condition.

The exemplar is a heading crop of one of the ``k`` training places whose overhead patch is most
alike (the cross-view memory, ``models.crossview.PlaceMemory``, frozen inside the generator, as in
the retrieval-guided cGAN); a training place never picks itself. The noise chooses which alike
place, where in its panorama strip and whether to mirror it, then modulates every decoder layer
(AdaIN) with the overhead code. There is no pixel loss: the generator learns only from the
discriminator (and the modern recipe's land-cover, mode- and place-seeking terms), so it may
keep, change or drop what the exemplar shows. The U-Net passes the exemplar's features across
only at its two coarsest scales: the fine detail is the generator's own, which makes copying harder.

The exemplars' pixels are *not* in the checkpoint (committed files never hold the Street View
photos): the training loop and the explorer hand them over from the data (``set_exemplars``), in
the memory's order of training places.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import nn

from geogan_core.data.strips import strip_windows
from geogan_core.models.crossview import PlaceMemory
from geogan_core.models.encoder import ConditionEncoder
from geogan_core.models.guided import MEMORY_DIM, RETRIEVED
from geogan_core.models.modern import _ModulatedUp, _unit_rms, _up
from geogan_core.models.projected import modern_discriminator

if TYPE_CHECKING:
    from geogan_core.models.registry import ModelConfig

SKIPS = 2  # encoder scales passed across (the coarsest ones)


def _down(cin: int, cout: int, norm: bool = True) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.InstanceNorm2d(cout) if norm else nn.Identity(),
                         nn.LeakyReLU(0.2))


class ExemplarGenerator(nn.Module):
    """Exemplar in, edited view out: ``G(z, patch)`` picks the exemplar itself (``exemplars``).

    Without exemplars (before ``set_exemplars``) it edits a grey image.
    """

    def __init__(self, in_channels: int, z_dim: int = 100, c_dim: int = 100, ngf: int = 64, w_dim: int = 256,
                 image_size: int = 64, upsample: str = "transposed", k: int = RETRIEVED,
                 memory_dim: int = MEMORY_DIM) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.k, self.size = z_dim, c_dim, k, image_size
        self.encoder = ConditionEncoder(in_channels, c_dim)
        self.memory = PlaceMemory(in_channels, memory_dim).requires_grad_(False)
        self.mapping = nn.Sequential(
            nn.Linear(z_dim + c_dim, w_dim), nn.LeakyReLU(0.2),
            nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2),
            nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2),
        )
        n = {64: 4, 128: 5}[image_size]
        chans = [ngf, ngf * 2, ngf * 4, ngf * 8, ngf * 8][:n]  # at S/2, S/4, ... S/2^n
        self.down = nn.ModuleList(_down(a, b, norm=i > 0)
                                  for i, (a, b) in enumerate(zip([3, *chans[:-1]], chans, strict=True)))
        blocks, c = [], chans[-1]
        for i in range(n - 1):
            blocks.append(_ModulatedUp(c, chans[-2 - i], w_dim, upsample=upsample))
            c = chans[-2 - i] * (2 if i < SKIPS else 1)
        self.up = nn.ModuleList(blocks)
        self.to_rgb = _up(c, 3, upsample)
        self.register_buffer("cond_weight", torch.ones(()), persistent=False)  # ramped in by the training loop
        # the memory places' views (uint8 strips, see data.strips.place_strips): never saved
        self.register_buffer("views", torch.zeros(0, 3, image_size, image_size, dtype=torch.uint8), persistent=False)
        self.register_buffer("first", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("count", torch.zeros(0, dtype=torch.long), persistent=False)

    def set_exemplars(self, views: torch.Tensor, first: torch.Tensor, count: torch.Tensor) -> None:
        """The views of the memory's places, in its order (``data.strips.place_strips`` of the training places).

        Raises:
            ValueError: If they are not one strip per memory place, or of another size.
        """
        if len(first) != len(self.memory.keys) or views.shape[-1] != self.size:
            raise ValueError(f"exemplars of {len(first)} places at {views.shape[-1]} px for a memory of "
                             f"{len(self.memory.keys)} places at {self.size} px")
        device = self.first.device
        self.views, self.first, self.count = views.to(device), first.to(device), count.to(device)

    def exemplars(self, z: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """The exemplar of each (noise, place): ``(B, 3, S, S)`` in [-1, 1].

        The noise's first three numbers, as uniforms, choose the alike place (among the ``k``), the
        crop's start in its strip and a mirror flip.
        """
        if not len(self.first):
            return patch.new_zeros(len(patch), 3, self.size, self.size)
        with torch.no_grad():
            _, idx = self.memory.search(patch, self.k, skip_self=True)
            u = 0.5 * (1 + torch.erf(z[:, :3].float() / math.sqrt(2)))
            pick = (u[:, 0] * idx.shape[1]).long().clamp(max=idx.shape[1] - 1)
            place = idx[torch.arange(len(idx), device=idx.device), pick]
            start = (u[:, 1] * self.count[place] * self.size).long()
            img = strip_windows(self.views, self.first, self.count, place, start).float() / 127.5 - 1
            return torch.where((u[:, 2] < 0.5)[:, None, None, None], img.flip(-1), img)

    def embed(self, patch: torch.Tensor) -> torch.Tensor:
        """Condition code of overhead patches."""
        return self.encoder(patch)

    def forward(self, z: torch.Tensor, patch: torch.Tensor) -> torch.Tensor:
        """Generate ``(B, 3, S, S)`` views in [-1, 1]."""
        return self.edit(self.exemplars(z, patch), z, self.embed(patch))

    def edit(self, exemplar: torch.Tensor, z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """The U-Net: an exemplar edited under noise and condition code."""
        w = self.mapping(torch.cat([_unit_rms(z), self.cond_weight * _unit_rms(code)], 1))
        feats, x = [], exemplar
        for block in self.down:
            x = block(x)
            feats.append(x)
        for i, block in enumerate(self.up):
            x = block(x, w)
            if i < SKIPS:
                x = torch.cat([x, feats[-2 - i]], 1)
        return torch.tanh(self.to_rgb(x))


def build_exemplar(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    """``(ExemplarGenerator, discriminator)`` for a ``ModelConfig`` of arch ``exemplar``."""
    G = ExemplarGenerator(cfg.in_channels, cfg.z_dim, cfg.c_dim, cfg.ngf, image_size=cfg.image_size,
                          upsample=cfg.upsample)
    return G, modern_discriminator(cfg)
