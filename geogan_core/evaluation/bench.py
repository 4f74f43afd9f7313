"""Benchmarks behind ``python -m geogan_core bench``: generation, training, dense-map and UMAP speed."""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from geogan_core.data.paired import load_paired
from geogan_core.errors import GeoGanError
from geogan_core.evaluation.dense import dense_maps
from geogan_core.evaluation.embedding import compute_embedding
from geogan_core.inference.alike import alike_places
from geogan_core.inference.generate import Explorer
from geogan_core.models.noise import latents
from geogan_core.models.registry import ModelConfig
from geogan_core.progress import track
from geogan_core.training.loop import GanTrainer, TrainConfig, machine_name


def _median_seconds(fn: Any, repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def machine() -> str:
    """A one-line description of this machine (CPU, or the GPU when there is one)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return f"{machine_name(device)}, Python {platform.python_version()}"


def run_benchmarks(explorer: Explorer, repeats: int = 20, train_steps: int = 8,
                   dense_res: float = 2.0) -> dict[str, Any]:
    """Measure generation, training, dense-map and UMAP times, side by side in one process.

    Generation: model time only (condition encoder + generator, the guided cGAN's retrieval
    included) for 1/16/64 views per shipped GAN, median and p95 over ``repeats``; retrieval: the
    4 places most alike from above with their views (``alike_places``). Training: images/s over
    ``train_steps`` steps of batch 64 on the real training views, after one warm-up step, per
    architecture. Dense map: every method's
    urban probability for all land cells of a ``dense_res``-degree world grid, from scratch (the
    0.5-degree maps of ``results/`` have 16x the cells at 2 degrees). UMAP: recomputing the
    Features page's discriminator-feature embedding (features, PCA, UMAP, k-means) from scratch.
    """
    out: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "generation_ms": {},
                           "training_images_per_s": {}}
    patch, _ = explorer.patch(38.0, -97.0)
    for name in explorer.available():
        gan = explorer.gan(name)
        for n in (1, 16, 64):
            z = latents(n, 0, gan.G.z_dim)
            med, p95 = _median_seconds(lambda z=z, name=name: explorer.render(name, z, patch), repeats)
            out["generation_ms"][f"{name}/{n}"] = {"median": round(med * 1000, 2), "p95": round(p95 * 1000, 2)}
    try:  # the Map page's places alike from above: memory search and the views' slices
        med, p95 = _median_seconds(lambda: alike_places(explorer, 38.0, -97.0, 4), repeats)
        out["retrieval_ms"] = {"alike_places/4": {"median": round(med * 1000, 2), "p95": round(p95 * 1000, 2)}}
    except GeoGanError:
        pass
    data = load_paired(explorer.area)
    for name in track(("paper", "modern", "ugan"), 3, "training throughput"):
        ref = explorer.gan(name).checkpoint["model_config"] if name in explorer.available() else None
        cfg = ModelConfig(**ref) if ref else ModelConfig(name, in_channels=explorer.area.channels, ngf=32, ndf=32)
        trainer = GanTrainer(explorer.area, cfg, TrainConfig(batch_size=64, device="cpu"), data,
                             explorer.area.cache_dir / "bench-run")
        batches = trainer.batches.epoch(0, 0, 64)[: train_steps + 1]
        trainer.train_step(*batches[0])
        t0 = time.perf_counter()
        for batch in batches[1:]:
            trainer.train_step(*batch)
        seconds = time.perf_counter() - t0
        out["training_images_per_s"][name] = round(64 * (len(batches) - 1) / seconds, 1)
        out["training_images_per_s"][f"{name}_width"] = cfg.ngf
    with tempfile.TemporaryDirectory(prefix="geogan-bench-") as tmp:
        if explorer.heads is not None and "modern" in explorer.available():
            t0 = time.perf_counter()
            dense = dense_maps(explorer, res_deg=dense_res, rebuild=True, folder=Path(tmp))
            seconds = time.perf_counter() - t0
            out["dense_map"] = {"res_deg": dense_res, "land_cells": dense["land_cells"],
                                "methods": list(dense["methods"]), "seconds": round(seconds, 1),
                                "cells_per_s": round(dense["land_cells"] / seconds, 1)}
        if "modern" in explorer.available():
            t0 = time.perf_counter()
            emb = compute_embedding(explorer, "cgan_disc", folder=Path(tmp))
            out["umap_recompute"] = {"feature_set": "cgan_disc", "points": emb.scores["n_points"],
                                     "seconds": round(time.perf_counter() - t0, 1)}
    return out
