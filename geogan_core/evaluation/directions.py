"""``python -m geogan_core directions``: name latent directions with the scene classifier.

Samples ``w`` at random train places, scores the generated views with the scene classifier,
fits one InterFaceGAN boundary per scene class plus a PCA (GANSpace-style), measures what each
named slider does at +3 sigma, and ships it all as ``checkpoints/directions.pt``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from geogan_core.checkpoint import load_image_features, save_checkpoint, sha256, update_manifest
from geogan_core.inference.generate import DIRECTIONS, Explorer
from geogan_core.inference.latent import Directions, fit_direction, pca_directions
from geogan_core.inference.models import load_scene_head
from geogan_core.models.noise import latents
from geogan_core.progress import ProgressFn, track


@torch.no_grad()
def _scene_probs(G: torch.nn.Module, w: torch.Tensor, lite0: torch.nn.Module, head: torch.nn.Module,
                 batch: int = 128) -> np.ndarray:
    out = []
    for s in range(0, len(w), batch):
        out.append(torch.softmax(head(lite0(G.from_w(w[s: s + batch]))), 1).numpy())
    return np.concatenate(out)


@torch.no_grad()
def fit_directions(explorer: Explorer, samples: int = 2000, n_pca: int = 8, check: int = 200, seed: int = 0,
                   progress: ProgressFn | None = None) -> dict[str, Any]:
    """Fit, measure and ship the directions; returns the slider-effect table."""
    t0 = time.time()
    gan = explorer.gan("modern")
    G = gan.G
    head, classes = load_scene_head(explorer.checkpoints)
    lite0 = load_image_features(128)
    data = explorer.data
    rng = np.random.default_rng(seed)
    train = np.flatnonzero(data.split_mask("train"))
    places = rng.choice(train, samples)
    z = latents(samples, seed, G.z_dim)
    ws = []
    for s in track(range(0, samples, 256), -(-samples // 256), "sampling w", progress):
        p = torch.from_numpy(data.patches[places[s: s + 256]].astype(np.float32))
        ws.append(G.to_w(z[s: s + 256], G.embed(p)))
    w = torch.cat(ws)
    probs = np.concatenate([_scene_probs(G, w[s: s + 256], lite0, head)
                            for s in track(range(0, samples, 256), -(-samples // 256), "scoring views", progress)])
    wn = w.numpy()
    logit = np.log(probs + 1e-6)
    vectors = [fit_direction(wn, logit[:, k] - logit.mean(1)) for k in range(len(classes))]
    sigma = [float((wn @ v).std()) for v in vectors]
    pcs, pc_sigma = pca_directions(wn, n_pca)
    d = Directions(names=[*classes, *[f"pc{i + 1}" for i in range(n_pca)]],
                   vectors=np.concatenate([np.stack(vectors), pcs]), sigma=np.concatenate([sigma, pc_sigma]),
                   kind=["semantic"] * len(classes) + ["pca"] * n_pca)
    # the slider-effect table: +3 sigma along each named direction, on `check` fresh samples
    check_places = torch.from_numpy(data.patches[rng.choice(train, check)].astype(np.float32))
    w_check = G.to_w(latents(check, seed + 1, G.z_dim), G.embed(check_places))
    base = _scene_probs(G, w_check, lite0, head)
    effects: dict[str, Any] = {}
    for mode in ("plain", "keep_others"):
        table = {}
        for name in track(classes, len(classes), f"measuring sliders ({mode})", progress):
            moved = w_check + torch.from_numpy(d.offset({name: 3.0}, keep_others=mode == "keep_others"))
            delta = (_scene_probs(G, moved, lite0, head) - base).mean(0)
            k = classes.index(name)
            table[name] = {"own": round(float(delta[k]), 4),
                           "others_mean_abs": round(float(np.abs(np.delete(delta, k)).mean()), 4),
                           "others": {c: round(float(delta[j]), 4) for j, c in enumerate(classes) if j != k}}
        effects[mode] = table
    path = explorer.checkpoints / f"{DIRECTIONS}.pt"
    save_checkpoint(path, {"kind": DIRECTIONS, "names": d.names, "vectors": torch.from_numpy(d.vectors),
                           "sigma": torch.from_numpy(d.sigma.astype(np.float32)), "kind_of": d.kind,
                           "model": gan.label, "effects": effects, "samples": samples})
    update_manifest(explorer.checkpoints, DIRECTIONS, {
        "file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size, "kind": DIRECTIONS,
        "model": gan.label, "samples": samples, "seed": seed, "metrics": effects})
    return {"effects": effects, "seconds": round(time.time() - t0, 1), "names": d.names}
