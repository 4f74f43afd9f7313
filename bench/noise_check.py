"""Does the noise reach the views? For each shipped cGAN, at 16 test places x 8 noises.

Prints the pixel standard deviation over noises at one place beside the one over places at one
noise and, for the paper model, what the noise and the condition code each add to its first
layer (the paper's generator concatenates them: a code much larger than the noise drowns it).
    .venv/bin/python bench/noise_check.py
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from geogan_core.checkpoint import default_checkpoints
from geogan_core.config import load_config
from geogan_core.data.paired import load_paired
from geogan_core.errors import exit_status
from geogan_core.inference.models import load_gan, read_manifest
from geogan_core.models.noise import latents


@torch.no_grad()
def main() -> None:
    data = load_paired(load_config())
    places = np.flatnonzero(data.split_mask("test"))[::11][:16]
    patch = torch.from_numpy(data.patches[places].astype(np.float32))
    out = {}
    for name in ("paper", "modern"):
        if name not in read_manifest(default_checkpoints()):
            continue
        G = load_gan(name, default_checkpoints()).G.eval()
        z = latents(8, 0, G.z_dim)
        views = torch.stack([G(z, p[None].expand(8, -1, -1, -1)) for p in patch])  # (place, noise, 3, H, W)
        row = {"pixel_std_over_noises": round(views.std(1).mean().item(), 4),
               "pixel_std_over_places": round(views.std(0).mean().item(), 4)}
        if name == "paper":
            w = G.net[0].weight  # (z_dim + c_dim, out, 4, 4): noise rows first
            zz = latents(len(patch), 1, G.z_dim)
            row["first_layer_norm_noise"] = round(torch.einsum("bi,iokl->bokl", zz, w[: G.z_dim]).flatten(1)
                                                  .norm(dim=1).mean().item(), 2)
            row["first_layer_norm_code"] = round(torch.einsum("bi,iokl->bokl", G.embed(patch), w[G.z_dim:])
                                                 .flatten(1).norm(dim=1).mean().item(), 2)
            row["code_norm"], row["noise_norm"] = round(G.embed(patch).norm(dim=1).mean().item(), 2), \
                round(zz.norm(dim=1).mean().item(), 2)
        out[name] = row
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    sys.exit(exit_status(main))
