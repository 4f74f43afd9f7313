"""The generators' noise: seeded, and the same view ``i`` whatever the batch."""

from __future__ import annotations

import torch


def latents(n: int, seed: int, z_dim: int) -> torch.Tensor:
    """Noise for ``n`` views at one seed; view ``i`` is the same whatever ``n`` is.

    Rows are drawn one at a time: torch's batched normal sampler does not give a prefix of a
    longer draw the same values.
    """
    g = torch.Generator().manual_seed(int(seed))
    return torch.cat([torch.randn(1, z_dim, generator=g) for _ in range(n)]) if n else torch.zeros(0, z_dim)
