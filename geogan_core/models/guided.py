"""The retrieval-guided cGAN: the modern cGAN whose condition also holds what alike places look like.

Its condition is the overhead code plus the ground-view embedding of the ``k`` training places
whose overhead patch is most alike (the cross-view memory, ``models.crossview.PlaceMemory``,
frozen and carried inside the generator, so a checkpoint needs nothing else and an edited patch
retrieves other places). The places' embeddings are averaged with softmax weights of their
similarity. A training place never retrieves itself: the memory knows it by its own overhead
embedding whatever the key (``PlaceMemory.search(skip_self=True)``), so the condition a place
trains with is one an unseen place can have (a memory saved before that knows it only by an
``overhead`` key: keyed ``view``, 9.4% of the training places found themselves among their 5).
With the training loop's ``neighbour_p`` the discriminator's real view for a condition comes
from the place or one of its alike places (IC-GAN, Casanova et al. 2021); with ``ramp_start``
/``ramp_end`` the condition is ramped in after an unconditional start (transitional cGAN,
Shahbazi et al. 2022). The discriminator is the modern one, conditioned on the overhead patch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from geogan_core.models.crossview import PlaceMemory
from geogan_core.models.encoder import ConditionEncoder
from geogan_core.models.modern import ModernGenerator, _unit_rms
from geogan_core.models.projected import modern_discriminator

if TYPE_CHECKING:
    from geogan_core.models.registry import ModelConfig

RETRIEVED = 5  # alike places averaged into the condition (IC-GAN's k)
MEMORY_DIM = 64  # the cross-view embedding's size (retrieval.train.RetrievalConfig.dim)


class GuidedGenerator(ModernGenerator):
    """A ``ModernGenerator`` whose condition code is ``[overhead code, retrieved view embedding]``.

    An empty memory (before ``memory.fill`` or loading a checkpoint) retrieves zeros.
    """

    def __init__(self, in_channels: int, z_dim: int = 100, c_dim: int = 100, ngf: int = 64,
                 image_size: int = 64, upsample: str = "transposed", k: int = RETRIEVED,
                 memory_dim: int = MEMORY_DIM, temperature: float = 0.05) -> None:
        super().__init__(in_channels, z_dim, c_dim + memory_dim, ngf, image_size=image_size, upsample=upsample)
        self.c_dim = c_dim
        self.encoder = ConditionEncoder(in_channels, c_dim)
        self.memory = PlaceMemory(in_channels, memory_dim).requires_grad_(False)
        self.k, self.temperature = k, temperature

    def retrieve(self, patch: torch.Tensor) -> torch.Tensor:
        """Similarity-weighted mean ground-view embedding of the ``k`` most alike memory places."""
        if not len(self.memory.keys):
            return patch.new_zeros(len(patch), self.memory.values.shape[1])
        with torch.no_grad():
            sim, idx = self.memory.search(patch, self.k, skip_self=True)
            w = torch.softmax(sim / self.temperature, dim=1)
            return (w[..., None] * self.memory.values[idx]).sum(1)

    def embed(self, patch: torch.Tensor) -> torch.Tensor:
        """Condition code: the overhead code and the retrieved embedding, each at unit second moment."""
        return torch.cat([_unit_rms(self.encoder(patch)), _unit_rms(self.retrieve(patch))], 1)


def build_guided(cfg: ModelConfig) -> tuple[nn.Module, nn.Module]:
    """``(GuidedGenerator, discriminator)`` for a ``ModelConfig`` of arch ``guided``."""
    G = GuidedGenerator(cfg.in_channels, cfg.z_dim, cfg.c_dim, cfg.ngf, image_size=cfg.image_size,
                        upsample=cfg.upsample)
    return G, modern_discriminator(cfg)
